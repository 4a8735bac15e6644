"""The dashboard in a real browser: Debian's Chromium driven by Playwright.

Log in, open the overview, click into an SLO, check the charts drew with data, silence
its alert and see the silence listed, then expire it. Screenshots of every page go to
tests/artifacts/ on every run. Chromium must be installed (``make services`` installs
Debian's package); without it these tests fail, they never skip.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from sloscope.server.app import create_app
from tests.server.conftest import Serve, Served
from tests.server.live import running

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless (a fresh profile per test via a new context)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium ('make services' does)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def live(serve: Serve) -> Iterator[tuple[Served, str]]:
    """A real server on loopback (tokens needed) and its address."""
    served = serve()
    with running(create_app(served.ctx)) as base:
        yield served, base


def _page(browser: Browser, width: int = 1280) -> Page:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)

    def no_dialogs(dialog: object) -> None:
        pytest.fail(f"a script opened a dialog: {dialog}")

    page.on("dialog", no_dialogs)
    return page


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _login(page: Page, base: str, token: str) -> None:
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/login?next=")
    _shot(page, "login")
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_an_engineer_logs_in_opens_an_slo_sees_its_charts_and_silences_its_alert(
    browser: Browser, live: tuple[Served, str]
) -> None:
    served, base = live
    page = _page(browser)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(page, base, served.tokens["write"])
    assert page.locator("tr[data-slo]").count() == 3
    # Markup in an owner's name is shown as text, never run.
    assert page.get_by_text(SCRIPT).count() == 2
    _shot(page, "overview")

    page.click("a:text-is('orders-availability')")
    page.wait_for_url(f"{base}/services/checkout/slos/orders-availability")
    page.wait_for_selector("#charts[data-drawn='3']")
    charts = page.evaluate("window.sloscopeCharts")
    assert [c["id"] for c in charts] == ["chart-sli", "chart-budget", "chart-burn"]
    assert [c["series"] for c in charts] == [2, 1, 11]  # 7 burn windows + 4 thresholds
    assert all(c["points"] > 50 for c in charts)
    painted = page.evaluate(
        """() => [...document.querySelectorAll('#charts canvas')].map(c => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n; })"""
    )
    assert len(painted) == 3
    assert all(n > 1000 for n in painted)
    assert page.locator(".alert").count() >= 1
    _shot(page, "slo")

    page.click("a:text-is('Silence…')")
    page.wait_for_url(f"{base}/silences?*")
    assert page.input_value("textarea[name=matchers]") == (
        "service=checkout\nslo=orders-availability"
    )
    page.fill("input[name=comment]", f"fixing it {SCRIPT}")
    page.click("button:text-is('Create silence')")
    page.wait_for_selector("tr[data-silence]")
    row = page.locator("tr[data-silence]")
    assert row.count() == 1
    assert "write-bot-0" in row.inner_text()
    assert f"fixing it {SCRIPT}" in row.inner_text()
    _shot(page, "silences")
    page.click("button:text-is('Expire')")
    page.wait_for_selector("text=No active or upcoming silences.")
    assert errors == []


def test_the_overview_reads_in_a_narrow_window_and_by_keyboard(
    browser: Browser, live: tuple[Served, str]
) -> None:
    served, base = live
    page = _page(browser, width=380)
    _login(page, base, served.tokens["read"])
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    _shot(page, "overview-narrow")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    # Tab on to the first SLO link and open it with the keyboard.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href') || ''").startswith(
            "/services/"
        ):
            break
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/services/**")
    page.wait_for_selector("#charts[data-drawn='3']")
    _shot(page, "slo-narrow")


def test_chromium_is_debians_package() -> None:
    assert shutil.which("chromium") == CHROMIUM
