"""Hostile NETCONF input sent to a running emulated switch over SSH (issue #13).

Each attack runs on one session while a second session of the same switch, the watchdog, asks
for its configuration: the watchdog must be answered within WATCHDOG_BOUND, a bound generous
enough for a loaded 2-core machine (the latencies measured are in the commit bodies; run with
``-s`` to see them), and the attacker gets the rpc-error the limits promise.
"""

import asyncio
import random
import time
from collections.abc import AsyncIterator

import pytest
from lxml import etree

from smartupgrade_server.netconf.capabilities import BASE_NS
from smartupgrade_server.netconf.framing import (
    DEFAULT_MAX_MESSAGE_SIZE,
    encode_chunked,
    encode_end_of_message,
)
from smartupgrade_server.netconf.xml_parser import (
    DOCTYPE_REFUSED,
    MAX_ATTRIBUTES,
    MAX_NAMESPACE_DECLARATIONS,
)
from smartupgrade_server.sim.emulated_switch import EmulatedSwitch
from tests.support.fuzz import examples, mutated
from tests.support.hostile_xml import REFUSED_DOCTYPE, REFUSED_ENCODING
from tests.support.raw_netconf import RawSession
from tests.support.switch import Switches

WATCHDOG_BOUND = 5.0
SU = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
WATCHDOG_REQUEST = (
    "<get-config><source><running/></source>"
    f'<filter type="subtree"><smart-upgrade xmlns="{SU}"/></filter></get-config>'
)
NC = f"{{{BASE_NS}}}"


class Watchdog:
    """The second session: asks, and keeps the slowest answer."""

    def __init__(self, session: RawSession) -> None:
        self.session = session
        self.slowest = 0.0
        self.asked = 0

    async def answers(self) -> None:
        start = time.perf_counter()
        self.asked += 1
        reply = await asyncio.wait_for(
            self.session.call(WATCHDOG_REQUEST, f"watchdog-{self.asked}"), WATCHDOG_BOUND
        )
        assert reply.find(f"{NC}data") is not None
        self.slowest = max(self.slowest, time.perf_counter() - start)


@pytest.fixture
async def switch(switches_without_houp: Switches) -> EmulatedSwitch:
    return (await switches_without_houp.start()).switch


@pytest.fixture
async def watchdog(switch: EmulatedSwitch) -> AsyncIterator[Watchdog]:
    dog = Watchdog(await RawSession.open(switch.port))
    yield dog
    print(f"\nwatchdog: {dog.asked} answers, slowest {dog.slowest * 1000:.1f} ms")
    await dog.answers()
    dog.session.close()


def error_of(reply: bytes) -> tuple[str | None, str | None, str | None]:
    """error-tag, error-message and the reply's message-id."""
    element = etree.fromstring(reply)
    error = element.find(f"{NC}rpc-error")
    assert error is not None, reply[:300]
    return (
        error.findtext(f"{NC}error-tag"),
        error.findtext(f"{NC}error-message"),
        element.get("message-id"),
    )


async def attack(
    switch: EmulatedSwitch, watchdog: Watchdog, framed: bytes, attacker: RawSession | None = None
) -> bytes:
    """Send ``framed`` and ask the watchdog while the switch works on it; the attacker's reply
    (b"" if the switch closed the session)."""
    session = attacker or await RawSession.open(switch.port)
    session.writer.write(framed)
    reply, _ = await asyncio.gather(session.read_message(), watchdog.answers())
    if attacker is None:
        session.close()
    return reply


async def test_every_doctype_and_foreign_encoding_is_refused_and_the_session_goes_on(
    switch: EmulatedSwitch, watchdog: Watchdog
) -> None:
    attacker = await RawSession.open(switch.port)
    hostile = {**REFUSED_DOCTYPE, **REFUSED_ENCODING}
    del hostile["in-hello"]
    for name, message in hostile.items():
        tag, text, message_id = error_of(
            await attack(switch, watchdog, encode_chunked(message), attacker)
        )
        assert (tag, message_id) == ("malformed-message", None), name
        assert (text == DOCTYPE_REFUSED) is (name in REFUSED_DOCTYPE), name
    assert (await attacker.call("<get/>")).find(f"{NC}data") is not None
    attacker.close()


async def test_a_doctype_in_the_hello_closes_that_session_only(
    switch: EmulatedSwitch, watchdog: Watchdog
) -> None:
    attacker = await RawSession.open(switch.port, hello=False)
    attacker.writer.write(encode_end_of_message(REFUSED_DOCTYPE["in-hello"]))
    reply, _ = await asyncio.gather(attacker.read_message(), watchdog.answers())
    assert reply == b""


async def test_100000_attributes_on_rpc_are_too_big(
    switch: EmulatedSwitch, watchdog: Watchdog
) -> None:
    # 1.4 MB: the quadratic echo froze the switch for 100 s
    attributes = "".join(f' a{i}="v"' for i in range(100_000))
    big = f'<rpc message-id="1" xmlns="{BASE_NS}"{attributes}><get/></rpc>'.encode()
    tag, text, message_id = error_of(await attack(switch, watchdog, encode_chunked(big)))
    assert (tag, message_id) == ("too-big", None)
    assert text == (
        f"a message of {len(big)} bytes, over the limit of {DEFAULT_MAX_MESSAGE_SIZE} bytes "
        "was not read"
    )
    # under the size limit: the attribute limit
    attributes = "".join(f' a{i}="v"' for i in range(50_000))
    many = f'<rpc message-id="2" xmlns="{BASE_NS}"{attributes}><get/></rpc>'.encode()
    assert error_of(await attack(switch, watchdog, encode_chunked(many))) == (
        "too-big",
        f"an element has more than {MAX_ATTRIBUTES} attributes",
        None,
    )


