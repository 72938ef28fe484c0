"""Every line the switch prints during smart upgrade, in one place.

`Info:` texts are the seed's own (its `smart-upgrade download` and `right-now` examples), kept
character for character; the command line prints them with the `Info: ` prefix. The seed shows
no `Error:` lines, so those are ours, one per failure cause, worded the way the switch words its
Info lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

from smartupgrade_model import display
from smartupgrade_model.model import UpgradeStatus
from smartupgrade_server.device.offers import printable


class Level(StrEnum):
    INFO = "Info"
    ERROR = "Error"


@dataclass(frozen=True)
class Message:
    level: Level
    text: str

    def __str__(self) -> str:
        return f"{self.level}: {self.text}"


def info(text: str) -> Message:
    return Message(Level.INFO, text)


def error(text: str) -> Message:
    return Message(Level.ERROR, text)


# --- the seed's Info lines ----------------------------------------------------------------------

LOADING: Final = info(display.LOADING)
NOT_ASKED: Final = info(display.NOT_ASKED)
GETTING_VERSION: Final = info("Getting version information from houp, please wait ...")
STOP_DOWNLOAD_HINT: Final = info("If you want to stop the download, please press CTRL + C.")
STOP_UPGRADE_HINT: Final = info("If you want to stop the upgrade, please press CTRL + C.")
FILE_EXISTS: Final = info(
    "The file already exists, check whether it can be resumed from the breakpoint."
)
FILE_INCONSISTENT: Final = info(
    "The file content is inconsistent with houp, delete and re-download..."
)
FILE_CONSISTENT: Final = info("The file size is OK and the content is consistent.")
VERIFYING_SIGNATURE: Final = info("Start verifying signature ...")
SIGNATURE_PASSED: Final = info("Signature verification passed.")
SETTING_STARTUP_FILE: Final = info("Start set next startup file, please wait...")
REBOOTING: Final = info("System will rebooting for upgrade...")


def downloading(name: str) -> Message:
    return info(f"Downloading file {name} ...")


def resume_from(offset: int) -> Message:
    return info(f"Resume from the {offset} bytes breakpoint.")


def percent(value: int) -> Message:
    return info(f"Current percent is {value}%.")


def kbytes_per_second(received: int, seconds: float) -> Decimal:
    """The rate the switch shows: KB (1024 bytes) per second, two decimals."""
    rate = Decimal(received) / Decimal(1024) / Decimal(max(seconds, 0.001))
    return rate.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def received(count: int, seconds: float) -> Message:
    # The seed prints milliseconds: "83148260 byte(s) received in 160.618 second(s) 505.54 ...".
    seconds = max(round(seconds, 3), 0.001)
    return info(
        f"{count} byte(s) received in {seconds:.3f} second(s) "
        f"{kbytes_per_second(count, seconds)} Kbyte(s)/sec."
    )


def next_startup_patch(name: str) -> Message:
    return info(f"Set next startup patch {name} successfully.")


def next_startup_file(name: str) -> Message:
    return info(f"Set next startup file {name} successfully.")


# --- our lines (not in the seed) ----------------------------------------------------------------

AP_REBOOTING: Final = info("The AP(s) will reboot for upgrade...")
CANCELLED: Final = error("The upgrade was cancelled by the user.")
CANCEL_TOO_LATE: Final = error("The upgrade cannot be cancelled now: the system is rebooting.")
ALREADY_LATEST: Final = error("The current version is already the recommended version.")
ABNORMAL_RESET: Final = error("The system restarted while an upgrade was in progress.")
SIGNATURE_FAILED: Final = error("Signature verification failed.")
AP_VERSION_MISMATCH: Final = error(
    "The upgrade file version of the AP does not match the software version of the switch."
)


PRE_CHECK_BUSY: Final = error("The scheduled download cannot start: an upgrade is in progress.")


def pre_check_flash(needed: int, free: int) -> Message:
    return error(
        f"The scheduled download cannot start: the flash memory has {free} byte(s) free, "
        f"{needed} byte(s) are needed."
    )


def rollback_refused(offered: str, running: str) -> Message:
    return error(
        f"The version {offered} offered by houp is older than the running version {running}; "
        "the switch does not roll back."
    )


def no_version_for(product: str) -> Message:
    return error(f"The houp provides no version for the device {product}.")


def file_not_match(name: str, product: str) -> Message:
    return error(f"The file {name} does not match the device {product}.")


def failure(status: UpgradeStatus, detail: str) -> Message:
    """The Error line of a failed transfer, by its cause. `detail` may quote the HOUP (a reason
    phrase, a field of its answer) or an exception: it is made printable, since the line reaches
    terminals and notifications."""
    lead = {
        UpgradeStatus.NET_ERROR: "Failed to communicate with houp (network error)",
        UpgradeStatus.SERVER_SPEC_UP_LIMIT: "The houp connection limit has been reached",
        UpgradeStatus.CERT_OUT_DATE: "The houp server certificate has expired",
        UpgradeStatus.WRITE_FLASH_FAILED: "Failed to save the file in the flash memory",
        UpgradeStatus.FILE_CHECK_FAILED: "The file verification failed",
        UpgradeStatus.SYSTEM_ERROR: "System error",
    }.get(status, "The upgrade failed")
    return error(sentence(f"{lead}: {printable(detail)}"))


def sentence(message: str) -> str:
    """``message`` as an Error line's sentence: capitalised, ending with a full stop."""
    text = message.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
