"""Layout at a laptop's size in a real browser: no key metric is cut off at 1280x800 (issue 10 point 7).

Streamlit draws a metric's label and value on one line and cuts what does not fit with an ellipsis;
on the demo's Engagement page at 1280x800 "$3,500 a month" read "$3,500 a mo..." and the option
"5.0M @ $0.04...". ``app/static/layout.css`` (loaded by ``app.ui.page_header``) lets them wrap.
A part is cut when its content is wider than its box (``scrollWidth > clientWidth``, the browser's
own measure of overflow), taller than a box that hides its overflow, or reaches outside the metric's
card.
"""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 60_000
VIEWPORT = {"width": 1280, "height": 800}

#: Every part of every metric (label, value, delta and each element inside them) that is cut: its
#: content overflows its box, or its box leaves the card. [] when every metric is whole.
CUT_PARTS_JS = """() => {
  const parts = '[data-testid="stMetricLabel"], [data-testid="stMetricValue"], [data-testid="stMetricDelta"]';
  const out = [];
  for (const card of document.querySelectorAll('[data-testid="stMetric"]')) {
    const box = card.getBoundingClientRect();
    for (const part of card.querySelectorAll(parts)) {
      for (const e of [part, ...part.querySelectorAll('*')]) {
        if (e.closest('svg') || e.closest('[data-testid="stTooltipIcon"]')) continue;
        const r = e.getBoundingClientRect();
        // wider than its box (an ellipsis or a hidden tail); taller only counts where the box hides it
        const hidesY = getComputedStyle(e).overflowY !== 'visible';
        const overflows = e.scrollWidth > e.clientWidth || (hidesY && e.scrollHeight > e.clientHeight + 1);
        const bottom = r.top + Math.max(r.height, e.scrollHeight);
        const outside = r.width > 0
          && (r.left < box.left - 0.5 || r.right > box.right + 0.5 || bottom > box.bottom + 0.5);
        if (overflows || outside) {
          out.push({metric: card.innerText.replace(/\\n+/g, ' | '), part: part.dataset.testid,
                    scroll: [e.scrollWidth, e.scrollHeight], client: [e.clientWidth, e.clientHeight],
                    outside});
        }
      }
    }
  }
  return out;
}"""

#: Streamlit's own metric style (one line, ellipsis, 36 px), put back to check the check.
STREAMLIT_METRIC_STYLE = """
[data-testid="stMetric"] [data-testid="stMetricValue"] { font-size: 2.25rem !important; }
[data-testid="stMetric"] [data-testid="stMarkdownContainer"].stMarkdownEllipsis,
[data-testid="stMetric"] [data-testid="stMarkdownContainer"].stMarkdownEllipsis p {
  white-space: nowrap !important; overflow: hidden !important; text-overflow: ellipsis !important; }
"""

# url path -> (metrics the demo shows there at least, what is on screen once the page is drawn)
PAGES = {
    "overview": (6, "[data-testid='stMetricLabel'] >> text=Cost per month"),  # its last metric, after the chart
    "engagement": (5, "[data-testid='stMetricLabel'] >> text=Finder's fees"),
    "roi-report": (0, "text=Reproducibility:"),  # the report has no metric cards today; any it gets is checked
}


def _open(page, server: str, path: str, at_least: int, drawn: str) -> None:
    page.goto(f"{server}/{'' if path == 'overview' else path}")
    page.locator(drawn).first.wait_for(state="visible")
    page.wait_for_function(f"() => document.querySelectorAll('[data-testid=\"stMetric\"]').length >= {at_least}")
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")
    page.evaluate("() => document.fonts.ready")  # widths measured with the final font


@pytest.fixture
def laptop(browser):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_every_key_metric_is_whole_at_1280x800(laptop, server, output_path, path):
    at_least, drawn = PAGES[path]
    _open(laptop, server, path, at_least, drawn)
    shown = laptop.locator("[data-testid='stMetric']").count()
    laptop.screenshot(path=str(Path(output_path) / f"{path}-1280x800.png"), full_page=True)
    assert shown >= at_least, f"{path}: {shown} metrics on screen, the demo has at least {at_least}"
    assert laptop.evaluate(CUT_PARTS_JS) == []


def test_the_check_finds_a_metric_cut_with_streamlits_own_style(laptop, server, output_path):
    """The check above is not blind: with Streamlit's one-line, ellipsis style put back, the Engagement
    page's two long values ("$3,500 a month", "5.0M @ $0.0400") are reported cut at 1280x800."""
    at_least, drawn = PAGES["engagement"]
    _open(laptop, server, "engagement", at_least, drawn)
    laptop.add_style_tag(content=STREAMLIT_METRIC_STYLE)
    laptop.wait_for_function("() => getComputedStyle(document.querySelector("
                             "'[data-testid=\"stMetricValue\"] p')).whiteSpace === 'nowrap'")
    laptop.screenshot(path=str(Path(output_path) / "engagement-streamlit-style.png"))
    cut = {c["metric"].split(" | ")[0] for c in laptop.evaluate(CUT_PARTS_JS)}
    assert {"Retainer", "Option"} <= cut, cut