async def test_40000_namespace_declarations_are_too_big(
    switch: EmulatedSwitch, watchdog: Watchdog
) -> None:
    # 1 MB: lxml took 22 s to serialise one child of an rpc carrying them
    declarations = "".join(f' xmlns:p{i}="urn:p{i}"' for i in range(40_000))
    rpc = f'<rpc message-id="5" xmlns="{BASE_NS}"{declarations}><get/></rpc>'
    assert error_of(await attack(switch, watchdog, encode_chunked(rpc.encode()))) == (
        "too-big",
        f"more than {MAX_NAMESPACE_DECLARATIONS} namespace declarations",
        None,
    )


async def test_the_worst_markup_a_message_may_carry(
    switch: EmulatedSwitch, watchdog: Watchdog
) -> None:
    body = "<a x='1' y='2'/>" * ((DEFAULT_MAX_MESSAGE_SIZE - 200) // 16)
    dense = f'<rpc message-id="3" xmlns="{BASE_NS}"><get><filter>{body}</filter></get></rpc>'
    assert error_of(await attack(switch, watchdog, encode_chunked(dense.encode()))) == (
        "too-big",
        "a subtree filter of more than 1000 elements",
        "3",
    )
    deep = f'<rpc message-id="4" xmlns="{BASE_NS}"><get>{"<a>" * 300}{"</a>" * 300}</get></rpc>'
    tag, text, _ = error_of(await attack(switch, watchdog, encode_chunked(deep.encode())))
    assert tag == "too-big"
    assert (text or "").startswith("beyond the XML parser's limits: Excessive depth")


async def test_an_xpath_filter_that_nests_scans_is_refused_before_it_runs(
    switch: EmulatedSwitch, watchdog: Watchdog
) -> None:
    # cubic: 2.2 s of the event loop on 600 nodes; 40 levels: forever
    for depth, message_id in ((2, "6"), (40, "7")):
        select = "//*" + "[count(//*" * depth + ")>0]" * depth
        rpc = (
            f'<rpc message-id="{message_id}" xmlns="{BASE_NS}">'
            f'<get><filter type="xpath" select="{select}"/></get></rpc>'
        )
        started = time.perf_counter()
        tag, text, replied_to = error_of(
            await attack(switch, watchdog, encode_chunked(rpc.encode()))
        )
        assert time.perf_counter() - started < WATCHDOG_BOUND
        assert (tag, replied_to) == ("resource-denied", message_id)
        assert (text or "").startswith(f"XPath expression '{select}' would visit more than")
    # one scan inside a predicate, on data this size, is within the bound
    square = "//*[. = //*]"
    rpc = (
        f'<rpc message-id="8" xmlns="{BASE_NS}">'
        f'<get><filter type="xpath" select="{square}"/></get></rpc>'
    )
    reply = etree.fromstring(await attack(switch, watchdog, encode_chunked(rpc.encode())))
    assert reply.find(f"{NC}data") is not None


async def test_an_endless_chunk_is_dropped_as_it_arrives(
    switch: EmulatedSwitch, watchdog: Watchdog
) -> None:
    attacker = await RawSession.open(switch.port)
    attacker.writer.write(b"\n#4294967295\n")
    for _ in range(8):
        attacker.writer.write(b"x" * (1024 * 1024))
        await watchdog.answers()
    attacker.close()


async def test_fuzzed_messages_over_ssh(switch: EmulatedSwitch, watchdog: Watchdog) -> None:
    attacker = await RawSession.open(switch.port)
    for seed in range(examples(40)):
        message = mutated(random.Random(seed))
        if not message:
            continue
        reply = await attack(switch, watchdog, encode_chunked(message), attacker)
        if reply == b"":
            # a mutated hello ends the session (RFC 6241 section 8.1): a new attacker
            attacker = await RawSession.open(switch.port)
            continue
        assert etree.fromstring(reply).tag == f"{NC}rpc-reply", seed
    attacker.close()


async def test_large_requests_sent_at_once_are_answered_in_order(
    switch: EmulatedSwitch, watchdog: Watchdog
) -> None:
    # parsed on a worker thread one after another, interleaved with small ones parsed at once;
    # 3 MB in flight also makes the switch stop reading until the first are answered
    session = await RawSession.open(switch.port)
    large = (
        "<get-config><source><running/></source><filter type='subtree'>"
        + "<x/>" * 200_000
        + "</filter></get-config>"
    )
    for number in range(6):
        session.send_rpc(f"r{number}", large if number % 2 == 0 else WATCHDOG_REQUEST)

    async def replies() -> list[str | None]:
        return [etree.fromstring(await session.read_message()).get("message-id") for _ in range(6)]

    answered, _ = await asyncio.gather(replies(), watchdog.answers())
    assert answered == [f"r{number}" for number in range(6)]
    session.close()
