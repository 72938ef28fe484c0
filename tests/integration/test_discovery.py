"""Discovery (RFC 6022, RFC 8525, RFC 7895) and NMDA (RFC 8526) over real SSH, with ncclient.

A client that knows only the server's address lists the modules, downloads each with
<get-schema> and compiles them with pyang; the discovery state passes yanglint; get-data and
edit-data work on the NMDA datastores, with ietf-origin annotations.
"""

import asyncio
import itertools
import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from ncclient import manager
from ncclient.operations import RaiseMode, RPCError

from smartupgrade_model.model import MODULE, SSL_POLICY_MODULE
from smartupgrade_model.modules import AP_UPGRADE_FEATURE, implemented_modules, module
from smartupgrade_server.datastore.yang_library import (
    DATASTORES_MODULE,
    MONITORING_MODULE,
    NMDA_MODULE,
    ORIGIN_MODULE,
    YANG_LIBRARY_MODULE,
)
from smartupgrade_server.device.identity import Identity
from tests.interop.clients import REPO_ROOT, yanglint_validate_reply
from tests.support.defaults import IDENTITY, identity
from tests.support.manual_scheduler import ManualScheduler
from tests.support.sim import running_sim
from tests.support.switch import Switches, SwitchRig

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
NCM = module(MONITORING_MODULE).namespace
YL = module(YANG_LIBRARY_MODULE).namespace
NMDA = module(NMDA_MODULE).namespace
DS = module(DATASTORES_MODULE).namespace
OR = module(ORIGIN_MODULE).namespace
SU = module(MODULE).namespace
NS = {"nc": NC, "ncm": NCM, "yl": YL, "nmda": NMDA, "su": SU, "or": OR}
PYANG = Path(sys.executable).with_name("pyang")
Start = Callable[..., Awaitable[SwitchRig]]
AP_FEATURES = [f"{MODULE}:{AP_UPGRADE_FEATURE}"]


@pytest.fixture
async def start(switches_without_houp: Switches) -> Start:
    """A switch of a model whose confirmed commits wait for the test."""

    async def started(identity: Identity = IDENTITY) -> SwitchRig:
        return await switches_without_houp.start(identity=identity, scheduler=ManualScheduler())

    return started


@pytest.fixture
async def rig(start: Start) -> SwitchRig:
    return await start()


def subtree(element: str) -> tuple[str, str]:
    return ("subtree", element)


def elements(node: etree._Element, path: str) -> list[etree._Element]:
    found = node.xpath(path, namespaces=NS)
    assert isinstance(found, list)
    return [item for item in found if isinstance(item, etree._Element)]


def texts(node: etree._Element, path: str) -> list[str]:
    found = node.xpath(path, namespaces=NS)
    assert isinstance(found, list)
    return [str(item) for item in found]


def data(reply: Any) -> etree._Element:
    element: etree._Element = reply.data_ele
    return element


async def dispatch(m: manager.Manager, xml: str) -> etree._Element:
    """The whole <rpc-reply> (ncclient raises on none of its rpc-errors with raise_mode none)."""
    reply = await asyncio.to_thread(m.dispatch, etree.fromstring(xml))
    return etree.fromstring(reply.xml.encode())


def advertised(m: manager.Manager) -> list[tuple[str, str]]:
    """(name, revision) of every module, as a client reads them from /yang-library."""
    reply = m.get(filter=subtree(f'<yang-library xmlns="{YL}"/>'))
    entries = elements(
        data(reply),
        "yl:yang-library/yl:module-set/yl:module | "
        "yl:yang-library/yl:module-set/yl:import-only-module",
    )
    return [
        (entry.findtext(f"{{{YL}}}name") or "", entry.findtext(f"{{{YL}}}revision") or "")
        for entry in entries
    ]


async def test_get_schema_returns_every_module_byte_identical(rig: SwitchRig) -> None:
    m = await rig.session()
    reply = await asyncio.to_thread(m.get, filter=subtree(f'<netconf-state xmlns="{NCM}"/>'))
    schemas = elements(data(reply), "ncm:netconf-state/ncm:schemas/ncm:schema")
    listed = {
        (s.findtext(f"{{{NCM}}}identifier"), s.findtext(f"{{{NCM}}}version")) for s in schemas
    }
    assert listed == {(mod.name, mod.revision) for mod in implemented_modules()}
    for schema in schemas:
        assert schema.findtext(f"{{{NCM}}}format") == "ncm:yang"
        assert schema.findtext(f"{{{NCM}}}location") == "NETCONF"
    for name, revision in sorted(listed):
        text = (await asyncio.to_thread(m.get_schema, name, revision, "yang")).data
        files = list((REPO_ROOT / "yang").rglob(f"{name}@{revision}.yang"))
        assert len(files) == 1
        assert text.encode() == files[0].read_bytes(), name
    # without version and format: the one revision there is
    text = (await asyncio.to_thread(m.get_schema, MODULE)).data
    assert text == module(MODULE).source
    await asyncio.to_thread(m.close_session)


