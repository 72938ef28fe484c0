"""netconf-console2 (a subprocess per invocation) against smartupgrade-sim.

It prints the ``<data>`` of get/get-config and ``<ok/>`` otherwise, and exits 255 on any failure
(an rpc-error included). Path arguments (``--get-config /su:…``) become XPath filters, so it
needs ``:xpath``; ``--filter PATH`` builds a subtree ``<nc:filter>`` without a ``type``
attribute; ``--set`` sends ``nc:operation="merge"`` and, for a list entry, the key leaf twice.
"""

from pathlib import Path

from lxml import etree

from tests.interop.clients import (
    NC_NS,
    ClientRun,
    parse_console_output,
    run_netconf_console2,
    yanglint_validate_reply,
)
from tests.interop.conftest import FEATURES
from tests.support.users import Server

SU = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
SSLP = "urn:smart-upgrade-netconf:yang:sunc-ssl-policy"
NS = {"nc": NC_NS, "su": SU, "sslp": SSLP}
PREFIXES = [f"--ns=su={SU}", f"--ns=sslp={SSLP}"]
OK = f"{{{NC_NS}}}ok"


def console(server: Server, *args: str) -> list[etree._Element]:
    """Run netconf-console2 and return the documents it printed; it must succeed."""
    run = run_netconf_console2(server, [*PREFIXES, *args])
    assert run.returncode == 0, failure(run)
    return parse_console_output(run.stdout)


def failure(run: ClientRun) -> str:
    return f"{' '.join(run.argv)}\n{run.stdout}{run.stderr}"


def test_hello_lists_what_path_arguments_need(sim: Server) -> None:
    (hello,) = console(sim, "--hello")
    capabilities = [c.text for c in hello.iter(f"{{{NC_NS}}}capability")]
    assert "urn:ietf:params:netconf:capability:xpath:1.0" in capabilities
    assert "urn:ietf:params:netconf:capability:candidate:1.0" in capabilities
    assert any(c and c.startswith(f"{SU}?module=sunc-smart-upgrade") for c in capabilities)


def test_get_config_edit_config_set_and_get(sim: Server, tmp_path: Path) -> None:
    (before,) = console(sim, "--get-config")
    assert yanglint_validate_reply(before, "get-config", features=FEATURES).valid

    # one top-level element per file: the files' contents go into one <config>
    policy = tmp_path / "policy.xml"
    policy.write_text(
        f'<ssl-policies xmlns="{SSLP}"><ssl-policy><name>ncc</name></ssl-policy></ssl-policies>'
    )
    binding = tmp_path / "binding.xml"
    binding.write_text(f'<smart-upgrade xmlns="{SU}"><ssl-policy>ncc</ssl-policy></smart-upgrade>')
    assert [d.tag for d in console(sim, "--edit-config", str(policy), str(binding))] == [OK]
    assert [d.tag for d in console(sim, "--set", "/su:smart-upgrade/su:https-port=8443")] == [OK]

    (config,) = console(sim, "--get-config")
    result = yanglint_validate_reply(config, "get-config", features=FEATURES)
    assert result.valid, result.output
    assert config.findtext("su:smart-upgrade/su:ssl-policy", namespaces=NS) == "ncc"
    assert config.findtext("su:smart-upgrade/su:https-port", namespaces=NS) == "8443"

    # a path argument is an XPath filter
    (port,) = console(sim, "--get-config", "/su:smart-upgrade/su:https-port")
    assert [etree.QName(e).localname for e in port.iter(f"{{{SU}}}*")] == [
        "smart-upgrade",
        "https-port",
    ]

    # --filter is a subtree filter, sent without type="subtree"
    (state,) = console(sim, "--get", "--filter", "/su:smart-upgrade/su:local-information")
    result = yanglint_validate_reply(state, "get", features=FEATURES)
    assert result.valid, result.output
    assert state.findtext("su:smart-upgrade/su:local-information/su:esn", namespaces=NS)
    assert state.find("su:smart-upgrade/su:https-port", NS) is None

    (everything,) = console(sim, "--get", "--with-defaults=report-all")
    result = yanglint_validate_reply(everything, "get", features=FEATURES)
    assert result.valid, result.output
    assert everything.findtext("su:smart-upgrade/su:url", namespaces=NS)


def test_candidate_lock_edit_commit_unlock_in_one_session(sim: Server, tmp_path: Path) -> None:
    port = tmp_path / "port.xml"
    port.write_text(f'<smart-upgrade xmlns="{SU}"><https-port>9443</https-port></smart-upgrade>')
    documents = console(
        sim, "--db=candidate", "--lock", "--edit-config", str(port), "--commit", "--unlock"
    )
    assert [d.tag for d in documents] == [OK] * 4
    (config,) = console(sim, "--get-config", "/su:smart-upgrade/su:https-port")
    assert config.findtext("su:smart-upgrade/su:https-port", namespaces=NS) == "9443"


def test_set_and_delete_a_list_entry(sim: Server) -> None:
    entry = "/sslp:ssl-policies/sslp:ssl-policy[sslp:name='console_set']"
    # sends <name>console_set</name><name nc:operation="merge">console_set</name>
    console(sim, "--set", f"{entry}/sslp:name=console_set")
    (config,) = console(sim, "--get-config", entry)
    assert config.findtext("sslp:ssl-policies/sslp:ssl-policy/sslp:name", namespaces=NS) == (
        "console_set"
    )
    console(sim, "--delete", entry)
    (config,) = console(sim, "--get-config", entry)
    assert len(config) == 0


def test_an_rpc_error_is_printed_and_exits_255(sim: Server) -> None:
    run = run_netconf_console2(sim, [*PREFIXES, "--set", "/su:smart-upgrade/su:https-port=0"])
    assert run.returncode == 255, failure(run)
    assert "<error-tag>invalid-value</error-tag>" in run.stdout
