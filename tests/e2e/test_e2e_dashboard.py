"""End to end in a real browser: every page loads and draws, chart PNG and PDF report downloads work.

Screenshots and downloads are kept per test in ``tests/e2e/output/<test id>/`` (or under
``$IRDASH_E2E_OUTPUT``); see ``tests/e2e/conftest.py``.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

PAGES = {  # url path -> does the page draw a plotly chart on the demo workspace
    "overview": True, "activities": False, "event-impact": True, "engagement": True, "roi-report": True,
    "data": False,
}
TIMEOUT_MS = 60_000


def wait_until_idle(page) -> None:
    """Wait until the script run is over (stApp's script state) and no element is still a loading skeleton."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=TIMEOUT_MS)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=TIMEOUT_MS)
    page.wait_for_selector("h1", timeout=TIMEOUT_MS)


@pytest.fixture
def app(page, server):
    page.set_viewport_size({"width": 1366, "height": 900})  # laptop width
    page.set_default_timeout(TIMEOUT_MS)
    return page


@pytest.mark.parametrize("path, has_chart", PAGES.items())
def test_page_loads_draws_and_is_labelled_simulated(app, server, output_path, path, has_chart):
    outside = []  # the dashboard works offline: nothing is fetched from anywhere but its own server
    app.on("request", lambda r: None if r.url.startswith((server, "data:", "blob:")) else outside.append(r.url))
    app.goto(f"{server}/{'' if path == 'overview' else path}")
    wait_until_idle(app)
    assert app.get_by_text("Simulated data.", exact=False).first.is_visible()
    if has_chart:
        chart = app.locator(".stPlotlyChart .main-svg").first
        chart.wait_for(state="visible", timeout=TIMEOUT_MS)
        assert app.locator(".stPlotlyChart .main-svg .scatterlayer .trace, .stPlotlyChart .main-svg .barlayer .trace"
                           ).count() > 0
    assert not app.locator("[data-testid='stException']").count()
    assert outside == [], f"requests leaving the machine: {outside}"
    app.screenshot(path=str(Path(output_path) / f"{path}.png"), full_page=True)


def test_event_impact_shows_the_placebo_histogram_with_the_actual_caar(app, server, output_path):
    app.goto(f"{server}/event-impact")
    wait_until_idle(app)
    # the demo's 402 days cannot hold its six-month campaign twice: the campaign placebo says so, and the
    # per-event stock placebo (which over-rejects on clustered activities) is behind its toggle
    assert app.get_by_text("No campaign placebo", exact=False).first.is_visible()
    app.get_by_text("Also show the per-event stock placebo").click()
    wait_until_idle(app)
    chart = app.locator(".stPlotlyChart").filter(has_text="against random non-event dates")
    chart.locator(".barlayer .trace").first.wait_for(state="visible")
    assert chart.locator(".shapelayer path").count() >= 1  # the vertical line at the actual CAAR
    assert chart.get_by_text("actual", exact=False).first.is_visible()
    chart.screenshot(path=str(Path(output_path) / "placebo.png"))


def test_download_chart_png(app, server, output_path):
    app.goto(server)
    wait_until_idle(app)
    app.locator(".stPlotlyChart .main-svg").first.wait_for(state="visible")
    with app.expect_download(timeout=TIMEOUT_MS) as info:
        app.locator("[data-testid='stDownloadButton'] button").filter(has_text="PNG").first.click()
    download = info.value
    assert download.suggested_filename.startswith("AXGI_price-volume_")
    assert download.suggested_filename.endswith("_simulated.png")
    target = Path(output_path) / download.suggested_filename
    download.save_as(target)
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 30_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 1000 and height >= 500


def test_download_pdf_report(app, server, output_path):
    app.goto(f"{server}/roi-report")
    wait_until_idle(app)
    with app.expect_download(timeout=TIMEOUT_MS) as info:
        app.get_by_role("button", name="PDF report").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    target = Path(output_path) / download.suggested_filename
    download.save_as(target)
    assert target.read_bytes()[:5] == b"%PDF-"
    if not shutil.which("pdftoppm"):
        pytest.fail("pdftoppm is missing: `make test` installs poppler-utils (or apt-get install poppler-utils)")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(target), str(Path(output_path) / "report-page")],
                   check=True, timeout=120)
    pages = sorted(Path(output_path).glob("report-page*.png"))
    assert len(pages) >= 2


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_in_light_and_dark_theme_at_laptop_size(browser, server, output_path, scheme):
    """Screenshots of every page at 1366x768 in the theme the system asks for (to look at, see the README)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        for path, has_chart in PAGES.items():
            page.goto(f"{server}/{'' if path == 'overview' else path}")
            wait_until_idle(page)
            if has_chart:
                page.locator(".stPlotlyChart .main-svg .scatterlayer .trace, "
                             ".stPlotlyChart .main-svg .barlayer .trace").first.wait_for(state="visible")
            assert not page.locator("[data-testid='stException']").count()
            background = page.evaluate(
                "() => getComputedStyle(document.querySelector('[data-testid=\"stApp\"]')).backgroundColor")
            channels = [float(c) for c in re.findall(r"[\d.]+", background)[:3]]
            assert (sum(channels) / 3 < 128) == (scheme == "dark"), f"{path}: background {background} in {scheme}"
            page.screenshot(path=str(Path(output_path) / f"{path}-{scheme}.png"))
    finally:
        context.close()


def _report_figures(page) -> list[str]:
    """The ROI report's headline lines and reproducibility line as the browser shows them."""
    text = page.locator("[data-testid='stMain']").inner_text()
    keep = ("Value around the activities", "Value over the whole engagement", "Programme cost", "Cost per month",
            "Dilution", "Reproducibility:")
    return [line.strip() for line in text.splitlines() if line.strip().startswith(keep)]