async def test_unknown_schema_is_an_invalid_value(rig: SwitchRig) -> None:
    m = await rig.session()
    for args in (("no-such-module",), (MODULE, "1999-01-01")):
        with pytest.raises(RPCError) as caught:
            await asyncio.to_thread(m.get_schema, *args)
        assert caught.value.tag == "invalid-value"
    await asyncio.to_thread(m.close_session)


async def test_a_client_knowing_only_the_address_downloads_and_compiles_every_module(
    rig: SwitchRig, tmp_path: Path
) -> None:
    m = await rig.session()
    modules = await asyncio.to_thread(advertised, m)
    assert (MODULE, module(MODULE).revision) in modules
    directory = tmp_path / "downloaded"
    directory.mkdir()
    for name, revision in modules:
        text = (await asyncio.to_thread(m.get_schema, name, revision)).data
        (directory / f"{name}@{revision}.yang").write_text(text, encoding="utf-8")
    await asyncio.to_thread(m.close_session)
    files = sorted(str(path) for path in directory.glob("*.yang"))
    done = subprocess.run(
        [str(PYANG), "-p", str(directory), *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


async def test_discovery_state_passes_yanglint_and_counts(rig: SwitchRig) -> None:
    m = await rig.session()
    await asyncio.to_thread(m.lock, "candidate")
    with pytest.raises(RPCError):
        await asyncio.to_thread(m.get_config, "nonexistent")
    reply = await asyncio.to_thread(m.get)
    assert yanglint_validate_reply(reply.xml, "get", features=AP_FEATURES).valid
    for top in (f'<netconf-state xmlns="{NCM}"/>', f'<yang-library xmlns="{YL}"/>'):
        filtered = await asyncio.to_thread(m.get, filter=subtree(top))
        assert yanglint_validate_reply(filtered.xml, "get", features=AP_FEATURES).valid

    state = data(reply).find(f"{{{NCM}}}netconf-state")
    assert state is not None
    (own,) = elements(state, "ncm:sessions/ncm:session")
    assert own.findtext(f"{{{NCM}}}session-id") == str(m.session_id)
    assert own.findtext(f"{{{NCM}}}transport") == "ncm:netconf-ssh"
    assert own.findtext(f"{{{NCM}}}username") == "admin"
    assert own.findtext(f"{{{NCM}}}source-host") == "127.0.0.1"
    # lock, get-config, get: the get itself is counted before it is answered
    assert own.findtext(f"{{{NCM}}}in-rpcs") == "3"
    assert own.findtext(f"{{{NCM}}}out-rpc-errors") == "1"
    lock = elements(
        state, "ncm:datastores/ncm:datastore[ncm:name='candidate']/ncm:locks/ncm:global-lock"
    )
    assert lock[0].findtext(f"{{{NCM}}}locked-by-session") == str(m.session_id)
    capabilities = texts(state, "ncm:capabilities/ncm:capability/text()")
    assert set(capabilities) == set(m.server_capabilities)
    statistics = state.find(f"{{{NCM}}}statistics")
    assert statistics is not None
    assert statistics.findtext(f"{{{NCM}}}in-sessions") == "1"
    await asyncio.to_thread(m.close_session)

    # a client dropping its connection is a dropped session; close-session was not
    other = await rig.session()
    await asyncio.to_thread(other._session.close)
    m = await rig.session()
    reply = await asyncio.to_thread(
        m.get, filter=subtree(f'<netconf-state xmlns="{NCM}"><statistics/></netconf-state>')
    )
    statistics = data(reply).find(f"{{{NCM}}}netconf-state/{{{NCM}}}statistics")
    assert statistics is not None
    assert statistics.findtext(f"{{{NCM}}}in-sessions") == "3"
    assert statistics.findtext(f"{{{NCM}}}dropped-sessions") == "1"
    await asyncio.to_thread(m.close_session)


async def test_modules_state_and_capabilities_of_an_ap_model(rig: SwitchRig) -> None:
    m = await rig.session()
    yang_library = next(c for c in m.server_capabilities if ":yang-library:1.1?" in c)
    reply = await asyncio.to_thread(m.get, filter=subtree(f'<modules-state xmlns="{YL}"/>'))
    await asyncio.to_thread(m.close_session)
    assert f"revision={module(YANG_LIBRARY_MODULE).revision}" in yang_library
    content_id = yang_library.rpartition("content-id=")[2]
    state = data(reply).find(f"{{{YL}}}modules-state")
    assert state is not None
    assert state.findtext(f"{{{YL}}}module-set-id") == content_id
    features = texts(state, f"yl:module[yl:name='{MODULE}']/yl:feature/text()")
    assert features == [AP_UPGRADE_FEATURE]
    assert any(f"features={AP_UPGRADE_FEATURE}" in c for c in m.server_capabilities)


async def test_a_model_without_ap_support_lacks_the_feature(start: Start) -> None:
    rig = await start(identity("S5735-L"))
    m = await rig.session()
    reply = await asyncio.to_thread(m.get, filter=subtree(f'<yang-library xmlns="{YL}"/>'))
    await asyncio.to_thread(m.close_session)
    smart_upgrade = next(c for c in m.server_capabilities if c.startswith(f"{SU}?module={MODULE}"))
    assert "features" not in smart_upgrade
    (entry,) = elements(data(reply), f"yl:yang-library/yl:module-set/yl:module[yl:name='{MODULE}']")
    assert entry.findall(f"{{{YL}}}feature") == []
    assert yanglint_validate_reply(reply.xml, "get").valid


# --- NMDA ------------------------------------------------------------------------------------


def get_data(datastore: str, body: str = "") -> str:
    return (
        f'<get-data xmlns="{NMDA}" xmlns:ds="{DS}"><datastore>ds:{datastore}</datastore>'
        f"{body}</get-data>"
    )


SU_FILTER = f'<subtree-filter><smart-upgrade xmlns="{SU}"/></subtree-filter>'
ENABLE = (
    f'<ssl-policies xmlns="{module("sunc-ssl-policy").namespace}"><ssl-policy>'
    "<name>HOUP</name></ssl-policy></ssl-policies>"
    f"<smart-upgrade xmlns='{SU}'><ssl-policy>houp</ssl-policy><enabled>true</enabled>"
    "</smart-upgrade>"
)


async def test_edit_data_and_get_data_with_origin(rig: SwitchRig) -> None:
    m = await rig.session()
    m.raise_mode = RaiseMode.NONE
    edit = (
        f'<edit-data xmlns="{NMDA}" xmlns:ds="{DS}"><datastore>ds:candidate</datastore>'
        f"<config>{ENABLE}</config></edit-data>"
    )
    assert (await dispatch(m, edit)).find(f"{{{NC}}}ok") is not None
    candidate = await dispatch(m, get_data("candidate", SU_FILTER))
    assert texts(candidate, "nmda:data/su:smart-upgrade/su:enabled/text()") == ["true"]
    running = await dispatch(m, get_data("running", SU_FILTER))
    assert elements(running, "nmda:data/su:smart-upgrade/su:enabled") == []
    await asyncio.to_thread(m.commit)

    reply = await dispatch(
        m,
        get_data(
            "operational",
            f"{SU_FILTER}<with-origin/><with-defaults>report-all</with-defaults>",
        ),
    )
    top = reply.find(f"{{{NMDA}}}data/{{{SU}}}smart-upgrade")
    assert top is not None
    origin = f"{{{OR}}}origin"
    assert top.find(f"{{{SU}}}enabled").get(origin) == "or:intended"  # type: ignore[union-attr]
    https_port = top.find(f"{{{SU}}}https-port")
    assert https_port is not None and https_port.get(origin) == "or:default"
    # state data carries no origin
    assert all(
        element.get(origin) is None
        for element in top.iter()
        if isinstance(element.tag, str) and element.tag == f"{{{SU}}}state"
    )
    await asyncio.to_thread(m.close_session)


async def test_get_data_config_filter_max_depth_and_errors(rig: SwitchRig) -> None:
    m = await rig.session()
    m.raise_mode = RaiseMode.NONE
    state_only = await dispatch(m, get_data("operational", "<config-filter>false</config-filter>"))
    assert state_only.find(f"{{{NMDA}}}data/{{{NCM}}}netconf-state") is not None
    config_only = await dispatch(m, get_data("operational", "<config-filter>true</config-filter>"))
    assert config_only.find(f"{{{NMDA}}}data/{{{NCM}}}netconf-state") is None
    shallow = await dispatch(m, get_data("operational", "<max-depth>1</max-depth>"))
    tops = shallow.find(f"{{{NMDA}}}data")
    assert tops is not None and len(tops) > 0
    assert all(len(top) == 0 for top in tops)
    xpath = await dispatch(
        m,
        f'<get-data xmlns="{NMDA}" xmlns:ds="{DS}" xmlns:ncm="{NCM}">'
        "<datastore>ds:operational</datastore>"
        "<xpath-filter>/ncm:netconf-state/ncm:statistics</xpath-filter></get-data>",
    )
    assert [e.tag for e in xpath.find(f"{{{NMDA}}}data")] == [  # type: ignore[union-attr]
        f"{{{NCM}}}netconf-state"
    ]
    for request in (
        get_data("running", "<with-origin/>"),
        get_data("intended"),
        f'<edit-data xmlns="{NMDA}" xmlns:ds="{DS}"><datastore>ds:operational</datastore>'
        "<config/></edit-data>",
    ):
        error = (await dispatch(m, request)).find(f"{{{NC}}}rpc-error/{{{NC}}}error-tag")
        assert error is not None and error.text == "invalid-value"
    await asyncio.to_thread(m.close_session)


async def test_nmda_modules_are_in_the_yang_library(rig: SwitchRig) -> None:
    m = await rig.session()
    modules = dict(await asyncio.to_thread(advertised, m))
    await asyncio.to_thread(m.close_session)
    for name in (NMDA_MODULE, ORIGIN_MODULE, DATASTORES_MODULE):
        assert modules[name] == module(name).revision
    nmda = f"{NMDA}?module={NMDA_MODULE}"
    assert not any(c.startswith(nmda) for c in m.server_capabilities)


async def test_xpath_filters_use_module_prefixes_across_datastore_and_discovery(
    rig: SwitchRig,
) -> None:
    m = await rig.session()
    ours = await asyncio.to_thread(m.get, filter=("xpath", "/su:smart-upgrade"))
    statistics = await asyncio.to_thread(
        m.get, filter=("xpath", "/ncm:netconf-state/ncm:statistics")
    )
    await asyncio.to_thread(m.close_session)
    assert [child.tag for child in data(ours)] == [f"{{{SU}}}smart-upgrade"]
    assert [child.tag for child in data(statistics)] == [f"{{{NCM}}}netconf-state"]


async def test_notifications_sent_are_counted(rig: SwitchRig) -> None:
    m = await rig.session()
    await asyncio.to_thread(m.create_subscription)
    await asyncio.to_thread(
        m.edit_config,
        target="running",
        config=f"<config><smart-upgrade xmlns='{SU}'><web-prompt>false</web-prompt>"
        "</smart-upgrade></config>",
    )
    # the config-change notification is queued before this request, so it is sent first
    reply = await asyncio.to_thread(m.get, filter=subtree(f'<netconf-state xmlns="{NCM}"/>'))
    await asyncio.to_thread(m.close_session)
    state = data(reply)
    assert texts(state, "ncm:netconf-state/ncm:statistics/ncm:out-notifications/text()") == ["1"]
    assert texts(
        state, "ncm:netconf-state/ncm:sessions/ncm:session/ncm:out-notifications/text()"
    ) == ["1"]


# --- a model without Smart Upgrade ----------------------------------------------------------

EXCLUDED_MODEL = "S5731-L"


def test_the_sim_serves_an_excluded_model_without_smart_upgrade(tmp_path: Path) -> None:
    with running_sim(tmp_path / "sim", EXCLUDED_MODEL) as sim:
        note, *banner = sim.banner.splitlines(keepends=True)
        assert note.strip() == (
            f"{EXCLUDED_MODEL} does not support Smart Upgrade: serving NETCONF without the "
            "smart-upgrade module"
        )
        snippet = list(
            itertools.takewhile(
                lambda line: not line.startswith("Serving"),
                banner[
                    banner.index(
                        "Quick start with ncclient (read the running configuration; "
                        "this model has no Smart Upgrade):\n"
                    )
                    + 1 :
                ],
            )
        )
        assert SU not in "".join(snippet)
        ran = subprocess.run(
            [sys.executable, "-c", textwrap.dedent("".join(snippet))],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert "ssl-policies" in ran.stdout
        with sim.server.ncclient() as m:
            assert not any(c.startswith(SU) for c in m.server_capabilities)
            assert f"?module={SSL_POLICY_MODULE}" in " ".join(m.server_capabilities)
            names = [name for name, _ in advertised(m)]
            assert MODULE not in names and SSL_POLICY_MODULE in names
            with pytest.raises(RPCError) as refused:
                m.dispatch(etree.fromstring(f'<refresh xmlns="{SU}"/>'))
            assert refused.value.tag in ("operation-not-supported", "unknown-element")
            config = data(m.get_config("running"))
            assert elements(config, "su:smart-upgrade") == []
            assert config.find(f"{{{module(SSL_POLICY_MODULE).namespace}}}ssl-policies") is not None
        sim.process.terminate()
        assert sim.process.wait(timeout=30) == 0
