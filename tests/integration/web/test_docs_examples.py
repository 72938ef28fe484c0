"""The Python examples of docs/web.md, run against a real switch (its web port for 8443, its
certificate for the sim's default one) with smart upgrade enabled and a new version found."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.conftest import REPO_ROOT
from tests.integration.web.conftest import enable
from tests.support.switch import SwitchRig

WEB_DOC = REPO_ROOT / "docs" / "web.md"
FENCE = re.compile(r"^```python\n(?P<code>.*?)^```$", re.MULTILINE | re.DOTALL)
DEFAULT_URL = '"https://127.0.0.1:8443"'
DEFAULT_CERT = 'Path.home() / ".local/share/smartupgrade-sim/web-cert.pem"'
EXAMPLES = [match["code"] for match in FENCE.finditer(WEB_DOC.read_text())]


def test_the_page_has_examples() -> None:
    assert EXAMPLES


@pytest.mark.parametrize("code", EXAMPLES)
async def test_example_runs(code: str, rig: SwitchRig, capsys: pytest.CaptureFixture[str]) -> None:
    await enable(rig)
    sdk = await rig.async_sdk()
    await sdk.refresh()
    await sdk.close()
    assert DEFAULT_URL in code and DEFAULT_CERT in code
    code = code.replace(DEFAULT_URL, repr(rig.web.url.rstrip("/"))).replace(
        DEFAULT_CERT, f"Path({str(rig.web.certificate.cert_path)!r})"
    )
    # the example runs its own event loop; the switch serves on this one meanwhile
    await asyncio.to_thread(exec, compile(code, str(WEB_DOC), "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[:2] == ["new-version", "200 Info: Download started (operation 1)."]
    assert printed[-1] == "success 100"
