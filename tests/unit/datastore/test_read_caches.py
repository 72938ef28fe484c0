"""get and get-config answer from kept instances and renderings, and from only the top-level
nodes a filter can select: every reply must equal the one computed from scratch (the whole
datastore converted, rendered and then filtered) after each kind of change.

Also: commit applies an unchanged candidate as it was validated at edit-config, and anything
else only after validating it."""

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.codec import (
    WITH_DEFAULTS_PARAM_NS,
    Schema,
    WithDefaults,
)
from smartupgrade_server.datastore.filters import FilterContext, parse_filter
from smartupgrade_server.datastore.store import ConfigChange, DatastoreName, Datastores
from smartupgrade_server.netconf.errors import ErrorTag, ErrorType, RpcError
from smartupgrade_server.operations.capabilities import BASIC_MODE
from tests.support.operations import OperationsRig
from tests.support.xml import canonical

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
SU = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
SSLP = "urn:smart-upgrade-netconf:yang:sunc-ssl-policy"
SMART = "sunc-smart-upgrade:smart-upgrade"
POLICIES = "sunc-ssl-policy:ssl-policies"
RUNNING, CANDIDATE, STARTUP = DatastoreName.RUNNING, DatastoreName.CANDIDATE, DatastoreName.STARTUP
SESSION = 1

PEM = "-----BEGIN CERTIFICATE-----\nMIIBijCCAS+gAwIBAgIUAVa1\n-----END CERTIFICATE-----"
CONFIG: RawObject = {
    POLICIES: {"ssl-policy": [{"name": "houp", "trusted-ca": [PEM]}, {"name": "spare"}]},
    # verify-server as its default: explicit reports it, trim does not
    SMART: {
        "url": "10.0.0.1",
        "https-port": 10020,
        "ssl-policy": "houp",
        "enabled": True,
        "verify-server": True,
    },
}

FILTERS = {
    "none": "",
    "empty subtree": '<filter type="subtree"/>',
    "smart-upgrade": f'<filter type="subtree"><smart-upgrade xmlns="{SU}"/></filter>',
    "ssl-policies": f'<filter type="subtree"><ssl-policies xmlns="{SSLP}"/></filter>',
    "both": (
        f'<filter type="subtree"><smart-upgrade xmlns="{SU}"/><ssl-policies xmlns="{SSLP}"/>'
        "</filter>"
    ),
    "no namespace": "<filter><smart-upgrade/></filter>",
    "unknown namespace": '<filter><smart-upgrade xmlns="urn:nowhere"/></filter>',
    "content match at the top": f'<filter><smart-upgrade xmlns="{SU}">x</smart-upgrade></filter>',
    "containment": (
        f'<filter><smart-upgrade xmlns="{SU}"><https-port/><local-information/>'
        "</smart-upgrade></filter>"
    ),
    "content match in a list": (
        f'<filter><ssl-policies xmlns="{SSLP}"><ssl-policy><name>houp</name></ssl-policy>'
        "</ssl-policies></filter>"
    ),
    "xpath": '<filter type="xpath" select="/su:smart-upgrade/su:url"/>',
    "xpath everything": '<filter type="xpath" select="/"/>',
}


class State:
    """State data as the device link provides it: the same object while it is unchanged."""

    def __init__(self) -> None:
        self.raw: RawObject = {}
        self.set("2102351XFR10P0000001")

    def __call__(self) -> RawObject:
        return self.raw

    def set(self, esn: str) -> None:
        self.raw = {SMART: {"local-information": {"esn": esn, "software-version": "V200"}}}


async def read(server: OperationsRig, operation: str) -> bytes:
    """The reply's data, checked against the reply computed from scratch."""
    reply = await server.call(operation)
    assert reply is not None
    data = canonical(reply)
    assert data == from_scratch(server, operation)
    return data


def state_of(server: OperationsRig) -> RawObject:
    assert server.state is not None
    return server.state()


def from_scratch(server: OperationsRig, operation: str) -> bytes:
    element = etree.fromstring(f'<x xmlns="{NC}" xmlns:su="{SU}">{operation}</x>')[0]
    source = element.find(f"{{{NC}}}source")
    if source is None:
        raw = merged(server.datastores.raw(RUNNING), state_of(server))
    else:
        raw = server.datastores.raw(DatastoreName(etree.QName(source[0]).localname))
    instance = server.schema.model.from_raw(raw)
    mode_element = element.find(f"{{{WITH_DEFAULTS_PARAM_NS}}}with-defaults")
    mode = BASIC_MODE if mode_element is None else WithDefaults(mode_element.text or "")
    value = (
        instance.add_defaults().value
        if mode in (WithDefaults.REPORT_ALL, WithDefaults.REPORT_ALL_TAGGED)
        else instance.value
    )
    data = server.schema.render(value, config_only=source is not None, mode=mode)
    filter_element = element.find(f"{{{NC}}}filter")
    if filter_element is not None:
        context = FilterContext(server.schema.list_keys, server.schema.xpath_prefixes)
        data = parse_filter(filter_element).apply(data, context)
    return canonical(data)


