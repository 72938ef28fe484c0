"""Run the NETCONF clients users have against a server, and yanglint as an independent oracle.

Each helper takes a :class:`Server` (address and credentials) and returns what the real client
printed or received, so that interop tests assert on the client's own view. Argument building
and output parsing are separate pure functions so they can be tested without a server.

- netconf-console2: ``run_netconf_console2(server, ["--get-config"])``; the documents it prints
  (``<data>`` for get/get-config) are parsed by :func:`parse_console_output`. It exits 255 on
  any failure. It always sends a password (``admin`` when none is given), and ncclient 0.7.1
  then uses it as the key passphrase, which paramiko 5 refuses for an unencrypted key: key
  authentication works only with a key encrypted with the password as passphrase.
- scrapli-netconf: ``with scrapli_session(server) as conn: conn.get_config("running")``
  (paramiko transport; scrapli pinned to 2025.1.30, see pyproject). Use a password: its
  paramiko transport loads any private key as an RSA key, which paramiko 5 then refuses
  ("no RSA pubkey algorithms are configured").
- yangcli (Debian ``yangcli``, yuma123): ``run_yangcli(server, "sget /su:smart-upgrade")`` in
  batch mode with ``--autoload=false``, or several commands in one session with
  :func:`run_yangcli_script`. It exits 0 even when the session or the command failed, so
  :func:`yangcli_failure` reads the failure from its output. Without ``--module=NAME`` for each
  module (found on ``--modpath``) it prints our data in namespace ``INVALID``.
- yanglint: :func:`yanglint_validate_reply` validates the ``<data>`` of a get or get-config
  reply. ``yanglint -t nc-reply -R rpc.xml`` is no oracle for the content: ``<data>`` is anyxml
  in ietf-netconf, so libyang 2.1.30 accepts any content there (an out-of-range leaf, an unknown
  element, an unknown namespace all give rc 0). ``-t get`` / ``-t getconfig`` on the children of
  ``<data>`` does check them (rc 7), and ``getconfig`` also rejects state data.
- the server: ``running_sim`` (tests/support/sim.py) starts ``smartupgrade-sim`` the way the
  README does, on 127.0.0.1 and a port the OS picks; :class:`Server` is where it listens.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypedDict, TypeVar

from lxml import etree
from scrapli_netconf.driver import NetconfDriver

from smartupgrade_model.modules import (
    IETF_FEATURES,
    SUBSCRIBED_NOTIFICATIONS_MODULE,
    YANG_PUSH_MODULE,
    module,
)
from smartupgrade_server.datastore.yang_library import (
    DATASTORES_MODULE,
    MONITORING_MODULE,
    YANG_LIBRARY_MODULE,
)
from tests.support.defaults import CLIENT_TIMEOUT
from tests.support.users import Server

NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
REPO_ROOT = Path(__file__).resolve().parents[2]
YANG_DIR = REPO_ROOT / "yang"
YANG_MODULES: tuple[Path, ...] = tuple(sorted(YANG_DIR.glob("*.yang")))
# the IETF modules whose state a <get> without a filter also returns (/netconf-state,
# /yang-library, /modules-state); ietf-datastores names the yang-library's datastores
STATE_MODULES: tuple[Path, ...] = tuple(
    module(name).path for name in (MONITORING_MODULE, YANG_LIBRARY_MODULE, DATASTORES_MODULE)
)
YANG_SEARCH_PATHS: tuple[Path, ...] = (YANG_DIR, YANG_DIR / "ietf")
# the IETF modules' features the switch implements, as yanglint's -F takes them
IETF_FEATURE_NAMES: tuple[str, ...] = tuple(
    f"{name}:{','.join(features)}" for name, features in IETF_FEATURES.items()
)
# RFC 8341's /nacm: in running (the factory rules) and, with its counters, in <get>; the
# cert-to-name map types of /netconf-server/tls (libyang takes identities of implemented modules)
ACCESS_CONTROL_MODULES: tuple[Path, ...] = (
    module("ietf-netconf-acm").path,
    module("ietf-x509-cert-to-name").path,
)
# the console scripts installed next to the interpreter running the tests
NETCONF_CONSOLE2 = Path(sys.executable).with_name("netconf-console2")
T = TypeVar("T")


@dataclass(frozen=True)
class ClientRun:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def _run(argv: Sequence[str], timeout: float) -> ClientRun:
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False
    )
    return ClientRun(tuple(argv), done.returncode, done.stdout, done.stderr)


# --- netconf-console2 ----------------------------------------------------------------------


def netconf_console2_argv(server: Server, args: Sequence[str]) -> list[str]:
    argv = [str(NETCONF_CONSOLE2), f"--host={server.host}", f"--port={server.port}"]
    argv.append(f"--user={server.username}")
    # the = form: -p takes an optional value, so a password starting with '-' would be lost
    if server.password is not None:
        argv.append(f"--password={server.password}")
    if server.private_key is not None:
        argv.append(f"--privKeyFile={server.private_key}")
    return [*argv, *args]


def run_netconf_console2(
    server: Server, args: Sequence[str], timeout: float = CLIENT_TIMEOUT
) -> ClientRun:
    """Run ``netconf-console2`` with ``args`` (e.g. ``["--get-config"]``) against ``server``."""
    return _run(netconf_console2_argv(server, args), timeout)


_XML_DECLARATION = re.compile(r"<\?xml[^>]*\?>")


def parse_console_output(stdout: str) -> list[etree._Element]:
    """The XML documents netconf-console2 printed, one per operation.

    For get and get-config it prints the reply's ``<data>``, for others ``<ok/>`` or the whole
    ``<rpc-reply>``; an rpc-error is printed without an XML declaration and exits 255.
    """
    documents = [part.strip() for part in _XML_DECLARATION.split(stdout)]
    return [etree.fromstring(part.encode()) for part in documents if part]


# --- scrapli-netconf -----------------------------------------------------------------------


class ScrapliArguments(TypedDict, total=False):
    host: str
    port: int
    auth_username: str
    auth_password: str
    auth_private_key: str
    auth_strict_key: bool
    transport: str
    timeout_socket: float
    timeout_transport: float
    timeout_ops: float


def scrapli_driver_arguments(server: Server, timeout: float) -> ScrapliArguments:
    arguments: ScrapliArguments = {
        "host": server.host,
        "port": server.port,
        "auth_username": server.username,
        "auth_strict_key": False,
        "transport": "paramiko",
        "timeout_socket": timeout,
        "timeout_transport": timeout,
        "timeout_ops": timeout,
    }
    if server.password is not None:
        arguments["auth_password"] = server.password
    if server.private_key is not None:
        arguments["auth_private_key"] = str(server.private_key)
    return arguments


@contextmanager
def scrapli_session(server: Server, timeout: float = CLIENT_TIMEOUT) -> Iterator[NetconfDriver]:
    """An open scrapli-netconf session; leaving the block drops it as scrapli does."""
    connection = NetconfDriver(**scrapli_driver_arguments(server, timeout))
    connection.open()
    try:
        yield connection
    finally:
        connection.close()


# --- yangcli -------------------------------------------------------------------------------


def yangcli_argv(
    server: Server,
    command: str | None,
    modpath: Sequence[Path] = (),
    modules: Sequence[str] = (),
    script: Path | None = None,
) -> list[str]:
    """Arguments for one ``command``, or for the commands of a ``script`` file."""
    argv = [
        "yangcli",
        f"--server={server.host}",
        f"--ncport={server.port}",
        f"--user={server.username}",
        "--batch-mode",
        # without it yangcli fetches every advertised schema with get-schema first
        "--autoload=false",
        "--display-mode=xml",
    ]
    if command is not None:
        argv.append(f"--run-command={command}")
    if script is not None:
        argv.append(f"--run-script={script}")
    if server.password is not None:
        argv.append(f"--password={server.password}")
    if server.private_key is not None:
        argv.append(f"--private-key={server.private_key}")
        argv.append(f"--public-key={server.private_key}.pub")
    # by name: an absolute --module= path makes yangcli assert
    argv += [f"--module={module}" for module in modules]
    if modpath:
        argv.append(f"--modpath={':'.join(str(p) for p in modpath)}")
    return argv


def run_yangcli(
    server: Server,
    command: str,
    modpath: Sequence[Path] = (),
    timeout: float = CLIENT_TIMEOUT,
    modules: Sequence[str] = (),
) -> ClientRun:
    """Run one yangcli command (``sget /x``, ``get-config source=running``) in batch mode.

    ``xget`` prompts in batch mode and aborts: use ``sget``.
    """
    return _run(yangcli_argv(server, command, modpath, modules), timeout)


def run_yangcli_script(
    server: Server,
    commands: Sequence[str],
    modpath: Sequence[Path] = (),
    modules: Sequence[str] = (),
    timeout: float = CLIENT_TIMEOUT,
) -> ClientRun:
    """Run several yangcli commands in one session (``merge …`` then ``commit``)."""
    with tempfile.TemporaryDirectory(prefix="yangcli-") as directory:
        script = Path(directory) / "commands.yc"
        script.write_text("".join(f"{command}\n" for command in commands))
        return _run(yangcli_argv(server, None, modpath, modules, script), timeout)


_YANGCLI_FAILURES = (
    re.compile(r"^yangcli: Start session failed.*$", re.MULTILINE),
    re.compile(r"^Error: .*$", re.MULTILINE),
    re.compile(r"^RPC Error Reply .*$", re.MULTILINE),
    # a reply yangcli finds invalid against the module: it still prints it, and exits 0
    re.compile(r"^mgr_rpc: got invalid reply .*$", re.MULTILINE),
)


def yangcli_failure(run: ClientRun) -> str | None:
    """The first failure line yangcli printed, or None: its exit status is 0 either way."""
    for pattern in _YANGCLI_FAILURES:
        match = pattern.search(run.stdout) or pattern.search(run.stderr)
        if match is not None:
            return match.group(0)
    return None


def _yangcli_reply_xml(body: str) -> etree._Element:
    start = body.find("<")
    end = body.rfind(">")
    if start < 0 or end < start:
        raise ValueError(f"no XML in yangcli output:\n{body}")
    return etree.fromstring(body[start : end + 1].encode())


_YANGCLI_REPLY = re.compile(r"^RPC (?:OK|Data) Reply \S+ for session \d+:$", re.MULTILINE)


def yangcli_replies(stdout: str) -> list[etree._Element | None]:
    """One entry per reply yangcli printed, in order: the ``<rpc-reply>``, or None for ``<ok/>``.

    yangcli prints ``RPC OK Reply N …`` alone for ``<ok/>`` and the reply's XML after
    ``RPC Data Reply N …`` (``--display-mode=xml``). What comes before the first reply is no
    XML although it looks like some (``Default target set to: <candidate>``).
    """
    headers = list(_YANGCLI_REPLY.finditer(stdout))
    replies: list[etree._Element | None] = []
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(stdout)
        body = stdout[header.end() : end]
        replies.append(_yangcli_reply_xml(body) if header.group(0).startswith("RPC Data") else None)
    return replies


# --- yanglint ------------------------------------------------------------------------------


@dataclass(frozen=True)
class YanglintResult:
    returncode: int
    output: str

    @property
    def valid(self) -> bool:
        return self.returncode == 0


def reply_data(reply: etree._Element) -> list[etree._Element]:
    """The children of ``<data>``, given an ``<rpc-reply>`` or the ``<data>`` element itself.

    netconf-console2 prints only the ``<data>`` of a get or get-config reply, not the reply.
    """
    data = reply if reply.tag == f"{{{NC_NS}}}data" else reply.find(f"{{{NC_NS}}}data")
    if reply.tag not in (f"{{{NC_NS}}}rpc-reply", f"{{{NC_NS}}}data") or data is None:
        raise ValueError("no NETCONF <data> in " + etree.tostring(reply, encoding="unicode"))
    return [child for child in data if isinstance(child.tag, str)]


def yanglint_argv(
    operation: Literal["get", "get-config"],
    data_file: Path,
    modules: Sequence[Path] = (*YANG_MODULES, *ACCESS_CONTROL_MODULES),
    features: Sequence[str] = (),
) -> list[str]:
    argv = ["yanglint"]
    for path in YANG_SEARCH_PATHS:
        argv += ["-p", str(path)]
    for feature in (*features, *IETF_FEATURE_NAMES):
        argv += ["-F", feature]
    argv += ["-t", "get" if operation == "get" else "getconfig"]
    return [*argv, *(str(m) for m in modules), str(data_file)]


def yanglint_validate_reply(
    reply: etree._Element | bytes | str,
    operation: Literal["get", "get-config"],
    modules: Sequence[Path] = (*YANG_MODULES, *STATE_MODULES, *ACCESS_CONTROL_MODULES),
    features: Sequence[str] = (),
) -> YanglintResult:
    """Validate the data of a get or get-config reply against the modules with yanglint.

    ``features`` are ``module:feature`` names to enable (yanglint enables none by default).
    """
    if not isinstance(reply, etree._Element):
        reply = etree.fromstring(reply.encode() if isinstance(reply, str) else reply)
    content = b"".join(etree.tostring(child) for child in reply_data(reply))
    if not content:
        # libyang refuses an empty input file; no module here has a mandatory top-level node
        return YanglintResult(0, "empty <data>")
    with tempfile.TemporaryDirectory(prefix="yanglint-") as directory:
        data_file = Path(directory) / "data.xml"
        # several top-level elements in one file: libyang reads them as sibling data trees
        data_file.write_bytes(content)
        run = _run(yanglint_argv(operation, data_file, modules, features), CLIENT_TIMEOUT)
    return YanglintResult(run.returncode, run.stdout + run.stderr)


# the modules of every notification the switch sends: ours, RFC 6470's, RFC 8639's, RFC 8641's
NOTIFICATION_MODULES: tuple[Path, ...] = (
    *YANG_MODULES,
    *(
        module(name).path
        for name in (
            "ietf-netconf-notifications",
            SUBSCRIBED_NOTIFICATIONS_MODULE,
            YANG_PUSH_MODULE,
            "ietf-netconf-acm",
        )
    ),
)


def yanglint_validate_notification(
    notification: etree._Element | bytes | str, features: Sequence[str] = ()
) -> YanglintResult:
    """Validate a whole ``<notification>`` message, envelope and eventTime included
    (yanglint 2.1's ``-t nc-notif``), against the modules of every notification the switch
    sends; ``features`` beside the IETF modules' ones."""
    if isinstance(notification, etree._Element):
        notification = etree.tostring(notification)
    if isinstance(notification, str):
        notification = notification.encode()
    argv = ["yanglint"]
    for path in YANG_SEARCH_PATHS:
        argv += ["-p", str(path)]
    for feature in (*features, *IETF_FEATURE_NAMES):
        argv += ["-F", feature]
    with tempfile.TemporaryDirectory(prefix="yanglint-") as directory:
        message = Path(directory) / "notification.xml"
        message.write_bytes(notification)
        run = _run(
            [*argv, "-t", "nc-notif", *map(str, NOTIFICATION_MODULES), str(message)],
            CLIENT_TIMEOUT,
        )
    return YanglintResult(run.returncode, run.stdout + run.stderr)
