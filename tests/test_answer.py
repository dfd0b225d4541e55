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
    ("defaults spelled out", {"model": "market", "thin": "auto", "est": "-120..-11", "win": "-1..1,0..5"}, {}, None),
    ("close-to-close asked for", {"thin": "none"}, {"thin": "none"}, None),
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
    for part in ("market model", "automatic (follows the data)", "-120..-11", "-1..1, 0..5", "the engagement", "all types"):
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
    from app import exports, report
    from app.views import common
    from app.views import report as report_view
    from app.views import event_impact as impact_view

    db = str(request.getfixturevalue(which))
    overview = _flat(page_text(open_page("overview")))
    roi_page = _flat(page_text(open_page("roi_report")))
    impact_page = open_page("event_impact")
    view = _view(db)
    ans = common.answer(db, view)
    content = report_view.report_content(db, view, simulated=ans.simulated)
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
    # Event impact lays out the answer's own study: the tests table it shows is the answer's object, and its
    # per-type rows of the first window carry the report's and the CSV's CAAR and corrected p, to the last bit
    # (common.study: the cached object the answer is composed on, so equal to the last bit, not recomputed)
    shown = impact_view.study(db, view, view.settings)
    assert shown["study"].result is not None and shown["error"] is None
    pd.testing.assert_frame_equal(shown["tests"], ans.tests, check_exact=True)
    pd.testing.assert_frame_equal(shown["study"].cars, ans.cars, check_exact=True)
    page_tests = next(t.value for t in impact_page.dataframe if {"group", "caar", "headline_p_adjusted"}
                      <= set(t.value.columns))
    w = ans.settings.windows[0]
    first = page_tests[(page_tests["window_start"] == w[0]) & (page_tests["window_end"] == w[1])].set_index("group")
    by_type_csv = pd.read_csv(io.BytesIO(exports.table_csv(ans.per_type)))
    assert len(ans.per_type) >= 2 and len(by_type_csv) == len(ans.per_type)
    for row, csv_row in zip(ans.per_type.itertuples(), by_type_csv.itertuples()):
        on_page = first.loc[row.label]  # labels, not codes, on the page
        assert on_page["caar"] == row.caar == csv_row.caar, ("CAAR", row.label)
        assert on_page["headline_p_adjusted"] == row.p_value == csv_row.p_value, ("p corrected", row.label)
        assert on_page["n"] == row.n == csv_row.n
        printed = report.per_type_table(ans.per_type.iloc[[row.Index]]).iloc[0]
        assert _flat(" ".join(printed.iloc[:4])) in html_text, ("report per-type row", row.label)
    assert ans.per_type["p_corrected"].all()  # the verdicts read the corrected p
    # the same computation: the page states the answer's own data hash and settings
    assert ans.reproducibility in roi_page and ans.reproducibility in overview
    # pdftotext drops a hyphen where a line breaks after it ("trade-to-" + "trade" -> "trade-totrade")
    assert _flat(ans.reproducibility).replace("-", "") in pdf_text.replace("-", "")
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
    from app.views import common

    settings = parse_settings(query).settings
    ans = common.answer(str(demo_ws), _view(str(demo_ws), settings=settings))
    line = f"{ans.headline[0][1]}: {ans.headline[0][2]}"
    assert line in overview and line in roi_page and line not in default
    assert "market-adjusted" in roi_page and "trade-to-trade" in roi_page and "days 0..2" in roi_page


def test_a_refused_url_value_is_said_on_the_page(demo_ws):
    text = page_text(open_page("overview", {"est": "-30000000..-11", "period": "2024-02-30..2024-03-01"}))
    assert "-1,000" in text and "2024-02-30" in text and "not a calendar date" in text


# --- the answer's pieces, against hand computations ------------------------------------------------------

import math  # noqa: E402

import numpy as np  # noqa: E402

from analytics import answer as A  # noqa: E402


class _Roi:  # the fields of analytics.roi.RoiResult that roi_words reads
    def __init__(self, roi, lo, hi, level=0.9):
        self.roi, self.roi_low, self.roi_high, self.level = roi, lo, hi, level


