"""netmiko, scrapli-community and napalm-huawei-vrp against the switch's command line over SSH."""

from __future__ import annotations

from typing import Any

import pytest
from napalm import get_network_driver  # type: ignore[import-untyped]
from netmiko import ConnectHandler
from netmiko.exceptions import ConfigInvalidException
from scrapli import Scrapli

from smartupgrade_model.display import ABSENT, format_value, line
from smartupgrade_model.model import DISPLAY_SECTIONS
from smartupgrade_server.device import messages
from smartupgrade_server.transport.users import DEFAULT_PASSWORD, DEFAULT_USERNAME
from tests.support.defaults import IDENTITY, POLICY
from tests.support.switch import SwitchRig


def parse_display(text: str) -> dict[tuple[str, ...], str]:
    """``display smart-upgrade information`` back into values by the module's labels."""
    values: dict[tuple[str, ...], str] = {}
    for section in DISPLAY_SECTIONS:
        for item in section.fields:
            prefix = line(item.label, "")
            found = [
                shown[len(prefix) :] for shown in text.splitlines() if shown.startswith(prefix)
            ]
            if found:
                (value,) = found
                # a label wider than the colon column has no space before its value, but ` -`
                values[item.path] = (
                    ABSENT if value == line(item.label, ABSENT)[len(prefix) :] else value
                )
    return values


def sdk_values(sim: SwitchRig) -> dict[tuple[str, ...], str]:
    with sim.sdk() as client:
        state: Any = client.read()
    values = {}
    for section in DISPLAY_SECTIONS:
        for item in section.fields:
            value: Any = state
            for name in item.path[1:]:
                value = getattr(value, name.replace("-", "_"))
            values[item.path] = format_value(value, item.time_format)
    return values


@pytest.mark.parametrize("device_type", ["huawei", "huawei_vrp"])
def test_netmiko(sim: SwitchRig, device_type: str) -> None:
    with ConnectHandler(
        device_type=device_type,
        host="127.0.0.1",
        port=sim.cli_port,
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
    ) as connection:
        assert connection.find_prompt() == "<HUAWEI>"
        output = connection.send_config_set(
            [f"smart-upgrade ssl-policy {POLICY}", "smart-upgrade enable"],
            error_pattern=r"Error:",
        )
        assert "[HUAWEI]smart-upgrade enable" in output
        with pytest.raises(ConfigInvalidException):
            connection.send_config_set(["undo smart-upgrade ssl-policy"], error_pattern=r"Error:")
        text = connection.send_command("display smart-upgrade information", read_timeout=60)
        assert isinstance(text, str)
        assert text.splitlines()[0] == str(messages.LOADING)
        assert "needUpdate" in text
        # the display reads back into the values the SDK reads over NETCONF
        shown, read = parse_display(text), sdk_values(sim)
        assert shown == {path: read[path] for path in shown}
        # a switch without an AP shows no AP section
        assert set(read) - set(shown) == {("smart-upgrade", "ap-information", "device-type")}
        assert shown[("smart-upgrade", "ssl-policy")] == POLICY
        assert shown[("smart-upgrade", "schedule-information", "download-time")] == ABSENT
        saved = connection.save_config()
        assert "Info: Save the configuration successfully." in saved


@pytest.mark.parametrize("transport", ["system", "paramiko"])
def test_scrapli_community(sim: SwitchRig, transport: str) -> None:
    with Scrapli(
        host="127.0.0.1",
        port=sim.cli_port,
        auth_username=DEFAULT_USERNAME,
        auth_password=DEFAULT_PASSWORD,
        auth_strict_key=False,
        platform="huawei_vrp",
        transport=transport,
        timeout_ops=60,
    ) as connection:
        version = connection.send_command("display version")
        assert not version.failed
        assert f"({IDENTITY.model} V200R020C00)" in version.result
        configs = connection.send_configs(
            ["smart-upgrade url 10.10.10.20", "smart-upgrade web-prompt disable"]
        )
        assert not configs.failed
        assert connection.send_configs(["smart-upgrade https-port 0"]).failed
        current = connection.send_command("display current-configuration | include ^smart")
        assert current.result.splitlines() == [
            "smart-upgrade url 10.10.10.20",
            "smart-upgrade web-prompt disable",
        ]
    with sim.sdk() as client:
        assert client.read_config().url == "10.10.10.20"


def test_napalm_get_facts(sim: SwitchRig) -> None:
    driver = get_network_driver("huawei_vrp")(
        "127.0.0.1", DEFAULT_USERNAME, DEFAULT_PASSWORD, optional_args={"port": sim.cli_port}
    )
    driver.open()
    try:
        facts = driver.get_facts()
    finally:
        driver.close()
    assert facts["vendor"] == "Huawei"
    assert facts["hostname"] == "HUAWEI"
    assert facts["os_version"] == "V200R020C00"
    assert facts["model"] == IDENTITY.device_name
    assert facts["serial_number"] == [IDENTITY.esn]
    assert "MEth0/0/1" in facts["interface_list"]
