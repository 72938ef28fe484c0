"""yangcli (Debian ``yangcli``, yuma123) in batch mode against smartupgrade-sim.

yangcli edits the candidate when ``:candidate`` is advertised (``merge``/``replace``/``create``
then ``commit``), needs ``sget`` rather than ``xget`` in batch mode, and knows our modules only
when loaded by name from ``--modpath`` (``--autoload=false``: it would otherwise fetch them with
``<get-schema>``). Its libssh2 needs an ECDSA or Ed25519 host key.
"""

from decimal import Decimal

import pytest

from smartupgrade_client.errors import UpgradeFailed
from smartupgrade_server.testing.running import HoupFaults, RunningSwitch
from tests.interop.clients import (
    NC_NS,
    YANG_SEARCH_PATHS,
    ClientRun,
    run_yangcli,
    run_yangcli_script,
    yangcli_failure,
    yangcli_replies,
    yanglint_validate_reply,
)
from tests.interop.conftest import FEATURES
from tests.support.users import Server

SU = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
SSLP = "urn:smart-upgrade-netconf:yang:sunc-ssl-policy"
NS = {"nc": NC_NS, "su": SU, "sslp": SSLP}
MODULES = ("sunc-smart-upgrade", "sunc-ssl-policy")


def succeeded(run: ClientRun) -> ClientRun:
    assert run.returncode == 0 and yangcli_failure(run) is None, run.stdout + run.stderr
    return run


def test_get_config(sim: Server) -> None:
    run = succeeded(
        run_yangcli(sim, "get-config source=running", YANG_SEARCH_PATHS, modules=MODULES)
    )
    (config,) = yangcli_replies(run.stdout)
    assert config is not None
    result = yanglint_validate_reply(config, "get-config", features=FEATURES)
    assert result.valid, result.output


def test_lock_edit_commit_unlock_then_sget_and_get_config(sim: Server) -> None:
    run = succeeded(
        run_yangcli_script(
            sim,
            [
                "lock target=candidate",
                "create /ssl-policies/ssl-policy[name='yangcli']",
                "merge /smart-upgrade/ssl-policy value=yangcli",
                "replace /smart-upgrade/https-port value=6443",
                "commit",
                "unlock target=candidate",
                "sget /smart-upgrade",
                "get-config source=running",
            ],
            YANG_SEARCH_PATHS,
            MODULES,
        )
    )
    *oks, state, config = yangcli_replies(run.stdout)
    assert oks == [None] * 6
    assert state is not None and config is not None

    result = yanglint_validate_reply(state, "get", features=FEATURES)
    assert result.valid, result.output
    assert state.findtext("nc:data/su:smart-upgrade/su:https-port", namespaces=NS) == "6443"
    assert state.findtext("nc:data/su:smart-upgrade/su:local-information/su:esn", namespaces=NS)

    result = yanglint_validate_reply(config, "get-config", features=FEATURES)
    assert result.valid, result.output
    assert config.findtext("nc:data/su:smart-upgrade/su:ssl-policy", namespaces=NS) == "yangcli"
    names = config.findall("nc:data/sslp:ssl-policies/sslp:ssl-policy/sslp:name", NS)
    assert "yangcli" in [name.text for name in names]


def test_a_download_rate_of_zero_is_a_reply_yangcli_accepts(
    smartupgrade_switch: RunningSwitch, smartupgrade_houp: HoupFaults
) -> None:
    """yangcli 2.13 took 0.0 for less than the range's bound "0" (it compares the zeros after
    "0." first) and refused the whole reply: "invalid reply (value not in range)". The module
    writes the same range "0.0 .. max"."""
    smartupgrade_houp.set(break_after={"bytes": 0})
    with smartupgrade_switch.connect() as switch:
        switch.set_ssl_policy("houp")
        switch.enable()
        switch.download()
        with pytest.raises(UpgradeFailed):
            switch.wait(timeout=60)
        assert switch.upgrade_information().software_download_speed == Decimal("0")
    server = Server(
        smartupgrade_switch.host,
        smartupgrade_switch.port,
        smartupgrade_switch.username,
        smartupgrade_switch.password,
    )
    run = succeeded(
        run_yangcli(
            server, "sget /smart-upgrade/upgrade-information", YANG_SEARCH_PATHS, modules=MODULES
        )
    )
    (reply,) = yangcli_replies(run.stdout)
    assert reply is not None
    assert reply.findtext(".//su:software-download-speed", namespaces=NS) == "0.0"
