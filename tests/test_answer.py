"""The method settings (analytics.settings) and the programme's one answer (analytics.answer)."""
from __future__ import annotations

import pytest

from analytics.settings import (DEFAULTS, MAX_WINDOWS, SETTINGS, MethodSettings, parse_settings,
                                parse_windows)

# --- settings: hostile URL values -> the settings used and a refusal in words ------------------------

D = DEFAULTS
HOSTILE = [
    # (name, URL parameters, expected settings fields, words every refusal must contain (None: no refusal))
    ("nothing given", {}, {}, None),
    ("defaults spelled out", {"model": "market", "thin": "none", "est": "-120..-11", "win": "-1..1,0..5"}, {}, None),
    ("estimation start far in the past (issue 11: 8 GB)", {"est": "-30000000..-11"}, {"est": D.est},
     ["-1,000", "-120..-11 used instead"]),
    ("estimation start at the bound is kept", {"est": "-1000..-11"}, {"est": (-1000, -11)}, None),
    ("estimation start one past the bound", {"est": "-1001..-11"}, {"est": D.est}, ["-1,000"]),
    ("estimation window too short (was 'choose a shorter')", {"est": "-20..-11"}, {"est": D.est},
     ["10 trading days", "at least 30", "longer"]),
    ("estimation window reaching day 0", {"est": "-120..0"}, {"est": D.est}, ["before day 0"]),
    ("estimation window reversed", {"est": "-11..-120"}, {"est": D.est}, ["ends before it starts", "-120..-11"]),
    ("event window far out (issue 11: 719 MB)", {"win": "0..100000"}, {"windows": D.windows},
     ["250", "-1..1,0..5 used instead"]),
    ("event window at the bound is kept", {"win": "-250..250"}, {"windows": ((-250, 250),),
                                                               "est": (-360, -251)}, ["overlap"]),
    ("200 windows (issue 11: 25 s a render)", {"win": ",".join(f"{i}..{i + 1}" for i in range(200))},
     {"windows": tuple((i, i + 1) for i in range(MAX_WINDOWS))}, ["200 event windows", "at most 10"]),
    ("bad window text is refused, not ignored", {"win": "abc"}, {"windows": D.windows},
     ["'abc'", "not two day numbers"]),
    ("one bad window among good ones", {"win": "-1..1,zz,0..5"}, {"windows": D.windows}, ["'zz'"]),
    ("a window written with a comma", {"win": "-1,1"}, {"windows": ((-1, 1),)}, None),
    ("windows separated by spaces, repeated once", {"win": "-1..1 0..5 -1..1"}, {"windows": D.windows}, None),
    ("impossible date (issue 11: traceback)", {"period": "2024-02-30..2024-03-01"}, {"period": D.period},
     ["2024-02-30", "not a calendar date"]),
    ("period reversed", {"period": "2024-03-01..2024-02-01"}, {"period": D.period}, ["ends before it starts"]),
    ("period outside 1900-2100", {"period": "0001-01-01..2024-03-01"}, {"period": D.period}, ["1900"]),
    ("a valid period", {"period": "2024-02-01..2024-03-01"}, {"period": "2024-02-01..2024-03-01"}, None),
    ("period code", {"period": "1y"}, {"period": "1y"}, None),
    ("unknown period code", {"period": "forever"}, {"period": D.period}, ["'forever'"]),
    ("unknown model", {"model": "garch"}, {"model": "market"}, ["'garch'", "market model used instead"]),
    ("model by its label", {"model": "Market-adjusted"}, {"model": "market_adjusted"}, None),
    ("constant mean + Dimson (was refused in code syntax)", {"model": "constant_mean", "thin": "dimson"},
     {"model": "constant_mean", "thin": "trade_to_trade"}, ["no beta", "trade-to-trade"]),
    ("unknown type left out", {"types": "press_release,zzz"}, {"types": ("press_release",)}, ["'zzz'"]),
    ("types by label", {"types": "Press release,Conference"}, {"types": ("press_release", "conference")}, None),
    ("a value far too long", {"est": "9" * 5000}, {"est": D.est}, ["5,000 characters"]),
    ("a repeated URL key uses its last value", {"model": ["constant_mean", "market_adjusted"]},
     {"model": "market_adjusted"}, None),
    ("an unrelated key is left alone", {"client": "beta", "ticker": "X"}, {}, None),
]


