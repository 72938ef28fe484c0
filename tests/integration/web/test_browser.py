"""The web system in a real browser: Debian's Chromium, headless, driven by Playwright.

The page is loaded once per scenario and never reloaded (a marker set in the page must survive),
so what changes is what the page script fetched: the prompt appearing when NETCONF enables smart
upgrade and a check finds a new version, vanishing with web-prompt disable; the progress of
Download now up to 100 %; a level-2 user without the action. Screenshots of each state go to
test-artifacts/web/.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Dialog, Page, async_playwright, expect

from smartupgrade_model.model import UpgradeStatus
from smartupgrade_server.device.clock import ScaledClock, SimulatedClock
from smartupgrade_server.web.pages import right_now_confirm
from tests.conftest import REPO_ROOT
from tests.integration.web.conftest import (
    ADMIN,
    ADMIN_PASSWORD,
    OPERATOR,
    OPERATOR_PASSWORD,
    RigFactory,
    enable,
)
from tests.support.defaults import REBOOT, START
from tests.support.houp import NEW_SOFTWARE, SOFTWARE_SIZE
from tests.support.switch import SwitchRig

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "web"
# bytes per second of each HOUP response: the software takes about 3 s, so the page polls
# it several times on its way
BANDWIDTH = SOFTWARE_SIZE // 3
# switch time runs this much faster, so the switch reports progress many times a second
CLOCK_FACTOR = 20.0
# expect()'s wait, in ms: the page polls twice a second; slow machines get room
WAIT = 15_000
MARKER = "window.__notReloaded"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


async def log_in(browser: Browser, rig: SwitchRig, username: str, password: str) -> Page:
    # the switch's certificate is its own, which no browser knows (the HTTPS tests pin it)
    context = await browser.new_context(
        ignore_https_errors=True, viewport={"width": 1100, "height": 1000}
    )
    page = await context.new_page()
    await page.goto(rig.web.url)
    await expect(page.locator('input[name="username"]')).to_be_visible()
    await page.fill('input[name="username"]', username)
    await page.fill('input[name="password"]', password)
    await page.click('button[type="submit"]')
    await expect(page.locator("body[data-page=dashboard]")).to_be_attached()
    return page


async def mark(page: Page) -> None:
    await page.evaluate(f"{MARKER} = true")


async def assert_not_reloaded(page: Page) -> None:
    assert await page.evaluate(MARKER) is True


async def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def test_the_prompt_follows_netconf_without_a_reload(
    browser: Browser, rig: SwitchRig
) -> None:
    page = await log_in(browser, rig, ADMIN, ADMIN_PASSWORD)
    await mark(page)
    prompt = page.locator("#banner .prompt")
    await expect(prompt).to_have_attribute("data-kind", "disabled")
    await expect(prompt).to_contain_text("Smart upgrade is disabled.")
    await screenshot(page, "prompt-smart-upgrade-disabled")

    await enable(rig)
    await expect(prompt).to_have_count(0, timeout=WAIT)  # enabled, nothing checked yet
    sdk = await rig.async_sdk()
    try:
        await sdk.refresh()
        await expect(prompt).to_have_attribute("data-kind", "new-version", timeout=WAIT)
        await expect(prompt).to_contain_text("A new version is available.")
        await expect(prompt.locator("tr", has_text="Recommended software version")).to_contain_text(
            NEW_SOFTWARE
        )
        await expect(prompt).to_contain_text("1)description:2)CC+SPH")
        await expect(prompt.get_by_role("button", name="Download now")).to_be_visible()
        await expect(prompt.get_by_role("button", name="Upgrade now")).to_be_visible()
        await screenshot(page, "prompt-new-version")

        await sdk.disable_web_prompt()
        await expect(prompt).to_have_count(0, timeout=WAIT)
        await screenshot(page, "prompt-web-prompt-disabled")
    finally:
        await sdk.close()
    await assert_not_reloaded(page)


async def test_download_now_shows_the_progress_up_to_100_percent(
    browser: Browser, make_rig: RigFactory
) -> None:
    rig = await make_rig(ScaledClock(CLOCK_FACTOR, START))
    await enable(rig)
    sdk = await rig.async_sdk()
    try:
        await sdk.refresh()
        rig.houp.settings.bandwidth_limit = BANDWIDTH
        page = await log_in(browser, rig, ADMIN, ADMIN_PASSWORD)
        await page.click("nav >> text=Smart upgrade")
        await expect(page.locator("body[data-page=smart-upgrade]")).to_be_attached()
        await mark(page)

        await page.locator("#banner").get_by_role("button", name="Download now").click()
        await expect(page.locator("#message")).to_have_text(
            "Info: Download started (operation 1).", timeout=WAIT
        )
        software = page.locator("#software-progress")
        status = page.locator("#progress .status")
        await expect(status).to_have_attribute("data-status", re.compile("running|success"))
        seen: list[int] = []
        while await status.get_attribute("data-status") != UpgradeStatus.SUCCESS.value:
            percent = await software.get_attribute("data-percent")
            if percent and (not seen or seen[-1] != int(percent)):
                seen.append(int(percent))
                if 0 < int(percent) < 100 and len(seen) == 1:
                    await screenshot(page, "download-in-progress")
            assert await status.get_attribute("data-status") in ("running", "success")
            await page.wait_for_timeout(50)
        await expect(software).to_have_attribute("data-percent", "100")
        await expect(page.locator("#patch-progress")).to_have_attribute("data-percent", "100")
        await expect(software.locator("tr", has_text="speed")).not_to_contain_text("-")
        await expect(page.locator("#activity")).to_contain_text("Signature verification passed.")
        await screenshot(page, "download-complete")
        # the page showed it on its way, not only at its end
        assert any(0 < percent < 100 for percent in seen), seen
        await assert_not_reloaded(page)
        # and NETCONF reads the same switch
        information = await sdk.upgrade_information()
        assert (information.software_download_progress, information.patch_download_progress) == (
            100,
            100,
        )
    finally:
        await sdk.close()


async def test_a_level_2_user_cannot_start_a_download(browser: Browser, rig: SwitchRig) -> None:
    await enable(rig)
    sdk = await rig.async_sdk()
    try:
        await sdk.refresh()  # a level-3 user would be prompted now
    finally:
        await sdk.close()
    page = await log_in(browser, rig, OPERATOR, OPERATOR_PASSWORD)
    await expect(page.locator("header .user")).to_have_text(f"{OPERATOR} (level 2)")
    await expect(page.locator("#banner .prompt")).to_have_count(0)
    await expect(page.get_by_role("button", name="Download now")).to_have_count(0)

    await expect(page.locator("nav a", has_text="Smart upgrade")).to_have_count(0)
    await page.goto(f"{rig.web.url}smart-upgrade")
    await expect(page.locator("main .error")).to_have_text(
        f"Error: User {OPERATOR} may not read smart upgrade information."
    )
    await expect(page.get_by_role("button", name="Download now")).to_have_count(0)
    await screenshot(page, "level-2-user")
    # a request made by hand, with the session's own CSRF token, is refused too
    status, message = await page.evaluate(
        """async () => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const response = await fetch("/smart-upgrade/download", {
                method: "POST",
                headers: {"X-CSRF-Token": token, "Accept": "application/json"},
            });
            return [response.status, (await response.json()).message];
        }"""
    )
    assert (status, message) == (403, f"Error: User '{OPERATOR}' may not execute 'download'.")
    assert rig.status() is None


async def test_upgrade_now_restarts_the_switch_and_the_page_follows(
    browser: Browser, rig: SwitchRig
) -> None:
    await enable(rig)
    sdk = await rig.async_sdk()
    try:
        await sdk.refresh()
    finally:
        await sdk.close()
    page = await log_in(browser, rig, ADMIN, ADMIN_PASSWORD)
    questions: list[str] = []

    async def accept(dialog: Dialog) -> None:
        questions.append(dialog.message)
        await dialog.accept()

    page.on("dialog", accept)
    await page.locator("#banner").get_by_role("button", name="Upgrade now").click()
    await expect(page.locator("#message")).to_have_text(
        "The switch does not answer; it may be restarting.", timeout=WAIT
    )
    assert questions == [right_now_confirm("switch")]
    assert isinstance(rig.clock, SimulatedClock)
    await rig.clock.advance(REBOOT)
    await rig.switch.serving()
    # the logins went down with the switch: the page asks for a new one
    await expect(page.locator('input[name="username"]')).to_be_visible(timeout=WAIT)
    await page.fill('input[name="username"]', ADMIN)
    await page.fill('input[name="password"]', ADMIN_PASSWORD)
    await page.click('button[type="submit"]')
    await expect(page.locator("#versions tr", has_text="Software version")).to_contain_text(
        NEW_SOFTWARE
    )
    await expect(page.locator("#banner .prompt")).to_have_count(0)
    await screenshot(page, "upgraded")
