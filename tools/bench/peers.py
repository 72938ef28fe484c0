"""The servers under test, each started in a temporary directory and always stopped again.

* ours: ``python -m smartupgrade_server`` (what the ``smartupgrade-sim`` console script runs) as
  a subprocess, so it does not share the benchmark client's CPU or GIL, on a port it picks and
  announces;
* yuma123 ``netconfd`` behind a private OpenSSH ``sshd`` with ``Subsystem netconf``, as
  operators deploy it;
* Debian's ``nginx`` serving files over TLS, the peer of the HOUP's downloads.

Both log in the benchmark user with the same Ed25519 key, so both pay the same authentication.
"""

import getpass
import importlib.metadata
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import yaml

from smartupgrade_model.model import MODULE
from smartupgrade_model.modules import module
from smartupgrade_server.sim.command import any_free_ports
from tools.bench.client import Target

REPO_ROOT = Path(__file__).resolve().parents[2]
YANG_DIR = REPO_ROOT / "yang"
SMART_UPGRADE_NS = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
CONFIG_FULL = YANG_DIR / "examples" / "config-full.xml"
# config-full.xml configures `smart-upgrade ap enable`, which only AP-capable models accept
SIM_MODEL = "S5732-H"
SSHD = "/usr/sbin/sshd"
NETCONFD = "/usr/sbin/netconfd"
NETCONF_SUBSYSTEM = "/usr/sbin/netconf-subsystem"
NGINX = "/usr/sbin/nginx"
_STARTUP_TIMEOUT = 60.0
_LISTENING = re.compile(r"NETCONF over SSH on 127\.0\.0\.1:(\d+)")
_LISTENING_TLS = re.compile(
    r"NETCONF over TLS on 127\.0\.0\.1:(\d+) \(RFC 7589\): the switch's certificate (\S+);"
)
_STOP_TIMEOUT = 5.0

# yuma123 netconfd 2.13 aborts ("free(): invalid pointer") when it evaluates an XPath must that
# calls translate(), as the schedule's reboot-after-download check does. It is the only such
# expression in the module; the deviation removes it for netconfd alone so that it can load the
# module and the full startup configuration (which satisfies the check anyway).
NETCONFD_DEVIATION_MODULE = "sunc-bench-netconfd-deviations"
_NETCONFD_DEVIATIONS = f"""module {NETCONFD_DEVIATION_MODULE} {{
  yang-version 1.1;
  namespace "urn:smart-upgrade-netconf:yang:{NETCONFD_DEVIATION_MODULE}";
  prefix sbd;
  import {MODULE} {{ prefix su; }}
  revision 2026-11-27;
  deviation "/su:smart-upgrade/su:schedule" {{
    deviate delete {{
      must "{{must}}";
    }}
  }}
}}
"""


class PeerStartError(Exception):
    """A server under test did not come up; its log says why."""


