"""``smartupgrade-sim`` with ``--tls-port``, ``--tls-client-ca`` and ``--call-home``: the
banner's lines, ncclient over TLS with a certificate of the given CA, ncclient's call_home."""

from __future__ import annotations

import re
import signal
import threading
from pathlib import Path

from ncclient import manager

from smartupgrade_server.sim.command import tls_port
from smartupgrade_server.transport.tls import NETCONF_TLS_PORT, TLS_CERT_FILE
from tests.support.client_pki import ClientCa, connect_tls
from tests.support.defaults import ESN, MODEL
from tests.support.sim import running_sim
from tests.support.transport import free_port
from tests.support.users import Credentials


def test_tls_listens_by_default_once_the_switch_has_its_certificate(tmp_path: Path) -> None:
    assert tls_port(None, tmp_path) is None
    assert tls_port(0, tmp_path) == 0
    (tmp_path / TLS_CERT_FILE).write_text("a certificate")
    assert tls_port(None, tmp_path) == NETCONF_TLS_PORT
    assert tls_port(-1, tmp_path) is None


def test_the_sim_serves_tls_to_the_given_ca_and_calls_home(
    tmp_path: Path, credentials: Credentials
) -> None:
    data_dir = credentials.data_dir(tmp_path / "sim")
    ca = ClientCa(tmp_path / "pki")
    admin = ca.issue("admin")
    controller_port = free_port()
    called: list[str] = []

    def controller() -> None:
        with manager.call_home(
            host="127.0.0.1",
            port=controller_port,
            username="admin",
            password="admin",
            hostkey_verify=False,
            look_for_keys=False,
            allow_agent=False,
            timeout=60,
        ) as m:
            called.append(m.session_id)

    listening = threading.Thread(target=controller)
    listening.start()
    with running_sim(
        data_dir,
        MODEL,
        *("--tls-client-ca", str(ca.cert_path)),
        *("--call-home", f"ssh://127.0.0.1:{controller_port}"),
    ) as sim:
        printed = sim.banner
        tls = re.search(
            r"NETCONF over TLS on 127\.0\.0\.1:(\d+) \(RFC 7589\): the switch's "
            r"certificate (\S+);",
            printed,
        )
        assert tls, printed
        assert f"Calling home ssh://127.0.0.1:{controller_port} (RFC 8071" in printed
        certificate = Path(tls.group(2))
        assert certificate == data_dir / TLS_CERT_FILE
        assert (data_dir / "netconf-tls-key.pem").stat().st_mode & 0o777 == 0o600
        with connect_tls(int(tls.group(1)), admin, certificate) as m:
            assert f"<esn>{ESN}</esn>" in m.get().xml
        listening.join(timeout=90)
        assert called and int(called[0]) >= 1
        sim.process.send_signal(signal.SIGTERM)
        assert sim.process.wait(timeout=30) == 0