def test_a_method_changed_on_event_impact_travels_in_the_report_address(browser, server, output_path):
    """Issue 10 point 2: a session that changed the method and a fresh browser opening the report's address
    see the same report; the default report differs (the method is in the URL, not in hidden state)."""
    first = browser.new_context(viewport={"width": 1366, "height": 900})
    page = first.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{server}/event-impact")
        wait_until_idle(page)
        page.get_by_test_id("stSelectbox").filter(has_text="Model").click()
        page.get_by_role("option", name="Market-adjusted").click()
        wait_until_idle(page)
        page.get_by_test_id("stSelectbox").filter(has_text="Thin trading").click()
        page.get_by_role("option", name="Trade-to-trade").click()
        wait_until_idle(page)
        page.get_by_role("link", name="ROI report").click()
        page.wait_for_url(re.compile(r".*/roi-report.*"))
        wait_until_idle(page)
        page.get_by_text("Reproducibility:", exact=False).first.wait_for(state="visible")
        address = page.url
        assert "model=market_adjusted" in address and "thin=trade_to_trade" in address, address
        session_view = _report_figures(page)
        page.screenshot(path=str(Path(output_path) / "report-in-session.png"), full_page=True)
    finally:
        first.close()
    assert len(session_view) >= 6, session_view
    assert any("market-adjusted" in line for line in session_view)

    fresh = browser.new_context(viewport={"width": 1366, "height": 900})
    other = fresh.new_page()
    other.set_default_timeout(TIMEOUT_MS)
    try:
        other.goto(address)
        wait_until_idle(other)
        other.get_by_text("Reproducibility:", exact=False).first.wait_for(state="visible")
        assert _report_figures(other) == session_view
        other.screenshot(path=str(Path(output_path) / "report-fresh-browser.png"), full_page=True)
        other.goto(f"{server}/roi-report")
        wait_until_idle(other)
        other.get_by_text("Reproducibility:", exact=False).first.wait_for(state="visible")
        assert _report_figures(other) != session_view  # the default method gives another report
    finally:
        fresh.close()


def test_overview_opens_at_its_own_address(app, server):
    """Issue 10 point 7: /overview opened "Page not found" (Streamlit serves the default page at / only)."""
    app.goto(f"{server}/overview")
    wait_until_idle(app)
    assert app.get_by_role("heading", name="Overview").first.is_visible()
    assert not app.get_by_text("Page not found", exact=False).count()
