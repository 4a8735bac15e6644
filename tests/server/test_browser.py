"""The dashboard in a real browser: Debian's Chromium driven by Playwright.

Log in, open the overview, click into an SLO, check the charts drew with data, silence
its alert and see the silence listed, then expire it; silence a firing alert on the
alerts page and see it move to the silenced ones; acknowledge a firing alert and see
it shown acknowledged; record a deployment with the CLI and
see its mark on the SLO's charts; every page in a narrow window, markup shown as text.
Screenshots of every page go to tests/artifacts/ on every run. Chromium must be
installed (``make services`` installs Debian's package); without it these tests fail,
they never skip.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from sloscope.server.app import create_app
from tests.cli.conftest import CliRunner
from tests.server.conftest import AT, GROUPED, Serve, Served
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


@pytest.fixture
def live_records(serve: Serve, recorded_root: Path) -> Iterator[tuple[Served, str]]:
    """A real server on loopback over a workspace with records (alerts firing, a
    deployment, incidents, gate decisions, audit entries) and its address."""
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


def _console_errors(page: Page) -> list[str]:
    """The errors the page's scripts log from now on (a list that fills as they come)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


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
    errors = _console_errors(page)
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


#: Okabe-Ito blue, the colour of a deployment's line on the charts.
DEPLOY_RGB = (0, 114, 178)


def test_an_engineer_silences_a_firing_alert_on_the_alerts_page(
    browser: Browser, live_records: tuple[Served, str]
) -> None:
    served, base = live_records
    page = _page(browser)
    errors = _console_errors(page)
    _login(page, base, served.tokens["write"])
    page.click("nav >> text=Alerts")
    page.wait_for_url(f"{base}/alerts")
    firing = page.locator("tr[data-state=firing]")
    assert firing.count() == 3
    row = firing.filter(has_text="checkout / orders-availability").filter(has_text="page")
    key = row.get_attribute("data-alert")
    assert key is not None
    _shot(page, "alerts")
    row.locator("summary").click()
    row.locator(".silence-form input[name=comment]").fill(f"deploying the fix {SCRIPT}")
    row.locator("input[name=duration]").fill("30m")
    row.locator("button:text-is('Silence this alert')").click()
    page.wait_for_url(f"{base}/alerts")
    moved = page.locator(f"tr[data-alert='{key}']")
    assert moved.get_attribute("data-state") == "silenced"
    assert "silence 1" in moved.inner_text()
    assert page.locator("#silenced-h + .table-wrap tr[data-state=silenced]").count() == 1
    assert page.locator("tr[data-state=firing]").count() == 2
    _shot(page, "alerts-silenced")
    page.click("nav >> text=Silences")
    listed = page.locator("tr[data-silence]")
    assert "severity=page" in listed.inner_text()
    assert f"deploying the fix {SCRIPT}" in listed.inner_text()
    assert errors == []


def test_an_engineer_acknowledges_a_firing_alert_on_the_alerts_page(
    browser: Browser, live_records: tuple[Served, str]
) -> None:
    served, base = live_records
    page = _page(browser)
    errors = _console_errors(page)
    _login(page, base, served.tokens["write"])
    page.goto(f"{base}/alerts")
    row = (
        page.locator("tr[data-state=firing]")
        .filter(has_text="checkout / orders-availability")
        .filter(has_text="page")
    )
    key = row.get_attribute("data-alert")
    row.locator("td.ack input[name=comment]").fill("looking at it")
    row.locator("button:text-is('Acknowledge')").click()
    page.wait_for_url(f"{base}/alerts")
    acked = page.locator(f"tr[data-alert='{key}'] .acked")
    assert acked.inner_text().startswith("by write-bot-0 at ")
    assert page.locator(f"tr[data-alert='{key}'] button:text-is('Acknowledge')").count() == 0
    assert page.locator("button:text-is('Acknowledge')").count() == 2
    _shot(page, "alerts-acknowledged")
    assert errors == []


