"""Chart exports (kaleido once per process), file names, and the ROI report as HTML and PDF."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from app import charts, exports, report, state


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    days = pd.bdate_range("1999-01-04", periods=60)
    return pd.DataFrame({"date": days, "close": 0.04 * np.exp(np.cumsum(rng.normal(0, 0.03, 60))),
                         "volume": rng.integers(0, 10**6, 60).astype(float)})


@pytest.fixture(scope="module")
def figure(prices):
    acts = pd.DataFrame({"date": prices["date"].iloc[[5, 20]], "type": ["press_release", "conference"],
                         "title": ["PR", "Conf"], "car": [0.12, np.nan]})
    return charts.price_volume_chart(prices, acts, benchmark=prices.assign(close=prices["close"] * 3), strike=0.04,
                                     title="t", simulated=True)


def test_price_chart_has_one_marker_trace_per_type_and_strike(figure):
    names = [t.name for t in figure.data]
    assert names[:2] == ["Close", "Volume"]
    assert {"Press release", "Conference", "Benchmark (rebased)"} <= set(names)
    assert any("strike" in (a.text or "") for a in figure.layout.annotations)
    assert any(a.text == charts.SIMULATED_MARK for a in figure.layout.annotations)


def test_benchmark_is_rebased_to_the_stock_first_close(figure, prices):
    bench = next(t for t in figure.data if t.name == "Benchmark (rebased)")
    assert bench.y[0] == pytest.approx(prices["close"].iloc[0])


def test_png_and_svg_exports(figure):
    png = exports.figure_png(figure)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    svg = exports.figure_svg(figure)
    assert b"<svg" in svg[:500] and b"SIMULATED DATA" in svg
    assert exports._KALEIDO_STARTED


def test_html_export_is_self_contained(figure):
    html = exports.figure_html(figure)
    assert not re.search(rb"<script[^>]+src=", html) and len(html) > 1_000_000


@pytest.mark.parametrize("args, expected", [
    (("AXGI", "Price / volume", "1998-07-01", "1999-12-31", "png"), "AXGI_price-volume_1998-07-01_1999-12-31.png"),
    (("^RUT", "caar", None, None, "svg"), "idx-RUT_caar_all_all.svg"),
    (("axgi", "roi report", "1999-01-04", "1999-07-03", "pdf", True),
     "AXGI_roi-report_1999-01-04_1999-07-03_simulated.pdf"),
])
def test_export_file_names(args, expected):
    assert exports.export_filename(*args) == expected


@pytest.mark.parametrize("text, expected", [
    ("-120..-11", (-120, -11)), ("-5:5", (-5, 5)), ("5..1", (-1, 1)), ("junk", (-1, 1)), (None, (-1, 1)),
])
def test_parse_window(text, expected):
    assert state.parse_window(text, (-1, 1)) == expected


def test_parse_windows_round_trip():
    assert state.parse_windows("-1..1,0..5") == ((-1, 1), (0, 5))
    assert state.format_windows(((-1, 1), (0, 5))) == "-1..1,0..5"


def test_report_html_and_pdf(figure, tmp_path):
    content = report.ReportContent(title="IR program ROI: Test (AXGI)", subtitle="Period x", simulated=True,
                                   sections={"Impact": ["ROI +5%: not distinguishable from zero."]},
                                   figures=[("Price", figure)], tables=[("Table", pd.DataFrame({"a": [1.5]}))])
    html = report.report_html(content)
    assert html.count("SIMULATED DATA") >= 2 and "<svg" in html and "Methodology" in html
    for name in report.AMEC_SECTIONS:
        assert f"<h2>{name}</h2>" in html
    assert not re.search(r"""(src|href)=["']https?://""", html)
    pdf = report.report_pdf(html)
    assert pdf[:5] == b"%PDF-"
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    assert pdf_pages(path) >= 2  # the methodology appendix starts a new page


def pdf_pages(path) -> int:
    """Page count with poppler's pdftoppm (one PNG per page)."""
    import shutil
    import subprocess

    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    out = path.parent / "pages"
    out.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(out / "p")], check=True, timeout=60)
    return len(list(out.glob("p*.png")))
