"""Switches with their web system (tests/support/switch.py), wired to the test's HOUP, in the
test's event loop; browsers of it are ``rig.web_client()`` (tests/support/web.py).

Users: ``admin`` (level 3, management) and ``operator`` (level 2, configuration), shared by
NETCONF, the command line and the web.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from smartupgrade_server.device.clock import Clock
from smartupgrade_server.device.identity import FactoryState, Identity
from smartupgrade_server.transport.users import DEFAULT_PASSWORD, DEFAULT_USERNAME
from tests.support.defaults import FACTORY, IDENTITY, POLICY
from tests.support.switch import Switches, SwitchRig
from tests.support.users import Account

ADMIN, ADMIN_PASSWORD = DEFAULT_USERNAME, DEFAULT_PASSWORD
OPERATOR, OPERATOR_PASSWORD = "operator", "operator-pass"
ACCOUNTS = (Account(ADMIN, ADMIN_PASSWORD), Account(OPERATOR, OPERATOR_PASSWORD, 2))
RigFactory = Callable[..., Awaitable[SwitchRig]]


@pytest.fixture
def make_rig(switches: Switches) -> RigFactory:
    async def make(
        clock: Clock | None = None,
        *,
        cli: bool = False,
        identity: Identity = IDENTITY,
        factory: FactoryState = FACTORY,
    ) -> SwitchRig:
        return await switches.start(
            identity=identity,
            factory=factory,
            accounts=ACCOUNTS,
            clock=clock,
            cli=cli,
            web=True,
        )

    return make


@pytest.fixture
async def rig(make_rig: RigFactory) -> SwitchRig:
    return await make_rig()


async def enable(rig: SwitchRig) -> None:
    """Bind the factory SSL policy and enable smart upgrade, over NETCONF."""
    client = await rig.async_sdk()
    try:
        await client.set_ssl_policy(POLICY)
        await client.enable()
    finally:
        await client.close()
