"""Flash, messages, persisted state, model lists and the schedule-event enumeration."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from smartupgrade_model.model import (
    CancellationStatus,
    UpgradeInformation,
    UpgradeStatus,
    VersionInformation,
)
from smartupgrade_server.device import messages, persist
from smartupgrade_server.device.flash import Flash, FlashFullError
from smartupgrade_server.device.persist import StateWriter, load_state, save_state
from smartupgrade_server.device.products import (
    package_fits,
    supports_ap_upgrade,
    supports_smart_upgrade,
)
from smartupgrade_server.device.stored import StartupFile, StoredState


def test_flash_full_keeps_what_fitted(tmp_path: Path) -> None:
    flash = Flash(tmp_path, capacity=100)
    with flash.writer("a.cc", offset=0) as writer:
        writer.write(b"x" * 60)
    with pytest.raises(FlashFullError), flash.writer("b.cc", offset=0) as writer:
        writer.write(b"y" * 50)
    assert flash.files() == {"a.cc": 60, "b.cc": 40}
    assert flash.free() == 0


def test_flash_resumes_at_an_offset(tmp_path: Path) -> None:
    flash = Flash(tmp_path, capacity=100)
    with flash.writer("a.cc", offset=0) as writer:
        writer.write(b"abcdef")
    with flash.writer("a.cc", offset=3) as writer:
        writer.write(b"XY")
    assert flash.read("a.cc", 0, 10) == b"abcXY"
    with pytest.raises(ValueError):
        flash.path("../escape")


def test_seed_received_line_and_rate() -> None:
    # The seed: "104372996 byte(s) received in 197.329 second(s) 516.53 Kbyte(s)/sec."
    assert str(messages.received(104372996, 197.329)) == (
        "Info: 104372996 byte(s) received in 197.329 second(s) 516.53 Kbyte(s)/sec."
    )
    assert messages.kbytes_per_second(490, 0.228) == Decimal("2.10")
    assert str(messages.resume_from(15728640)) == (
        "Info: Resume from the 15728640 bytes breakpoint."
    )


def test_state_round_trips(tmp_path: Path) -> None:
    when = datetime(2026, 11, 27, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    state = StoredState(
        software="V200R020C00",
        next_software=StartupFile("S5732-H-V200R024C00.cc", "V200R024C00", "ab" * 32),
        upgrade=UpgradeInformation(
            upgrade_time=when,
            upgrade_status=UpgradeStatus.RUNNING,
            cancellation_status=CancellationStatus.INITIAL,
            software_download_speed=Decimal("516.53"),
        ),
        version=VersionInformation(refresh_time=when),
        operation_counter=3,
    )
    save_state(tmp_path, state)
    assert load_state(tmp_path) == state
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def _count_writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    written: list[str] = []
    real = persist.write_state_text

    def counting(data_dir: Path, text: str) -> None:
        written.append(text)
        real(data_dir, text)

    monkeypatch.setattr(persist, "write_state_text", counting)
    return written


async def test_the_state_writer_writes_the_newest_state_off_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = _count_writes(monkeypatch)
    writer = StateWriter(tmp_path, None)
    for counter in range(1, 6):
        writer.save(StoredState(software="V200R020C00", operation_counter=counter))
    assert written == []  # nothing on the loop itself
    await writer.flush()
    assert load_state(tmp_path) == StoredState(software="V200R020C00", operation_counter=5)
    # the writer's turn came after the five saves: the four older states were superseded
    assert len(written) == 1


async def test_the_state_writer_skips_a_state_already_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = StoredState(software="V200R020C00", operation_counter=1)
    save_state(tmp_path, state)
    written = _count_writes(monkeypatch)
    writer = StateWriter(tmp_path, load_state(tmp_path))
    writer.save(state)
    await writer.flush()
    assert written == []


def test_the_state_writer_writes_at_once_without_an_event_loop(tmp_path: Path) -> None:
    state = StoredState(software="V200R020C00")
    StateWriter(tmp_path, None).save(state)
    assert load_state(tmp_path) == state


def test_model_lists_follow_the_seed() -> None:
    assert supports_smart_upgrade("S5732-H") and supports_smart_upgrade("S2730S-S")
    assert supports_smart_upgrade("S310") and supports_smart_upgrade("S6720-EI")
    for excluded in ("S5751-L", "S5731-L", "S5731S-L", "S5731-L24T4S-A", "S1720", "CE6881"):
        assert not supports_smart_upgrade(excluded)
    assert supports_ap_upgrade("S6730S-H") and supports_ap_upgrade("S5732-H24UM2CC")
    assert not supports_ap_upgrade("S5735-L") and not supports_ap_upgrade("S5731-L")


def test_package_fits_its_product() -> None:
    assert package_fits("S5732-H", "S5732-H-V200R020SPH001.pat")
    assert package_fits("S5735-L", "S5700-V200R024C00.cc")
    assert package_fits("AirEngine 8760-X1-PRO", "AirEngineX760_V200R024C00.bin")
    assert not package_fits("S5732-H", "S6730-H-V200R024C00.cc")
    assert not package_fits("AirEngine 8760-X1-PRO", "S6730-H-AirEngineX760_V200R024C00.bin")