def test_a_deployment_recorded_with_the_cli_is_marked_on_the_slo_charts(
    browser: Browser, live_records: tuple[Served, str], recorded_root: Path, sloscope: CliRunner
) -> None:
    served, base = live_records
    page = _page(browser)
    _login(page, base, served.tokens["read"])
    slo = f"{base}/services/checkout/slos/orders-availability"
    page.goto(slo)
    page.wait_for_selector("#charts[data-drawn='3'] #chart-burn[data-marks]")
    assert page.get_attribute("#chart-sli", "data-marks") == "2"  # v1.4.0 and incident 2
    deployed = sloscope(
        "deploy",
        "record",
        "checkout",
        "--version",
        "v2.0.0",
        "--at",
        str(AT - 5 * 3600),
        "-w",
        str(recorded_root),
    )
    assert deployed.code == 0, deployed.stderr
    page.reload()
    page.wait_for_selector("#charts[data-drawn='3']")
    page.wait_for_function("window.sloscopeCharts.every(c => c.marks !== null)")
    charts = page.evaluate("window.sloscopeCharts")
    assert [c["marks"] for c in charts] == [3, 3, 3]
    mark = page.locator("#chart-sli .mark-deploy[title*='v2.0.0']")
    assert mark.count() == 1
    assert mark.get_attribute("title") == "2026-11-20T07:00:00Z deploy v2.0.0"
    # The line is painted on the canvas, in the deployment colour, down the plot.
    box = mark.bounding_box()
    assert box is not None
    blue = page.evaluate(
        """([x, rgb]) => {
            const c = document.querySelector('#chart-sli canvas');
            const r = c.getBoundingClientRect();
            const sx = c.width / r.width;
            const d = c.getContext('2d').getImageData(Math.round((x - r.left) * sx) - 2, 0, 5,
                c.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4) {
                if (Math.abs(d[i] - rgb[0]) < 30 && Math.abs(d[i + 1] - rgb[1]) < 30
                    && Math.abs(d[i + 2] - rgb[2]) < 30 && d[i + 3] > 200) { n++; }
            }
            return n; }""",
        [box["x"] + box["width"] / 2, list(DEPLOY_RGB)],
    )
    assert blue > 100
    # The marks are keyboard stops that say what they mark.
    labels = []
    for _ in range(60):
        page.keyboard.press("Tab")
        label = page.evaluate("document.activeElement.getAttribute('aria-label') || ''")
        if "deploy v2.0.0" in label:
            labels.append(label)
            break
    assert labels == ["2026-11-20T07:00:00Z deploy v2.0.0"]
    assert page.locator("tr[data-mark=deploy]").count() == 2
    _shot(page, "slo-annotations")


def test_the_charts_of_a_grouped_slo_draw_the_group_the_user_picks(
    browser: Browser, serve: Serve, served_root: Path
) -> None:
    (served_root / "slos" / "edge.yaml").write_text(GROUPED, encoding="utf-8")
    served = serve(public_read=True)
    with running(create_app(served.ctx)) as base:
        page = _page(browser)
        errors = _console_errors(page)
        with page.expect_response(lambda r: "/history?" in r.url) as first:
            page.goto(f"{base}/services/edge/slos/by-code")
        assert first.value.json()["group"] == '{code="200"}'
        page.wait_for_selector("#charts[data-drawn='3']")
        with page.expect_response(lambda r: "/history?" in r.url) as chosen:
            page.select_option("select[name=group]", '{code="500"}')
            page.click("button:text-is('Show group')")
        history = chosen.value.json()
        assert "group=%7Bcode%3D%22500%22%7D" in chosen.value.url
        assert history["group"] == '{code="500"}'
        page.wait_for_selector("#charts[data-drawn='3']")
        assert page.inner_text("#group-shown").startswith(
            'Figures, gate, burn rates and charts shown for group {code="500"}'
        )
        charts = page.evaluate("window.sloscopeCharts")
        assert [c["points"] for c in charts] == [len(history["timestamps"])] * 3
        # The group failed every request it had: its SLI chart ends at 0%, the SLO over
        # both groups would end at 90%.
        assert history["sli"][-1] == 0.0
        assert errors == []
        _shot(page, "slo-group")


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/alerts", "alerts-narrow"),
        ("/incidents", "incidents"),
        ("/incidents/2", "incident"),
        ("/gates", "gates"),
        ("/org", "org"),
        ("/services/checkout/slos/orders-availability", "slo-records-narrow"),
    ],
)
def test_every_page_reads_in_a_narrow_window_and_shows_markup_as_text(
    browser: Browser, live_records: tuple[Served, str], path: str, name: str
) -> None:
    served, base = live_records
    page = _page(browser, width=380)
    _login(page, base, served.tokens["read"])
    page.goto(f"{base}{path}")
    if path.startswith("/services/"):
        page.wait_for_selector("#charts[data-drawn='3']")
    assert page.get_by_text(SCRIPT).count() >= 1
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    _shot(page, name)
    wide = _page(browser)
    _login(wide, base, served.tokens["read"])
    wide.goto(f"{base}{path}")
    if path.startswith("/services/"):
        wide.wait_for_selector("#charts[data-drawn='3']")
    _shot(wide, name.replace("-narrow", "") + "-wide")
