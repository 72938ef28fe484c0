"""The switch's veto of configuration changes YANG cannot express (no sockets)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from smartupgrade_model.model import Ap, Schedule, SmartUpgrade, UpgradeTarget
from smartupgrade_server.device.clock import SimulatedClock
from smartupgrade_server.device.identity import FactoryState, Identity
from smartupgrade_server.device.refusals import ConfigRejectedError, OperationRefusedError
from smartupgrade_server.device.switch import Switch

START = datetime(2026, 11, 27, 9, 0, tzinfo=timezone(timedelta(hours=8)))
POLICIES = {"houp": ["-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----"]}


def make(tmp_path: Path, model: str = "S5732-H") -> Switch:
    return Switch(
        tmp_path,
        identity=Identity(model, model, "2102351XFR10P2000123"),
        factory=FactoryState("V200R020C00"),
        clock=SimulatedClock(START),
        houp_public_key="",
    )


def rejected(switch: Switch, config: SmartUpgrade) -> str:
    with pytest.raises(ConfigRejectedError) as error:
        switch.check_config(config, POLICIES)
    return error.value.app_tag


def test_enable_needs_a_bound_existing_policy(tmp_path: Path) -> None:
    switch = make(tmp_path)
    assert rejected(switch, SmartUpgrade(enabled=True)) == "ssl-policy-not-bound"
    assert rejected(switch, SmartUpgrade(ssl_policy="other")) == "ssl-policy-not-found"
    switch.check_config(SmartUpgrade(enabled=True, ssl_policy="houp"), POLICIES)


def test_ap_enable_needs_an_ap_model_and_enable(tmp_path: Path) -> None:
    ap_on = SmartUpgrade(enabled=True, ssl_policy="houp", ap=Ap(enabled=True))
    assert rejected(make(tmp_path / "a", "S5735-L"), ap_on) == "ap-upgrade-not-supported"
    switch = make(tmp_path / "b")
    switch.check_config(ap_on, POLICIES)
    disabled = SmartUpgrade(ssl_policy="houp", ap=Ap(enabled=True))
    assert rejected(switch, disabled) == "smart-upgrade-not-enabled"


def test_schedule_times_against_the_switch_clock(tmp_path: Path) -> None:
    switch = make(tmp_path)
    past = SmartUpgrade(schedule=Schedule("2026-11-27 08:59:59"))
    assert rejected(switch, past) == "download-time-not-in-future"
    backwards = SmartUpgrade(schedule=Schedule("2026-11-27 10:00:00", "2026-11-27 09:30:00"))
    assert rejected(switch, backwards) == "reboot-not-after-download"
    switch.check_config(SmartUpgrade(schedule=Schedule("2026-11-27 09:00:01")), POLICIES)


async def test_operations_need_smart_upgrade_enabled(tmp_path: Path) -> None:
    switch = make(tmp_path)
    with pytest.raises(OperationRefusedError) as refused:
        await switch.download()
    assert refused.value.app_tag == "smart-upgrade-not-enabled"
    switch.apply_config(SmartUpgrade(enabled=True, ssl_policy="houp"), POLICIES)
    with pytest.raises(OperationRefusedError) as refused:
        await switch.right_now(UpgradeTarget.AP)
    assert refused.value.app_tag == "ap-upgrade-not-enabled"
    with pytest.raises(OperationRefusedError) as refused:
        switch.cancel()
    assert refused.value.app_tag == "no-upgrade-in-progress"


def test_unsupported_models_are_not_switches_with_smart_upgrade(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        make(tmp_path, "S5731-L")