def merged(config: RawObject, state: RawObject) -> RawObject:
    for name, value in state.items():
        if isinstance(value, dict) and isinstance(config.get(name), dict):
            merged(config[name], value)
        else:
            config[name] = value
    return config


def get(body: str = FILTERS["smart-upgrade"]) -> str:
    return f"<get>{body}</get>"


def get_config(source: str = "running", body: str = FILTERS["none"]) -> str:
    return f"<get-config><source><{source}/></source>{body}</get-config>"


def with_defaults(mode: WithDefaults) -> str:
    return f'<with-defaults xmlns="{WITH_DEFAULTS_PARAM_NS}">{mode}</with-defaults>'


def edit(body: str, target: str = "candidate", test_option: str = "test-then-set") -> str:
    return (
        f"<edit-config><target><{target}/></target><test-option>{test_option}</test-option>"
        f'<config><smart-upgrade xmlns="{SU}">{body}</smart-upgrade></config></edit-config>'
    )


def port(port_number: int) -> str:
    return edit(f"<https-port>{port_number}</https-port>")


@pytest.fixture
def state() -> State:
    return State()


@pytest.fixture
def server(schema: Schema, tmp_path: Path, state: State) -> OperationsRig:
    rig = OperationsRig(tmp_path, schema, state=state, prefixes={"su": SU})
    rig.datastores.copy(RUNNING, CONFIG, SESSION)
    return rig


READS = [get(), get_config(), get(FILTERS["none"]), get_config(body=FILTERS["smart-upgrade"])]


async def read_all(server: OperationsRig) -> list[bytes]:
    return [await read(server, operation) for operation in READS]


# --- what invalidates a kept reply ---------------------------------------------------------


async def test_commit_is_seen_by_every_read(server: OperationsRig) -> None:
    before = await read_all(server)
    await server.call(port(10021))
    # the candidate's change is not running's yet
    assert await read_all(server) == before
    assert b"10021" in await read(server, get_config("candidate"))
    await server.call("<commit/>")
    after = await read_all(server)
    assert all(b"10021" in data and b"10020" not in data for data in after)


@pytest.mark.parametrize("how", ["timeout", "cancel-commit", "session ends"])
async def test_rollback_of_a_confirmed_commit_is_seen(server: OperationsRig, how: str) -> None:
    before = await read_all(server)
    await server.call(port(10021))
    await server.call("<commit><confirmed/></commit>")
    assert all(b"10021" in data for data in await read_all(server))
    if how == "timeout":
        server.scheduler.fire()
    elif how == "cancel-commit":
        await server.call("<cancel-commit/>")
    else:
        server.datastores.session_ended(SESSION)
    assert await read_all(server) == before


async def test_a_system_edit_of_the_device_is_seen(server: OperationsRig) -> None:
    await read_all(server)

    def unbind(config: RawObject) -> None:
        config[SMART]["url"] = "10.0.0.2"

    server.datastores.system_edit(unbind)
    assert all(b"10.0.0.2" in data for data in await read_all(server))


@pytest.mark.parametrize("source", ["inline", "candidate", "startup"])
async def test_copy_config_to_running_is_seen(server: OperationsRig, source: str) -> None:
    replacement = {SMART: {**CONFIG[SMART], "url": "10.0.0.3"}, POLICIES: CONFIG[POLICIES]}
    if source == "candidate":
        await server.call(edit("<url>10.0.0.3</url>"))
    elif source == "startup":
        server.datastores.copy(STARTUP, replacement, SESSION)
    await read_all(server)
    if source == "inline":
        await server.call(
            "<copy-config><target><running/></target><source><config>"
            f'<smart-upgrade xmlns="{SU}"><url>10.0.0.3</url></smart-upgrade>'
            "</config></source></copy-config>"
        )
    else:
        await server.call(
            f"<copy-config><target><running/></target><source><{source}/></source></copy-config>"
        )
    assert all(b"10.0.0.3" in data for data in await read_all(server))


async def test_a_change_of_the_state_is_seen_and_only_then_converted_again(
    server: OperationsRig, state: State
) -> None:
    members = frozenset({SMART})
    kept = server.datastores.operational(members)
    assert server.datastores.operational(members) is kept
    assert b"2102351XFR10P0000001" in await read(server, get())
    state.set("2102351XFR10P0000002")
    assert server.datastores.operational(members) is not kept
    data = await read(server, get())
    assert b"2102351XFR10P0000002" in data and b"2102351XFR10P0000001" not in data


async def test_state_equal_to_the_last_is_recognised_even_as_a_new_object(
    server: OperationsRig, state: State
) -> None:
    kept = server.datastores.operational()
    state.set("2102351XFR10P0000001")
    assert server.datastores.operational() is kept