@pytest.mark.parametrize("name,params,expected,words", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_url_values(name, params, expected, words):
    parsed = parse_settings(params)
    for field, value in expected.items():
        assert getattr(parsed.settings, field) == value, (name, field)
    for field in {"model", "thin", "est", "windows", "period", "types"} - set(expected):
        assert getattr(parsed.settings, field) == getattr(DEFAULTS, field), (name, field)
    if words is None:
        assert parsed.refusals == (), parsed.refusals
    else:
        text = " ".join(parsed.refusals)
        assert parsed.refusals, f"{name}: refused silently"
        for w in words:
            assert w in text, (w, text)
        assert all(r[:1].isupper() and r.endswith(".") for r in parsed.refusals), parsed.refusals


def test_settings_round_trip_through_the_url():
    s = MethodSettings(model="market_adjusted", thin="trade_to_trade", est=(-200, -21), windows=((-2, 2), (0, 10)),
                       period="2024-01-02..2024-06-28", types=("press_release",))
    back = parse_settings(s.query())
    assert back.settings == s and back.refusals == ()
    assert DEFAULTS.query() == {}  # the defaults need no URL key
    assert set(DEFAULTS.query(all_keys=True)) == {x.key for x in SETTINGS}


def test_every_setting_declared_once_with_default_and_help():
    keys = [s.key for s in SETTINGS]
    assert len(keys) == len(set(keys))
    for s in SETTINGS:
        assert s.help and s.label
        assert getattr(DEFAULTS, s.name) == s.default
        # the default's own URL spelling parses back to the default with no refusal
        value, why = s.parse(s.format(s.default)) if s.format(s.default) else (s.default, None)
        assert value == s.default and why is None, s.name


def test_parse_windows_keeps_order_and_says_why():
    assert parse_windows("0..5,-1..1") == (((0, 5), (-1, 1)), [])
    wins, problems = parse_windows("3..1")
    assert wins is None and "write the earlier day first (1..3)" in problems[0]


def test_describe_states_every_setting():
    text = DEFAULTS.describe()
    for part in ("market model", "none (close-to-close)", "-120..-11", "-1..1, 0..5", "the engagement", "all types"):
        assert part in text


# --- one answer, rendered everywhere: the headline figures are identical on every surface ------------------

import html as _html  # noqa: E402
import io  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
from dataclasses import replace  # noqa: E402

import pandas as pd  # noqa: E402
from pages import open_page, page_text  # noqa: E402
from test_user_path import workspace  # noqa: E402,F401 - the real-data-like workspace (Yahoo CSV through ingest)


def _view(db: str, period: str = "engagement", settings=DEFAULTS):
    """The view the pages build for the first client (the sidebar's defaults)."""
    from app import loaders, state
    from app.ui import _span

    client = loaders.clients(db).iloc[0]
    eng = loaders.engagements(db, client["client_id"])
    first, last = _span(loaders.coverage(db), client["ticker"])
    start, end = state.resolve_period(period, data_start=first, data_end=last,
                                      engagement_start=eng["start_date"].min(), engagement_end=eng["end_date"].max())
    return state.View(client["client_id"], client["name"], client["ticker"], client["benchmark"], start, end,
                      period, replace(settings, period=period))


def _pdf_text(pdf: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing: `make test` installs poppler-utils (or apt-get install poppler-utils)")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True, timeout=120).stdout
    return " ".join(out.split())


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def demo_ws(demo_db, tmp_path, monkeypatch):
    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_db.read_bytes())
    monkeypatch.setenv("IRDASH_DB", str(copy))
    return copy


@pytest.fixture
def real_ws(workspace, monkeypatch):  # noqa: F811
    monkeypatch.setenv("IRDASH_DB", str(workspace))
    return workspace


@pytest.mark.parametrize("which", ["demo_ws", "real_ws"])
def test_each_headline_figure_is_identical_on_every_surface(which, request, tmp_path):
    from app import analysis, exports, report

    db = str(request.getfixturevalue(which))
    overview = _flat(page_text(open_page("overview")))
    roi_page = _flat(page_text(open_page("roi_report")))
    view = _view(db)
    ans = analysis.answer(db, view)
    content = analysis.report_content(db, view, simulated=ans.simulated)
    html_text = _flat(re.sub(r"<[^>]+>", " ", _html.unescape(report.report_html(content, embed_charts=False))))
    pdf_text = _pdf_text(report.report_pdf(report.report_html(content)), tmp_path)
    csv = pd.read_csv(io.BytesIO(exports.table_csv(ans.headline_frame())), keep_default_na=False)
    assert ans.around is not None and ans.whole is not None, ans.error
    assert len(ans.headline) >= 8
    for (key, label, text), (csv_label, csv_value) in zip(ans.headline, csv[["figure", "value"]].itertuples(index=False)):
        line = f"{label}: {text}"
        assert line in overview, ("overview", line)
        assert line in roi_page, ("ROI report page", line)
        assert f"{label} {text}" in html_text, ("report HTML", line)
        assert _flat(text) in pdf_text, ("PDF", line)
        assert (csv_label, csv_value) == (label, text), ("CSV", line)
    # the same computation: the page states the answer's own data hash and settings
    assert ans.reproducibility in roi_page and ans.reproducibility in overview
    assert _flat(ans.reproducibility) in pdf_text
    # verdict first: the report's first section is the verdict, and it has 3 to 5 sentences
    assert html_text.index("Verdict") < html_text.index("Inputs")
    assert 3 <= len(ans.verdict) <= 5
    # no value without its interval: every dollar figure of the two notions carries one
    for notion in (ans.around, ans.whole):
        assert "90% interval" in notion.text


def test_the_url_settings_change_the_answer_on_every_page_alike(demo_ws):
    query = {"model": "market_adjusted", "thin": "trade_to_trade", "win": "0..2"}
    overview = _flat(page_text(open_page("overview", query)))
    roi_page = _flat(page_text(open_page("roi_report", query)))
    default = _flat(page_text(open_page("roi_report")))
    from analytics.settings import parse_settings
    from app import analysis

    settings = parse_settings(query).settings
    ans = analysis.answer(str(demo_ws), _view(str(demo_ws), settings=settings))
    line = f"{ans.headline[0][1]}: {ans.headline[0][2]}"
    assert line in overview and line in roi_page and line not in default
    assert "market-adjusted" in roi_page and "trade-to-trade" in roi_page and "days 0..2" in roi_page


def test_a_refused_url_value_is_said_on_the_page(demo_ws):
    text = page_text(open_page("overview", {"est": "-30000000..-11", "period": "2024-02-30..2024-03-01"}))
    assert "-1,000" in text and "2024-02-30" in text and "not a calendar date" in text
