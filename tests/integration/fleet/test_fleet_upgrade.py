"""The issue's CI fleet: 21 switches of five models in one ``smartupgrade-sim fleet`` process,
three of them with a fault of their own (a HOUP door serving bad signatures, a flash too small
for the image, a HOUP door that does not answer) and one model without Smart Upgrade, upgraded
end to end by ``smartupgrade fleet`` over real SSH and HTTPS. Each switch ends as its model and
fault imply, and the others upgrade regardless."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smartupgrade_client.cli.exit_codes import ExitCode
from smartupgrade_server.device.products import supports_smart_upgrade
from smartupgrade_server.fleet.spec import SwitchSpec, load_fleet_file
from tests.support.sim import running_fleet, smartupgrade_fleet

FACTORY_SOFTWARE, FACTORY_PATCH = "V200R020C00", "V200R020SPH"
# Small images keep the run short: what matters is that real bytes cross HTTPS to every switch.
CATALOGUE = """\
families:
  - family: S5732-H
    upgrades: &campus
      - from: {software: "V200R020*"}
        to:
          software: V200R024C00
          patch: V200R020SPH001
          description_en: "1)description:2)CC+SPH"
          software_package: {name: "{family}-V200R024C00.cc", size: 524288}
          patch_package: {name: "{family}-V200R020SPH001.pat", size: 14910}
  - {family: S6730-H, upgrades: *campus}
  - family: S2700
    models: ["S27*"]
    upgrades:
      - from: {software: "V200R020*"}
        to:
          software: V200R023C00
          patch: V200R023SPH001
          software_package: {name: "{family}-V200R023C00.cc", size: 393216}
          patch_package: {name: "{family}-V200R023SPH001.pat", size: 9216}
  - family: S5700
    models: ["S57*"]
    upgrades:
      - from: {software: "V200R020*"}
        to:
          software: V200R024C00
          software_package: {name: "{family}-V200R024C00.cc", size: 262144}
"""
# model -> the software and patch the catalogue offers it
OFFERS = {
    "S5732-H": ("V200R024C00", "V200R020SPH001"),
    "S6730-H": ("V200R024C00", "V200R020SPH001"),
    "S5735-L": ("V200R024C00", None),
    "S2720-EI": ("V200R023C00", "V200R023SPH001"),
}
FLEET_FILE = """\
base_port: 0
houp_port: 0
houp_admin_port: 0
admin_port: 0
clock: 60
reboot_seconds: 5
catalogue: catalogue.yaml
groups:
  - {name: campus, count: 9, models: [S5732-H, S6730-H]}
  - {name: access, count: 8, models: [S5735-L, S2720-EI]}
  - {name: bad-signature, count: 1, houp_faults: {corrupt_signature: ["*"]}}
  - {name: small-flash, count: 1, models: S6730-H, flash_capacity: 256K}
  - {name: no-houp, count: 1, models: S5735-L, houp_faults: {unreachable: true}}
  - {name: no-smart-upgrade, count: 1, models: S5731-L}
"""
# group -> the upgrade status its fault ends the upgrade with
FAULT_STATUS = {
    "bad-signature": "fileCheckFailed",
    "small-flash": "writeFlashFailed",
    "no-houp": "netError",
}


@dataclass(frozen=True)
class Outcome:
    """What ``right-now`` ends with on a switch, and the versions it runs afterwards."""

    exit: ExitCode
    detail: str
    software: str | None
    patch: str | None


def expected(switch: SwitchSpec) -> Outcome:
    if not supports_smart_upgrade(switch.model):
        # its hello announces no smart-upgrade module: nothing is sent
        return Outcome(
            ExitCode.NOT_SUPPORTED, "This switch does not support Smart Upgrade", None, None
        )
    status = FAULT_STATUS.get(switch.group)
    if status is not None:
        return Outcome(
            ExitCode.UPGRADE_FAILED,
            f"upgrade ended with status {status}.",
            FACTORY_SOFTWARE,
            FACTORY_PATCH,
        )
    software, patch = OFFERS[switch.model]
    return Outcome(ExitCode.OK, f"{FACTORY_SOFTWARE} -> {software} (success)", software, patch)


def test_a_mixed_fleet_upgraded_end_to_end(tmp_path: Path, data_dir: Path) -> None:
    (tmp_path / "catalogue.yaml").write_text(CATALOGUE)
    fleet_file = tmp_path / "fleet-file.yaml"
    fleet_file.write_text(FLEET_FILE)
    switches = load_fleet_file(fleet_file, {}).switches
    assert len(switches) == 21
    assert {s.model for s in switches} == {*OFFERS, "S5731-L"}
    outcomes = {switch.name: expected(switch) for switch in switches}
    inventory = tmp_path / "inventory.yaml"

    with running_fleet(data_dir, str(fleet_file), f"--inventory-out={inventory}") as fleet:
        assert "21 running, 0 failed" in fleet.banner

        for command in (["ssl-policy", "houp"], ["enable"]):
            run = smartupgrade_fleet(inventory, *command)
            assert run.code == ExitCode.FLEET_FAILED, run.stderr
            assert {name: row["exit"] for name, row in run.rows.items()} == {
                name: ExitCode.NOT_SUPPORTED if outcome.software is None else ExitCode.OK
                for name, outcome in outcomes.items()
            }

        run = smartupgrade_fleet(inventory, "--yes", "right-now")
        assert run.code == ExitCode.FLEET_FAILED, run.stderr
        assert {name: row["exit"] for name, row in run.rows.items()} == {
            name: outcome.exit for name, outcome in outcomes.items()
        }
        for name, outcome in outcomes.items():
            assert outcome.detail in run.rows[name]["detail"], run.rows[name]
            # a failed run's row has the switch's own sentence too
            failed = outcome.exit == ExitCode.UPGRADE_FAILED
            said = run.rows[name].get("said")
            assert (said is not None) == failed, run.rows[name]
            assert said is None or (said.endswith(".") and "status" not in said), said

        # every switch is up again, upgraded or not, with the versions it now runs
        states = fleet.switches()
        assert {
            name: (state["state"], state["software"], state["patch"])
            for name, state in states.items()
        } == {
            name: ("running", outcome.software, outcome.patch) for name, outcome in outcomes.items()
        }