@pytest.mark.parametrize("name, roi, lo, hi, expected", [
    ("inside +-1,000%", 2.5679, -0.5, 9.99, "ROI +257% (90% interval \u221250% to +999%)"),
    ("exactly 1,000% is still a number", 1.0, -10.0, 10.0, "ROI +100% (90% interval \u22121,000% to +1,000%)"),
    ("beyond: words, both ends", 2.57, -70.57, 75.70,
     "ROI: the interval is too wide to say (its 90% interval runs from a loss of more than ten times the cost "
     "to a gain of more than ten times the cost)"),
    ("beyond on one end only", 0.5, -0.9, 12.0,
     "ROI: the interval is too wide to say (its 90% interval runs from \u221290% to a gain of more than ten times "
     "the cost)"),
    ("unknown", float("nan"), 0.0, 1.0, "ROI not available: the cost or the value is unknown"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None)
def test_roi_words(name, roi, lo, hi, expected):
    assert A.roi_words(_Roi(roi, lo, hi)) == expected


@pytest.mark.parametrize("share, expected", [
    (358_207.416 / 63_458_207, "0.56%"),       # 0.5645%: two decimals
    (5_000_000 / 63_458_207, "7.88%"),
    (1_000 / 6_000_000_000, "0.000017%"),       # a large cap: 1.67e-7 is not "0%"
    (0.0, "0%"),
    (float("nan"), "n/a"),
])
def test_share_percent_never_rounds_a_real_stake_to_zero(share, expected):
    assert A.share_percent(share) == expected


@pytest.mark.parametrize("caar, p, mde, corrected, words", [
    (0.031, 0.004, 0.02, True, ["up 3.1%", "distinguishable from zero", "p = 0.004", "after correction"]),
    (-0.05, 0.02, np.nan, False, ["down 5.0%", "not yet corrected"]),
    (0.01, 0.40, 0.08, True, ["not distinguishable from zero", "p = 0.40", "about 8.0% or more"]),
    (0.01, np.nan, np.nan, True, ["not tested"]),
])
def test_type_verdict_words(caar, p, mde, corrected, words):
    text = A.type_verdict(caar, p, mde, corrected)
    for w in words:
        assert w in text, (w, text)


def test_value_with_interval_and_no_bare_value():
    assert A.value_with_interval(319_000, -6_200_000, 6_900_000) == "$319k (90% interval \u2212$6.2M to $6.9M)"
    assert A.value_with_interval(1.0, np.nan, 2.0) == "not available"


def test_activities_outside_the_price_history_are_listed_with_their_reason():
    acts = pd.DataFrame({"activity_id": [1, 2, 3], "date": pd.to_datetime(["2019-12-31", "2020-01-02",
                                                                              "2020-02-01"])})
    px = pd.DataFrame({"date": pd.bdate_range("2020-01-01", "2020-01-31")})
    out = A.outside_price_history(acts, px, "ACME")
    assert out["event_id"].tolist() == [1, 3]
    assert out["reason"].tolist() == ["before the first stored price of ACME (2020-01-01)",
                                      "after the last stored price of ACME (2020-01-31)"]
    none = A.outside_price_history(acts, pd.DataFrame(columns=["date"]), "ACME")
    assert none["reason"].eq("no prices of ACME are stored").all() and len(none) == 3


FINGERPRINT_BARS = pd.DataFrame({"date": pd.bdate_range("2020-01-01", periods=3), "close": [1.0, 2.0, 3.0],
                                 "volume": [0, 100, 200], "source": ["csv:a", "csv:a", None],
                                 "zero_volume": [True, False, False]})


@pytest.mark.parametrize("name, change", [
    ("a close", lambda f: f.assign(close=[1.0, 2.0, 3.5])),
    ("a close by one ulp", lambda f: f.assign(close=[1.0, 2.0, float(np.nextafter(3.0, 4.0))])),
    ("a date", lambda f: f.assign(date=f["date"].where(f.index != 1, pd.Timestamp("2020-01-09")))),
    ("a volume", lambda f: f.assign(volume=[0, 101, 200])),
    ("a missing text filled in", lambda f: f.assign(source=["csv:a", "csv:a", "csv:b"])),
    ("a flag", lambda f: f.assign(zero_volume=[True, True, False])),
    ("a column renamed", lambda f: f.rename(columns={"close": "adj_close"})),
    ("the same numbers as floats", lambda f: f.astype({"volume": float})),
    ("two rows swapped", lambda f: f.iloc[[1, 0, 2]].reset_index(drop=True)),
    ("a row dropped", lambda f: f.iloc[:2]),
    ("a row added", lambda f: pd.concat([f, f.iloc[[2]]], ignore_index=True)),
    ("an empty frame with the columns", lambda f: f.iloc[:0]),
])
def test_data_fingerprint_changes_with_any_value(name, change):
    assert A.data_fingerprint(change(FINGERPRINT_BARS.copy())) != A.data_fingerprint(FINGERPRINT_BARS), name


def test_data_fingerprint_changes_with_every_single_cell():
    """Exhaustive on the tiny frame: each cell changed alone (to a value of its own type) changes the hash."""
    base = A.data_fingerprint(FINGERPRINT_BARS)
    other = {"date": pd.Timestamp("2021-06-01"), "close": -7.25, "volume": 12345, "source": "x", "zero_volume": None}
    for col in FINGERPRINT_BARS.columns:
        for i in range(len(FINGERPRINT_BARS)):
            f = FINGERPRINT_BARS.copy()
            f[col] = f[col].astype(object) if col == "zero_volume" else f[col]
            f.loc[i, col] = other[col]
            assert A.data_fingerprint(f) != base, (col, i)


@pytest.mark.parametrize("name, same", [
    ("a copy", lambda f: f.copy()),
    ("another index (not data)", lambda f: f.set_axis([10, 20, 30])),
    ("the frame read back from its rows", lambda f: pd.DataFrame(f.to_dict("records")).astype(f.dtypes.to_dict())),
])
def test_data_fingerprint_is_unchanged_when_nothing_changed(name, same):
    assert A.data_fingerprint(same(FINGERPRINT_BARS)) == A.data_fingerprint(FINGERPRINT_BARS), name
    assert len(A.data_fingerprint(FINGERPRINT_BARS)) == 16


def test_data_fingerprint_of_several_frames_keeps_their_boundaries():
    # the same three rows split 2+1 or 1+2 are different data (which rows are prices, which the benchmark)
    f = FINGERPRINT_BARS
    assert A.data_fingerprint(f.iloc[:2], f.iloc[2:]) != A.data_fingerprint(f.iloc[:1], f.iloc[1:])
    assert A.data_fingerprint(None, f) == A.data_fingerprint(pd.DataFrame(), f)
    # unhashable cells (a list in an object column) are hashed by their text instead of failing
    lists = pd.DataFrame({"ids": [[1, 2], [3]]})
    assert A.data_fingerprint(lists) != A.data_fingerprint(pd.DataFrame({"ids": [[1, 2], [4]]}))


def test_the_answer_composed_on_a_given_study_is_the_same_answer(demo_db):
    """programme_answer(study=programme_study(...)) is the answer computed in one go, figure for figure; a study of
    other settings is refused, not silently mixed in."""
    from analytics.__main__ import answer_inputs
    from store import Store

    inputs = answer_inputs(Store(demo_db), "auxer", DEFAULTS)
    whole = A.programme_answer(inputs, DEFAULTS)
    study = A.programme_study(inputs, DEFAULTS)
    composed = A.programme_answer(inputs, DEFAULTS, study=study)
    assert composed.headline == whole.headline and composed.verdict == whole.verdict
    assert composed.reproducibility == whole.reproducibility and composed.notes == whole.notes
    for name in ("per_type", "per_activity", "tests", "cars", "skipped", "whole_band"):
        pd.testing.assert_frame_equal(getattr(composed, name), getattr(whole, name), check_exact=True, obj=name)
    assert composed.study is study.result and study.thin_trading_words == whole.thin_trading_words != ""
    # the types shown on a chart are not part of the study: a study of all types serves a view of two
    two = replace(DEFAULTS, types=("press_release", "market_maker_intro"))
    assert A.programme_answer(inputs, two, study=study).headline == whole.headline
    other = replace(DEFAULTS, model="market_adjusted")
    with pytest.raises(ValueError, match="other settings"):
        A.programme_answer(inputs, other, study=study)


def test_dilution_counts_the_option_as_potential_dilution():
    d = {"shares_outstanding": 60_000_000.0, "retainer_shares": 300_000.0, "retainer_share": 0.005,
         "option_shares": 5_000_000.0, "option_share": 5_000_000 / 60_000_000, "option_status": "live",
         "exercised": None}
    text = A.dilution_sentence(d)
    # 0.5% + 8.33% = 8.83% if exercised
    assert "0.50% of the 60,000,000 shares outstanding" in text and "8.33%" in text and "8.83% in all" in text
    assert "records no exercise" in text


def test_the_whole_engagement_band_ends_on_the_reported_interval(demo_db):
    """The band's last day reproduces roi.engagement_period_abnormal_value's normal interval (MacKinlay variance)."""
    from analytics.__main__ import answer_inputs
    from store import Store

    inputs = answer_inputs(Store(demo_db), "auxer", DEFAULTS)
    ans = A.programme_answer(inputs, DEFAULTS)
    p = ans.account.impact["period"]
    last = ans.whole_band.iloc[-1]
    assert last["cum_value"] == pytest.approx(p.abnormal_value, rel=1e-10)
    assert last["cum_low"] == pytest.approx(p.interval_low, rel=1e-9)
    assert last["cum_high"] == pytest.approx(p.interval_high, rel=1e-9)
    # and the first day by hand: sd_1 = sigma * w_1 * sqrt(1 + x_1' (X'X)^-1 x_1) > sigma * w_1
    first = ans.whole_band.iloc[0]
    w1 = p.daily["cap_prev"].iloc[0]
    z = 1.6448536269514722
    assert (first["cum_high"] - first["cum_value"]) / z > p.sigma * w1
    assert ans.stake["date"].max() <= p.end and ans.stake["date"].min() >= p.start
    assert {"company_low", "company_high"} <= set(ans.stake.columns)
    assert math.isfinite(ans.cost["total"]) and ans.cost["cash"] + ans.cost["stock"] == pytest.approx(ans.cost["total"])


def test_activities_with_other_news_in_their_window_are_flagged_and_said_apart(demo_db):
    """An earnings release on 1999-01-05 (time unknown: its day and the next count) confounds the activities
    whose window (-1..5, the envelope of the default windows) holds either day."""
    from analytics.__main__ import answer_inputs
    from store import Store

    inputs = answer_inputs(Store(demo_db), "auxer", DEFAULTS)
    events = pd.DataFrame({"date": pd.to_datetime(["1999-01-05"]), "kind": ["earnings"], "title": ["Q4 results"],
                           "after_close": [None]})
    ans = A.programme_answer(replace(inputs, confounding=events), DEFAULTS)
    flagged = ans.per_activity[ans.per_activity["confounded"]]
    assert len(flagged) >= 1 and flagged["confounders"].str.contains("earnings release 1999-01-05").all()
    # activity 1 is dated 1999-01-05 itself: its day 0 is the release day
    assert 1 in set(flagged["activity_id"])
    assert ans.confounded_note in ans.verdict and ans.verdict.index(ans.confounded_note) == 1
    assert len(ans.verdict) <= 5
    assert f"{len(flagged)} of {len(ans.per_activity)} activities had an earnings release" in ans.confounded_note
    clean = A.programme_answer(replace(inputs, confounding=events.iloc[:0]), DEFAULTS)
    assert not clean.per_activity["confounded"].any() and clean.confounded_note == ""


def _bars(closes, volumes, start="2024-01-02"):
    return pd.DataFrame({"date": pd.bdate_range(start, periods=len(closes)), "close": closes, "volume": volumes})


@pytest.mark.parametrize("name, bars, kw, words", [
    # 61 bars of 100 shares then 400: 400 / median(100) = 4.0x >= 3x
    ("volume alert", _bars([1.0] * 62, [100.0] * 61 + [400.0]), {}, ["Abnormal volume on", "4.0x"]),
    ("no alert at 2x", _bars([1.0] * 62, [100.0] * 61 + [200.0]), {}, []),
    # the period ends 2024-03-26 but the ticker's last stored bar is 2024-06-28: 2024-07-08 - 06-28 = 10 days
    ("stale from the last stored bar, not the period's end", _bars([1.0] * 62, [100.0] * 62),
     {"last_stored": "2024-06-28", "today": "2024-07-08"}, ["last stored bar (2024-06-28) is 10 days old"]),
    ("fresh data", _bars([1.0] * 62, [100.0] * 62), {"last_stored": "2024-06-28", "today": "2024-07-01"}, []),
    ("simulated data is never stale", _bars([1.0] * 62, [100.0] * 62),
     {"last_stored": "2024-06-28", "today": "2030-01-01", "simulated": True}, []),
])
def test_market_snapshot_alerts(name, bars, kw, words):
    kw = {"today": bars["date"].iloc[-1], **kw}
    snap = A.market_snapshot(bars, None, None, **kw)
    text = " ".join(t for _, t in snap["alerts"])
    for w in words:
        assert w in text, (name, text)
    if not words:
        assert snap["alerts"] == [], (name, snap["alerts"])


def test_market_snapshot_figures():
    bars = _bars([0.04, 0.05], [1_000.0, 3_000.0])
    shares = pd.DataFrame({"date": [pd.Timestamp("2023-12-01")], "shares": [60_000_000.0]})
    snap = A.market_snapshot(bars, shares, None, today=bars["date"].iloc[-1])
    m = {label: (value, delta) for label, value, delta, _ in snap["metrics"]}
    assert m["Last close"] == ("$0.0500", "+25.0%")           # 0.05 / 0.04 - 1
    assert m["Market cap"][0] == "$3.0M"                       # 60M x $0.05
    assert m["Volume vs normal"][0] == "3.0x"                  # 3,000 / median(1,000)
    assert m["Option moneyness"][0] == "n/a"