@pytest.mark.parametrize("source", ["running", "candidate", "startup"])
async def test_every_with_defaults_mode_has_its_own_rendering(
    server: OperationsRig, source: str
) -> None:
    await server.call(edit("<web-prompt>false</web-prompt>"))
    server.datastores.copy(STARTUP, CONFIG, SESSION)
    for _ in range(2):
        replies = {
            mode: await read(server, get_config(source, with_defaults(mode)))
            for mode in WithDefaults
        }
        for mode in WithDefaults:
            await read(server, get(with_defaults(mode)))
    assert len(set(replies.values())) == len(WithDefaults)
    assert b"s.houp.huawei.com" not in replies[WithDefaults.EXPLICIT]
    assert b'wd:default="true"' in replies[WithDefaults.REPORT_ALL_TAGGED]


@pytest.mark.parametrize("name", FILTERS)
async def test_filters_of_every_shape_select_what_the_whole_tree_would(
    server: OperationsRig, name: str
) -> None:
    body = FILTERS[name]
    for operation in (get(body), get_config(body=body), get_config("candidate", body)):
        first = await read(server, operation)
        assert await read(server, operation) == first
    await server.call(port(10021))
    await server.call("<commit/>")
    await read(server, get(body))
    await read(server, get_config(body=body))


async def test_filters_read_one_after_another_do_not_mix(server: OperationsRig) -> None:
    for _ in range(2):
        for body in FILTERS.values():
            await read(server, get(body))
            await read(server, get_config(body=body))


async def test_a_reply_without_filter_is_a_copy(server: OperationsRig) -> None:
    reply = await server.call(get(FILTERS["none"]))
    assert reply is not None
    reply.clear()
    await read(server, get(FILTERS["none"]))


# --- commit and validation -----------------------------------------------------------------


class Recorder:
    """A subscriber that records the changes offered and vetoes them while ``refuse`` is set."""

    def __init__(self) -> None:
        self.changes: list[ConfigChange] = []
        self.refuse = False

    def prepare(self, change: ConfigChange) -> None:
        self.changes.append(change)
        if self.refuse:
            raise RpcError(ErrorTag.OPERATION_FAILED, ErrorType.APPLICATION, message="not now")

    def commit(self, change: ConfigChange) -> None:
        """Nothing to apply."""

    def abort(self, change: ConfigChange) -> None:
        """Nothing to undo."""


async def test_commit_applies_what_was_validated_and_offers_its_raw_form(
    server: OperationsRig,
) -> None:
    recorder = Recorder()
    server.datastores.subscribe(recorder)
    await server.call(port(10021))
    await server.call("<commit/>")
    (change,) = recorder.changes
    assert change.config == change.new.raw_value() == server.datastores.raw(RUNNING)
    assert server.datastores.instance(RUNNING) is change.new
    assert server.datastores.instance(RUNNING).raw_value() == server.datastores.raw(RUNNING)


async def test_commit_validates_a_candidate_set_without_validation(server: OperationsRig) -> None:
    await server.call(edit("<ssl-policy>nowhere</ssl-policy>", test_option="set"))
    with pytest.raises(RpcError) as caught:
        await server.call("<commit/>")
    assert (caught.value.tag, caught.value.app_tag) == (ErrorTag.DATA_MISSING, "instance-required")
    assert server.datastores.raw(RUNNING) == CONFIG


async def test_a_candidate_edited_without_validation_after_a_validated_edit_is_validated(
    server: OperationsRig,
) -> None:
    await server.call(port(10021))
    await server.call(edit("<ssl-policy>nowhere</ssl-policy>", test_option="set"))
    with pytest.raises(RpcError):
        await server.call("<commit/>")
    assert server.datastores.raw(RUNNING) == CONFIG


async def test_a_vetoed_commit_leaves_the_candidate_as_validated(server: OperationsRig) -> None:
    recorder = Recorder()
    server.datastores.subscribe(recorder)
    await server.call(port(10021))
    candidate = server.datastores.raw(CANDIDATE)
    recorder.refuse = True
    with pytest.raises(RpcError):
        await server.call("<commit/>")
    assert server.datastores.raw(CANDIDATE) == candidate
    recorder.refuse = False
    await server.call("<commit/>")
    assert server.datastores.raw(RUNNING) == candidate
    assert [change.config for change in recorder.changes] == [candidate, candidate]


RawEdit = Callable[[Datastores], None]


def discard(datastores: Datastores) -> None:
    datastores.discard_changes(SESSION)


def unlock(datastores: Datastores) -> None:
    datastores.lock(CANDIDATE, SESSION)
    datastores.unlock(CANDIDATE, SESSION)


@pytest.mark.parametrize("drop", [discard, unlock])
async def test_a_dropped_candidate_keeps_no_validation(
    server: OperationsRig, drop: RawEdit
) -> None:
    await server.call(port(10021))
    drop(server.datastores)
    assert server.datastores.instance(CANDIDATE) is server.datastores.instance(RUNNING)
    await server.call(edit("<ssl-policy>nowhere</ssl-policy>", test_option="set"))
    with pytest.raises(RpcError):
        await server.call("<commit/>")