def full_config_xml() -> str:
    """The example full configuration without its comment, as ``<config>`` content."""
    text = CONFIG_FULL.read_text(encoding="utf-8")
    return re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL).strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tool_version(command: Sequence[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "not installed"
    return (result.stdout or result.stderr).strip().splitlines()[0]


@contextmanager
def process_group(
    argv: Sequence[str],
    log: Path,
    env: dict[str, str] | None = None,
    stop_timeout: float = _STOP_TIMEOUT,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` in its own process group; on exit stop that group (and only it), giving it
    ``stop_timeout`` seconds to end after SIGTERM before SIGKILL."""
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        _stop(process, stop_timeout)


def _stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_until(
    ready: Callable[[], bool],
    process: subprocess.Popen[bytes],
    log: Path,
    what: str,
    timeout: float = _STARTUP_TIMEOUT,
) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            raise PeerStartError(f"{what} exited at start:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise PeerStartError(f"{what} not ready after {timeout:.0f} s:\n{_tail(log)}")
        time.sleep(0.05)


@contextmanager
def interrupted_by_sigterm() -> Iterator[None]:
    """Inside, SIGTERM raises KeyboardInterrupt: it takes Ctrl+C's path through every finally
    that stops a process."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _accepts_tcp(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def write_client_key(work_dir: Path) -> Path:
    """An Ed25519 key pair, ``client_key`` and ``client_key.pub``, that logs in to both servers."""
    key_file = work_dir / "client_key"
    _ssh_keygen("ed25519", key_file)
    return key_file


def write_client_certificate(work_dir: Path, username: str) -> tuple[Path, Path]:
    """A self-signed client certificate for ``username`` (its common name) and its key, as a
    user makes one with openssl (docs/server.md)."""
    cert, key = work_dir / "client-cert.pem", work_dir / "client-key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"),
            *("-nodes", "-days", "2", "-subj", f"/CN={username}"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


def public_key_line(key_file: Path) -> str:
    return key_file.with_name(f"{key_file.name}.pub").read_text(encoding="utf-8").strip()


def _ssh_keygen(algorithm: str, key_file: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", algorithm, "-N", "", "-f", str(key_file)],
        check=True,
        timeout=30,
    )


@contextmanager
def ours(
    work_dir: Path,
    client_key: Path,
    username: str,
    command: Sequence[str],
    client_certificate: Path | None = None,
) -> Iterator[Target]:
    """Our server with a fresh data directory whose only user logs in with ``client_key``, and
    over TLS with ``client_certificate`` if given."""
    data_dir = work_dir / "ours-data"
    data_dir.mkdir(mode=0o700)
    users = {
        "users": [
            {
                "name": username,
                "authorized-keys": [public_key_line(client_key)],
                "level": 3,
            }
        ]
    }
    users_file = data_dir / "users.yaml"
    users_file.write_text(yaml.safe_dump(users, sort_keys=False), encoding="utf-8")
    users_file.chmod(0o600)
    argv = [
        *command,
        "--data-dir",
        str(data_dir),
        "--host",
        "127.0.0.1",
        # every listener's: the default ports may be taken by another instance
        *any_free_ports(),
        "--model",
        SIM_MODEL,
    ]
    if client_certificate is not None:
        argv += ["--tls-client-ca", str(client_certificate)]
    log = work_dir / "ours.log"
    with process_group(argv, log) as process:
        wait_until(lambda: _announced_port(log) is not None, process, log, "our server")
        port = _announced_port(log)
        assert port is not None
        tls = _LISTENING_TLS.search(log.read_text(errors="replace"))
        yield Target(
            "ours",
            "127.0.0.1",
            port,
            username,
            client_key,
            tls_port=int(tls.group(1)) if tls else None,
            tls_certificate=Path(tls.group(2)) if tls else None,
        )


def _announced_port(log: Path) -> int | None:
    """The port from smartupgrade-sim's ``NETCONF over SSH on HOST:PORT`` line."""
    match = _LISTENING.search(log.read_text(errors="replace"))
    return int(match.group(1)) if match else None


@contextmanager
def netconfd(work_dir: Path, client_key: Path, username: str) -> Iterator[Target]:
    """yuma123 netconfd with our module and the full configuration, behind a private sshd."""
    for program in (SSHD, NETCONFD, NETCONF_SUBSYSTEM):
        if not Path(program).exists():
            raise PeerStartError(f"{program} is missing: apt-get install netconfd openssh-server")
    home = work_dir / "netconfd-home"
    home.mkdir()
    port = free_port()
    socket_path = work_dir / "ncxserver.sock"
    modules = work_dir / "netconfd-modules"
    modules.mkdir()
    (modules / f"{NETCONFD_DEVIATION_MODULE}.yang").write_text(
        _NETCONFD_DEVIATIONS.replace("{must}", _schedule_must()), encoding="utf-8"
    )
    startup = work_dir / "startup.xml"
    startup.write_text(
        f'<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">{full_config_xml()}</config>\n',
        encoding="utf-8",
    )
    netconfd_argv = [
        NETCONFD,
        f"--module={MODULE}",
        f"--deviation={NETCONFD_DEVIATION_MODULE}",
        f"--modpath={modules}:{YANG_DIR}:{YANG_DIR / 'ietf'}",
        f"--startup={startup}",
        "--target=candidate",
        f"--superuser={username}",
        "--access-control=off",
        f"--port={port}",
        f"--ncxserver-sockname={socket_path}",
        "--log-level=warn",
    ]
    sshd_config = _write_sshd_config(work_dir, port, socket_path, client_key)
    # netconfd keeps its transaction-id file and yangcli-style state under $HOME/.yuma
    env = {**os.environ, "HOME": str(home)}
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    with ExitStack() as stack:
        netconfd_log = work_dir / "netconfd.log"
        netconfd_process = stack.enter_context(process_group(netconfd_argv, netconfd_log, env))
        wait_until(socket_path.exists, netconfd_process, netconfd_log, "netconfd")
        sshd_log = work_dir / "sshd.log"
        sshd_process = stack.enter_context(
            process_group([SSHD, "-D", "-e", "-f", str(sshd_config)], sshd_log)
        )
        wait_until(lambda: _accepts_tcp(port), sshd_process, sshd_log, "sshd")
        yield Target("netconfd", "127.0.0.1", port, username, client_key)


def _schedule_must() -> str:
    text = module(MODULE).source
    match = re.search(r'container schedule \{\s*must ((?:"[^"]*"\s*\+?\s*)+)\{', text)
    if match is None:
        raise PeerStartError("the schedule's must expression is no longer where it was")
    return "".join(re.findall(r'"([^"]*)"', match.group(1)))


def _write_sshd_config(work_dir: Path, port: int, socket_path: Path, client_key: Path) -> Path:
    host_keys = []
    for algorithm in ("ed25519", "ecdsa"):
        key_file = work_dir / f"ssh_host_{algorithm}_key"
        _ssh_keygen(algorithm, key_file)
        host_keys.append(f"HostKey {key_file}")
    authorized_keys = work_dir / "authorized_keys"
    authorized_keys.write_text(public_key_line(client_key) + "\n")
    config = work_dir / "sshd_config"
    config.write_text(
        "\n".join(
            [
                "ListenAddress 127.0.0.1",
                f"Port {port}",
                *host_keys,
                f"PidFile {work_dir / 'sshd.pid'}",
                f"AuthorizedKeysFile {authorized_keys}",
                "StrictModes no",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "UsePAM no",
                "UseDNS no",
                # sshd drops unauthenticated connections beyond 10 by default
                "MaxStartups 300:30:400",
                "LogLevel ERROR",
                f"Subsystem netconf {NETCONF_SUBSYSTEM} --ncxserver-sockname={port}@{socket_path}",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return config


def our_version() -> str:
    """The distribution's version and the commit measured (``+`` when the tree has changes)."""
    commit = tool_version(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    ).stdout.strip()
    version = importlib.metadata.version("smart-upgrade-netconf")
    return f"{version}, commit {commit}{'+' if dirty else ''}"


@contextmanager
def nginx(work_dir: Path, certificate: Path, key: Path, files: Path) -> Iterator[int]:
    """Debian's nginx as Debian configures it (a worker process per CPU, sendfile on), serving
    ``files`` at ``/files/`` over HTTPS with ``certificate``; yields its port."""
    if not Path(NGINX).exists():
        raise PeerStartError(f"{NGINX} is missing: apt-get install nginx (tools/install.sh)")
    home = work_dir / "nginx"
    home.mkdir()
    port = free_port()
    config = home / "nginx.conf"
    # as root, nginx's workers would run as www-data, who may not read the temporary directory
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    config.write_text(
        f"""{user}worker_processes auto;
pid {home / "nginx.pid"};
error_log {home / "error.log"};
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    types {{ application/octet-stream cc pat; }}
    client_body_temp_path {home};
    proxy_temp_path {home};
    fastcgi_temp_path {home};
    uwsgi_temp_path {home};
    scgi_temp_path {home};
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {certificate};
        ssl_certificate_key {key};
        location /files/ {{ alias {files}/; }}
    }}
}}
""",
        encoding="utf-8",
    )
    log = home / "nginx.log"
    argv = [NGINX, "-c", str(config), "-p", str(home), "-g", "daemon off;"]
    with process_group(argv, log) as process:
        wait_until(lambda: _accepts_tcp(port), process, log, "nginx")
        yield port


def nginx_version() -> str:
    package = tool_version(["dpkg-query", "-W", "-f", "${Version}", "nginx"])
    return f"{tool_version([NGINX, '-v'])} ({package})"


def netconfd_version() -> str:
    package = tool_version(["dpkg-query", "-W", "-f", "${Version}", "netconfd"])
    return f"{package} behind {tool_version(['ssh', '-V'])}"


def default_ours_command() -> list[str]:
    return [sys.executable, "-m", "smartupgrade_server"]
