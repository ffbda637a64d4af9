"""A person uses the web UI in a real browser (headless Debian chromium through Playwright), on real parts."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.support.gateway import Gateway
from tests.support.harness import Service

USER = "discord/guild:42/user#7 ünïcode"
ARTIFACTS = Path(__file__).resolve().parents[2] / ".pytest-artifacts"
# Without the background-networking switches Chromium keeps calling home on a machine with no network.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: `make test` installs it (scripts/ensure_chromium.sh)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser, gateway: Gateway) -> AsyncIterator[Page]:
    context = await browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 1000})
    opened = await context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    expected = "Failed to load resource: the server responded with a status of"  # HTTP errors the page shows
    # The page must never reach beyond the gateway (no CDN, no fonts): any other request fails the test.
    outside: list[str] = []
    opened.on("request", lambda r: None if r.url.startswith((gateway.url, "blob:", "data:")) else outside.append(r.url))
    expect.set_options(timeout=30_000)  # a shared 2-core machine; waits end as soon as the page is right
    await opened.goto(f"{gateway.url}/?user={quote(USER, safe='')}")
    await expect(opened.locator("#live")).to_have_attribute("data-state", "live")  # following events from now on
    yield opened
    await context.close()
    assert outside == [], f"the page reached outside the gateway: {outside}"
    assert [p for p in problems if not p.startswith(expected)] == []


def screenshot_path(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


async def test_add_edit_extract_and_read_history(
    page: Page, gateway: Gateway, service: Service, record_property: pytest.RecordProperty
) -> None:
    service.start_worker()
    await expect(page.get_by_role("heading", name=f"Facts about {USER}")).to_be_visible()

    add = page.get_by_role("region", name="Add a fact")
    await add.get_by_label("Statement").fill("My son is allergic to nuts")
    await add.get_by_label("Importance (0 to 1)").fill("0.8")
    await add.get_by_role("button", name="Add fact").click()
    fact = page.locator("li.fact", has_text="My son is allergic to nuts")
    await expect(fact).to_be_visible()
    await expect(fact.locator(".badge.global")).to_have_text("global")
    await expect(fact.locator(".badge.importance")).to_have_text("importance 0.80")

    await fact.get_by_role("button", name=re.compile("^Edit")).click()
    editor = page.get_by_role("dialog", name="Edit fact")
    await editor.get_by_label("Statement").fill("My son is allergic to peanuts")
    await editor.get_by_role("button", name="Save changes").click()
    edited = page.locator("li.fact", has_text="My son is allergic to peanuts")
    await expect(edited).to_be_visible()
    await expect(editor).to_be_hidden()

    # A bot's turn arrives through the API; the page hears of it on its live stream.
    queued = await gateway.http.post(
        gateway.user(USER, "extractions"), json={"user_message": "I moved to Lisbon last spring", "agent_id": "coach"}
    )
    assert queued.status_code == 202
    await expect(page.get_by_role("status")).to_contain_text("Extraction completed: 1 added")
    await expect(page.locator("li.fact", has_text="I moved to Lisbon last spring")).to_be_visible()
    await expect(page.locator("#stats")).to_contain_text("Current facts2")

    await edited.get_by_role("button", name=re.compile("^History")).click()
    history = page.get_by_role("dialog", name="History of a fact")
    await expect(history.locator("#history-changes li")).to_have_count(2)
    await expect(history.locator("#history-changes li").first).to_contain_text("edited")
    await expect(history.locator("#history-changes li").first).to_contain_text("now “My son is allergic to peanuts”")
    shot = screenshot_path("gateway-history.png")
    await page.screenshot(path=shot, full_page=True)
    await history.get_by_role("button", name="Close").click()

    await page.get_by_label("The user says…").fill("can my boy eat peanut butter?")
    await page.get_by_role("button", name="Search").click()
    await expect(page.locator("#search-results li").first).to_contain_text("allergic to peanuts")
    await expect(page.locator("#search-context")).to_contain_text("<user_memories>")

    await page.get_by_label("Display name").fill("Zoë")
    await page.get_by_label("Keep facts for (days, 0 = until deleted)").fill("365")
    await page.get_by_role("switch", name=re.compile("Learn from conversations")).uncheck()
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.get_by_role("status")).to_contain_text("extraction is off")
    settings = (await gateway.http.get(gateway.user(USER, "settings"))).json()
    assert settings["display_name"] == "Zoë" and settings["retention_days"] == 365
    assert not settings["extraction_enabled"]

    # Errors from the service are shown to the person in its own words.
    await add.get_by_label("Statement").fill("x" * 4001)
    await add.get_by_role("button", name="Add fact").click()
    await expect(page.get_by_role("alert").first).to_contain_text("text")

    full = screenshot_path("gateway-ui.png")
    await page.screenshot(path=full, full_page=True)
    await page.set_viewport_size({"width": 390, "height": 844})  # a phone
    phone = screenshot_path("gateway-ui-phone.png")
    await page.screenshot(path=phone, full_page=True)
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
    for path in (full, phone, shot):
        record_property("screenshot", str(path))
        print(f"screenshot: {path}")


async def test_keyboard_only_adds_a_fact(page: Page) -> None:
    await page.locator("#add-text").focus()
    await page.keyboard.type("I play the cello")
    for _ in range(5):  # key, value, importance, agent, then the button
        await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.textContent")
    assert focused == "Add fact"
    await page.keyboard.press("Enter")
    await expect(page.locator("li.fact", has_text="I play the cello")).to_be_visible()
    labelled = await page.evaluate(
        """[...document.querySelectorAll('input, textarea, select')]
             .filter(c => c.type !== 'hidden' && !(c.labels && c.labels.length) && !c.getAttribute('aria-label'))
             .map(c => c.id)"""
    )
    assert labelled == []  # every control has a label


async def test_export_downloads_and_erase_needs_two_confirmations(page: Page, gateway: Gateway) -> None:
    await gateway.http.post(gateway.user(USER, "facts"), json={"text": "I play the violin"})
    await page.get_by_role("button", name="Refresh").click()
    await expect(page.locator("li.fact", has_text="I play the violin")).to_be_visible()

    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Export (download)").click()
    download = await download_info.value
    # The exact name (filename*) with what a file system cannot hold ('/', ':') replaced by the browser.
    assert download.suggested_filename == "memory-export-discord_guild_42_user#7 ünïcode.jsonl"
    saved = screenshot_path("export.jsonl")
    await download.save_as(saved)
    assert "I play the violin" in saved.read_text()

    await page.get_by_role("button", name="Erase this user…").click()
    dialog = page.get_by_role("dialog", name="Erase this user")
    await dialog.get_by_label("Type the user id to confirm").fill(USER[:-1])
    await expect(dialog.get_by_role("button", name="Continue")).to_be_disabled()
    await dialog.get_by_label("Type the user id to confirm").fill(USER)
    await dialog.get_by_role("button", name="Continue").click()
    await dialog.get_by_role("button", name="Yes, erase forever").click()
    await expect(page.get_by_role("status")).to_contain_text(f"Erased everything about {USER}")
    await expect(page.locator("li.fact")).to_have_count(0)
