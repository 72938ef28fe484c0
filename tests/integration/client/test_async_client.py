"""The asyncio client against a real switch."""

from __future__ import annotations

import asyncio

import pytest

from smartupgrade_client import edits
from smartupgrade_client.errors import AuthenticationFailed, OperationFailed
from smartupgrade_model.convert import SslPolicy
from smartupgrade_model.model import SmartUpgrade
from tests.support.switch import SwitchRig


async def test_configure_and_read(sim: SwitchRig) -> None:
    async with await sim.async_sdk() as client:
        await client.create_ssl_policy("HOUP")
        await client.set_ssl_policy("houp")
        await client.enable()
        await client.set_url("10.10.10.20")
        state = await client.read()
        assert (state.enabled, state.ssl_policy, state.url) == (True, "houp", "10.10.10.20")
        assert state.local_information.esn == sim.identity.esn
        assert await client.ssl_policies() == (SslPolicy("houp"),)
        await client.configure(edits.disable(), edits.undo_url(), edits.undo_ssl_policy())
        await client.delete_ssl_policy("houp")
        assert await client.read_config() == SmartUpgrade()


async def test_typed_errors(sim: SwitchRig) -> None:
    async with await sim.async_sdk() as client:
        with pytest.raises(OperationFailed) as caught:
            await client.enable()
        assert caught.value.app_tag == "ssl-policy-not-bound"
    with pytest.raises(AuthenticationFailed):
        await sim.server(password="wrong").async_sdk()


async def test_concurrent_tasks_share_one_session(sim: SwitchRig) -> None:
    async with await sim.async_sdk() as client:
        await client.set_https_port(10020)
        states = await asyncio.gather(*(client.read() for _ in range(50)))
        assert {state.https_port for state in states} == {10020}


async def test_wait_returns_when_nothing_runs(sim: SwitchRig) -> None:
    async with await sim.async_sdk() as client:
        assert (await client.wait(timeout=5)).upgrade_status is None
