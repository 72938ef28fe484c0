"""A fleet whose every switch calls one controller home (RFC 8071): the fleet file's
``call_home``, fifty switches, one listener; and a fleet over TLS, trusting the controller's
CA (``tls_client_ca``) and calling it over TLS."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

from lxml import etree

from smartupgrade_model.model import NAMESPACE
from smartupgrade_server.fleet.fleet import Fleet, fleet_tls_certificate
from smartupgrade_server.fleet.spec import FleetSpec, GroupSpec
from tests.integration.test_call_home import Controller
from tests.integration.test_tls_and_call_home import NCM, TlsCallHomeListener
from tests.support.client_pki import ClientCa, connect_tls
from tests.support.transport import RawSession

SWITCHES = 50


async def esn(session: RawSession) -> str | None:
    reply = await session.call(
        f'<get><filter><smart-upgrade xmlns="{NAMESPACE}"><local-information>'
        "<esn/></local-information></smart-upgrade></filter></get>"
    )
    return reply.findtext(f".//{{{NAMESPACE}}}esn")


async def test_fifty_switches_call_one_controller_home(data_dir: Path) -> None:
    controller = await Controller.start()
    spec = FleetSpec(
        groups=(GroupSpec("sw", SWITCHES),),
        base_port=0,
        cli_base_port=-1,
        houp_port=0,
        houp_admin_port=0,
        admin_port=0,
        call_home=(f"ssh://127.0.0.1:{controller.port}",),
    )
    fleet = await Fleet.start(spec, data_dir)
    try:
        sessions = [await controller.calls.get() for _ in range(SWITCHES)]
        answers = await asyncio.gather(*(esn(session) for session in sessions))
        assert sorted(answers, key=str) == sorted(switch.esn for switch in spec.switches)
        # a switch that stops and starts again calls again
        member = fleet.member("sw-07")
        await member.stop()
        await member.start()
        again = await controller.calls.get()
        assert await esn(again) == member.spec.esn
        assert controller.accepted == SWITCHES + 1
    finally:
        await fleet.close()
        await controller.close()


async def test_a_fleet_over_tls_trusts_the_controllers_ca_and_calls_it_over_tls(
    data_dir: Path, tmp_path: Path
) -> None:
    ca = ClientCa(tmp_path / "pki")
    controller = ca.issue("admin")
    # the fleet's certificate is made before the switches start: the listener pins it
    spec_of = partial(
        FleetSpec,
        groups=(GroupSpec("sw", 3),),
        base_port=0,
        cli_base_port=-1,
        tls_base_port=0,
        tls_client_ca=ca.cert_path,
        houp_port=0,
        houp_admin_port=0,
        admin_port=0,
    )
    certificate = fleet_tls_certificate(spec_of(), data_dir)
    assert certificate is not None
    listener = TlsCallHomeListener(controller, certificate.cert_path)

    def answer_three() -> list[tuple[str, etree._Element]]:
        return [listener.answer() for _ in range(3)]

    answers = asyncio.create_task(asyncio.to_thread(answer_three))
    fleet = await Fleet.start(spec_of(call_home=(f"tls://127.0.0.1:{listener.port}",)), data_dir)
    try:
        called = await answers
        transports = {
            entry.findtext(f"{{{NCM}}}transport")
            for _, reply in called
            for entry in reply.iter(f"{{{NCM}}}session")
        }
        assert transports == {"ncm:netconf-tls"}
        # and each switch listens for TLS on a port of its own, with the fleet's certificate
        member = fleet.member("sw-2")
        assert member.tls_port and fleet.tls_certificate == certificate

        def session_id() -> str:
            assert member.tls_port is not None
            with connect_tls(member.tls_port, controller, certificate.cert_path) as m:
                return str(m.session_id)

        assert int(await asyncio.to_thread(session_id)) >= 1
    finally:
        listener.close()
        await fleet.close()
