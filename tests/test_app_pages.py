"""AppTest for every dashboard page: on the demo workspace and on an empty store; widgets change what is shown."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pages import PAGES, ROOT, open_page, page_text
from streamlit.testing.v1 import AppTest


@pytest.fixture
def demo(demo_db, tmp_path, monkeypatch) -> Path:
    """A private copy of the demo workspace (tests write to it) as IRDASH_DB."""
    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_db.read_bytes())
    monkeypatch.setenv("IRDASH_DB", str(copy))
    return copy


@pytest.fixture
def empty_store(tmp_path, monkeypatch) -> Path:
    from store import Store

    path = tmp_path / "empty.duckdb"
    Store(path).init()
    monkeypatch.setenv("IRDASH_DB", str(path))
    return path


def chart_specs(at: AppTest) -> list[str]:
    return [c.proto.spec for c in at.get("plotly_chart")]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_demo(demo, page):
    at = open_page(page)
    assert "Simulated data" in page_text(at)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_empty_store(empty_store, page):
    at = open_page(page)
    assert at.info, f"{page}: no empty state on an empty store"


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_workspace_file(tmp_path, monkeypatch, page):
    monkeypatch.setenv("IRDASH_DB", str(tmp_path / "missing.duckdb"))
    at = open_page(page)
    assert "python -m ingest demo" in page_text(at) or "No ticker" in page_text(at)


def test_overview_draws_price_chart_with_activity_markers(demo):
    at = open_page("overview")
    specs = chart_specs(at)
    assert specs, "no chart on the overview"
    assert '"Close"' in specs[0]
    assert "SIMULATED DATA" in specs[0]
    assert len(at.get("metric")) >= 5


def test_benchmark_toggle_adds_rebased_trace(demo):
    at = open_page("overview")
    assert "Benchmark (rebased)" not in chart_specs(at)[0]
    at.toggle(key="w_show_bench").set_value(True).run()
    assert "Benchmark (rebased)" in chart_specs(at)[0]


def test_url_state_opens_the_same_view(demo):
    at = open_page("overview", {"period": "all"})
    first = chart_specs(at)[0]
    assert at.query_params["period"] == ["all"] or at.query_params["period"] == "all"
    assert at.query_params.get("ticker")
    at2 = open_page("overview", {"period": "1y"})
    assert chart_specs(at2)[0] != first


def test_adding_an_activity_in_the_editor_stores_it_and_shows_it_on_the_overview(demo):
    from store import Store

    store = Store(demo)
    before = store.activities()
    client = store.clients()["client_id"].iloc[0]
    at = open_page("activities", {"period": "all"})
    day = pd.Timestamp(store.bars(store.clients()["ticker"].iloc[0])["date"].iloc[-20]).strftime("%Y-%m-%d")
    title = "Editor-added conference XYZ"
    at.session_state["activity_editor"] = {
        "edited_rows": {}, "deleted_rows": [],
        "added_rows": [{"date": day, "type": "conference", "title": title, "reach": 50, "cost": 100.0}],
    }
    at.run()
    assert not at.exception
    assert not at.get("error"), [e.value for e in at.get("error")]
    at.button(key="save_activities").click().run()
    assert not at.exception, [e.value for e in at.exception]
    after = store.activities(client)
    assert len(after) == len(before) + 1
    assert title in set(after["title"])
    overview = open_page("overview", {"period": "all"})
    assert title in chart_specs(overview)[0]


def test_editor_rejects_negative_cost_and_unknown_dates(demo):
    at = open_page("activities", {"period": "all"})
    at.session_state["activity_editor"] = {
        "edited_rows": {}, "deleted_rows": [],
        "added_rows": [{"date": "1900-01-02", "type": "conference", "title": "bad", "cost": -5}],
    }
    at.run()
    errors = " ".join(e.value for e in at.get("error"))
    assert "negative" in errors and "outside the stored prices" in errors
    assert at.button(key="save_activities").disabled


def test_switching_activity_type_changes_the_caar_table(demo):
    at = open_page("event_impact", {"period": "all"})
    tables = at.dataframe
    assert tables, "no tables on the event impact page"
    # the overlapping-activities table (all types) comes first: compare the per-type tables
    pooled = [t.value for t in tables if "repeated_days" not in t.value]
    caar = chart_specs(at)[0]
    box = at.selectbox(key="w_type")
    assert box.value == "all"
    box.select("press_release").run()
    assert not at.exception
    after = [t.value for t in at.dataframe if "repeated_days" not in t.value]
    assert len(after[0]) < len(pooled[0]) or not after[0].equals(pooled[0])
    assert set(after[-1]["type"]) <= {"press_release"} if "type" in after[-1] else True
    assert chart_specs(at)[0] != caar


def test_event_impact_draws_the_placebo_histogram_with_the_actual_caar_marked(demo):
    import json

    at = open_page("event_impact", {"period": "all"})
    # the demo's 402-day history holds no second copy of its six-month campaign: no campaign placebo, said why
    assert not [s for s in chart_specs(at) if '"histogram"' in s]
    assert "No campaign placebo: placebo not possible" in page_text(at)
    at.toggle(key="w_stock_placebo").set_value(True).run()  # the per-event stock placebo, behind its toggle
    histograms = [json.loads(spec) for spec in chart_specs(at) if '"histogram"' in spec]
    assert len(histograms) == 1, "no placebo histogram on the event impact page"
    fig = histograms[0]
    placebo = next(t.value for t in at.dataframe if "placebo_mean" in t.value)
    assert "caar_draws" not in placebo
    actual = float(placebo["caar"].iloc[0])
    draws = fig["data"][0]["x"]
    draws = draws if isinstance(draws, list) else None  # plotly may ship arrays base64-encoded
    assert draws is None or len(draws) == int(placebo["draws"].iloc[0])
    line = fig["layout"]["shapes"][0]
    assert line["x0"] == pytest.approx(actual) and line["x1"] == pytest.approx(actual)
    assert "actual" in fig["layout"]["annotations"][0]["text"]


def _event_table(at: AppTest) -> pd.DataFrame:
    return next(t.value for t in at.dataframe if {"event_id", "car", "p_value"} <= set(t.value.columns))


def test_event_impact_lists_overlapping_activities_and_merges_them_into_campaigns(demo):
    at = open_page("event_impact", {"period": "all"})
    chains = next(t.value for t in at.dataframe if "repeated_days" in t.value)
    assert len(chains) > 0 and (chains["n_activities"] >= 2).all()
    assert not chains["types"].str.contains("_").any() and chains["types"].str.contains("Press release").any()
    assert "counted in the CAR of every activity" in page_text(at) and "Kolari-Pynnonen" in page_text(at)
    assert any(b.proto.id.endswith("dl_overlaps_csv") for b in at.get("download_button")), "no CSV download"
    per_event = _event_table(at)
    assert not per_event["event_id"].astype(str).str.startswith("campaign-").any()

    box = at.checkbox(key="w_merge")
    assert box.value is False
    box.check().run()
    assert not at.exception, [e.value for e in at.exception]
    campaigns = _event_table(at)
    assert campaigns["event_id"].astype(str).str.startswith("campaign-").all()
    assert campaigns["event_id"].nunique() < per_event["event_id"].nunique()
    # every chain of the first window lies inside one campaign (campaigns whose widened windows overlap are
    # merged again, analytics.overlap.merge_campaigns), and no activity is in two campaigns
    members = {cid: set(str(ids).split(", ")) for cid, ids in
               zip(campaigns.drop_duplicates("event_id")["event_id"], campaigns.drop_duplicates("event_id")["activity_ids"])}
    for ids in chains["activity_ids"]:
        assert any(set(ids.split(", ")) <= m for m in members.values()), ids
    flat = [a for m in members.values() for a in m]
    assert len(flat) == len(set(flat))
    assert "stretched" in page_text(at)
    assert at.query_params["merge"] in ("1", ["1"])
    # the stretched windows cover the longest campaign (at least the longest chain)
    longest = int(campaigns["span_days"].max())
    assert longest >= int(chains["span_days"].max())
    assert campaigns["window_end"].max() == 5 + longest


def test_event_impact_shows_an_empty_state_without_overlaps(demo):
    at = open_page("event_impact", {"period": "all", "win": "0..0"})
    assert "No overlapping activities" in page_text(at)
    assert not any("repeated_days" in t.value for t in at.dataframe)

def test_csv_upload_goes_through_the_csv_provider_and_shows_on_the_data_page(empty_store):
    from app import actions
    from store import Store

    csv = b"Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,1.2,0.9,1.1,1.1,1000\n2024-01-03,1.1,1.3,1.0,1.2,1.2,0\n"
    progress = []
    ok, message = actions.run_ingest(str(empty_store), "csv", progress.append, ticker="TEST", file_name="t.csv",
                                     data=csv)
    assert ok, message
    assert len(Store(empty_store).bars("TEST")) == 2 and progress
    at = open_page("data")
    assert "TEST" in at.dataframe[0].value["ticker"].tolist()
    assert any("load-csv" in str(v) for v in at.dataframe[-1].value.to_numpy().ravel())


def test_bad_csv_is_rejected_with_the_reason(empty_store):
    from app import actions

    ok, message = actions.run_ingest(str(empty_store), "csv", lambda _t: None, ticker="TEST", file_name="bad.csv",
                                     data=b"Date,Close\nnot-a-date,abc\n")
    assert not ok and message.startswith("Failed:")


def test_a_client_added_on_the_data_page_appears_in_the_sidebar(empty_store):
    at = open_page("data")
    form = at.get("form")[0] if at.get("form") else None
    assert form is not None, "no client form on the data page"
    at.text_input[[t.label for t in at.text_input].index("Client id")].input("acme")
    at.text_input[[t.label for t in at.text_input].index("Name")].input("Acme Mining")
    at.text_input[[t.label for t in at.text_input].index("Ticker")].input("acme")
    at.button[[b.label for b in at.button].index("Save client")].click().run()
    assert not at.exception
    assert any("Saved client acme" in s.value for s in at.success)
    at.switch_page("app/pages/activities.py").run()
    assert at.selectbox(key="w_client").value == "acme"


def test_a_bad_client_id_is_refused_in_words(empty_store):
    at = open_page("data")
    at.text_input[[t.label for t in at.text_input].index("Client id")].input("Acme Corp")
    at.button[[b.label for b in at.button].index("Save client")].click().run()
    assert any("must be a slug" in e.value for e in at.error)


def test_engagement_tables_show_labels_not_column_names(demo):
    """Every column of the contract and retainer tables is hidden or shown under a human label."""
    import json

    at = open_page("engagement")
    shown = {}
    for frame in at.dataframe:
        config = json.loads(frame.proto.columns or "{}")
        for col in frame.value.columns:
            entry = config.get(col, {})
            if not entry.get("hidden"):
                shown[col] = entry.get("label")
    assert {"payment_date", "price", "shares_issued", "cumulative_dilution", "strike"} <= set(shown)
    unlabelled = [c for c, label in shown.items() if not label or "_" in label]
    assert not unlabelled, unlabelled


def _by_label(widgets, label):
    return next(w for w in widgets if w.label == label)


def test_terms_recorded_in_the_form_fill_the_engagement_page(empty_store):
    import datetime as dt

    from store import Store

    Store(empty_store).save_client("acme", "Acme Mining", "ACMX")
    at = open_page("engagement")
    assert any("No engagement recorded" in i.value for i in at.info)
    _by_label(at.text_input, "Consultant").input("PMR and Associates")
    _by_label(at.date_input, "Start").set_value(dt.date(1999, 1, 4))
    _by_label(at.number_input, "Retainer per month (USD, paid in stock)").set_value(3500.0)
    _by_label(at.number_input, "Minimum months").set_value(3)
    _by_label(at.number_input, "Shares under option").set_value(5_000_000.0)
    _by_label(at.number_input, "Strike (USD per share)").set_value(0.04)
    _by_label(at.date_input, "Granted").set_value(dt.date(1999, 1, 4))
    _by_label(at.date_input, "Expires").set_value(dt.date(1999, 2, 15))
    _by_label(at.button, "Save the terms").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    store = Store(empty_store)
    eng = store.engagements("acme")
    assert eng[["consultant", "retainer_amount", "minimum_months"]].values.tolist() == [["PMR and Associates", 3500.0, 3]]
    assert store.option_grants()[["shares", "strike"]].values.tolist() == [[5e6, 0.04]]
    assert "Contract" in [h.value for h in at.subheader]


def test_editing_the_retainer_in_the_form_keeps_grants_and_financings(demo):
    from store import Store

    before = Store(demo)
    grants, fins = before.option_grants(), before.financings()
    at = open_page("engagement")
    assert not [w for w in at.number_input if w.label.startswith("Retainer")]  # the form waits for the toggle
    at.toggle(key="edit_terms").set_value(True).run()
    _by_label(at.number_input, "Retainer per month (USD, paid in stock)").set_value(5000.0)
    _by_label(at.button, "Save the terms").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    after = Store(demo)
    assert after.engagements()["retainer_amount"].tolist() == [5000.0]
    pd.testing.assert_frame_equal(after.option_grants().drop(columns="grant_id"), grants.drop(columns="grant_id"))
    pd.testing.assert_frame_equal(after.financings().drop(columns="financing_id"), fins.drop(columns="financing_id"))


def test_terms_without_a_start_date_are_refused_in_words(empty_store):
    from store import Store

    Store(empty_store).save_client("acme", "Acme Mining", "ACMX")
    at = open_page("engagement")
    _by_label(at.button, "Save the terms").click().run()
    assert any("start_date is required" in e.value for e in at.error)
    assert Store(empty_store).engagements().empty


def test_an_uploaded_terms_file_goes_through_the_import_job(empty_store):
    from app import actions
    from store import Store

    example = (ROOT / "data" / "examples" / "engagement-terms.toml").read_bytes()
    ok, message = actions.import_terms_file(str(empty_store), "terms.toml", example)
    assert ok and message.startswith("import-terms auxer engagement 1: ok"), message
    ok, message = actions.import_terms_file(str(empty_store), "bad.toml", b"[engagement]\nstart_date = 1\n")
    assert not ok and "start_date = 1 is not a date" in message
    assert len(Store(empty_store).engagements()) == 1


# --- issue 10 points 5 and 7 on the Event impact and Activities pages ------------------------------------

def test_a_client_whose_ticker_has_no_prices_gets_a_message_not_a_crash(empty_store):
    from store import Store

    st = Store(empty_store)
    st.save_client("acme", "Acme Mining", "ACMX", "^RUT")
    st.add_activities(pd.DataFrame({"client_id": "acme", "date": [pd.Timestamp("2024-01-08")],
                                    "type": ["press_release"], "title": ["First release"]}))
    for page in ("activities", "event_impact", "overview", "roi_report"):
        at = open_page(page)  # fails on any exception (was KeyError: ['ticker'] not in index)
        text = page_text(at)
        assert "ACMX" in text, page


def test_event_impact_tests_table_is_short_and_labelled_with_the_rest_behind_a_toggle(demo):
    at = open_page("event_impact", {"period": "all"})
    short = next(t.value for t in at.dataframe if "caar" in t.value and "group" in t.value)
    assert len(short.columns) <= 8, list(short.columns)
    assert not short["group"].str.contains("_").any() and "Press release" in set(short["group"])
    assert not short["headline_test"].str.contains("_").any(), set(short["headline_test"])  # "Campaign model t"
    at.toggle(key="w_all_tests").set_value(True).run()
    full = next(t.value for t in at.dataframe if "caar" in t.value and "group" in t.value)
    assert len(full.columns) > len(short.columns) and "patell_p" in full
    # each row's over-rejecting tests are named with their measured size (the demo: one stock, clustered)
    flagged = [r for r in full.to_dict("records") if r.get("size_warning_tests")]
    assert flagged, "the demo's clustered campaign should flag the unadjusted tests"
    captions = [c.value for c in at.caption]
    for r in flagged:
        first = r["size_warning_tests"].split(",")[0].strip()
        assert any(c.startswith(f"{r['group']} ({r['window_start']}, {r['window_end']}): {first}: "
                                f"{r[first + '_size_warning']}") for c in captions), (r["group"], first)


def test_the_caar_chart_draws_the_pooled_curve_and_only_the_chosen_types(demo):
    import json

    at = open_page("event_impact", {"period": "all"})
    names = lambda: {d.get("name") for d in json.loads(chart_specs(at)[0])["data"] if d.get("name")}  # noqa: E731
    pooled = names()
    assert not {"Press release", "Conference", "Shareholder inquiry"} & pooled, pooled
    at.multiselect(key="w_types").set_value(["press_release", "conference"]).run()
    chosen = names()
    assert {"Press release", "Conference"} <= {n.split(" (")[0] for n in chosen}, chosen
    assert "Shareholder inquiry" not in {n.split(" (")[0] for n in chosen}
    assert at.query_params["types"] in ("press_release,conference", ["press_release,conference"])


def test_constant_mean_does_not_offer_dimson_and_a_url_asking_for_both_is_refused_in_words(demo):
    query = {"period": "all", "model": "constant_mean", "thin": "dimson"}
    assert "no beta" in page_text(open_page("overview", query))  # said where the link lands
    at = open_page("event_impact", query)
    assert "Dimson betas" not in at.selectbox(key="w_thin").options
    assert at.selectbox(key="w_thin").value == "trade_to_trade"


def test_the_thin_trading_warning_does_not_suggest_the_method_already_chosen(demo):
    at = open_page("event_impact", {"period": "all", "thin": "trade_to_trade"})
    warnings = " ".join(w.value for w in at.warning)
    assert "Choose the trade-to-trade" not in warnings
    at2 = open_page("event_impact", {"period": "all", "thin": "none"})
    assert "Choose the trade-to-trade" in " ".join(w.value for w in at2.warning)
    # the default follows the data: the demo trades on about half its days, so trade-to-trade, said why
    at3 = open_page("event_impact", {"period": "all"})
    assert "Choose the trade-to-trade" not in " ".join(w.value for w in at3.warning)
    assert any("Thin trading: trade-to-trade, chosen automatically" in c.value for c in at3.caption)


# --- charts drawn for the pages (issue 10 point 7: told apart by shape; the value's band) -------------------

_STAKE = pd.DataFrame({
    "date": pd.to_datetime(["1999-01-04", "1999-01-05", "1999-01-06"]),
    "retainer_value": [3_500.0, 3_600.0, 7_200.0],
    "option_fair_value": [26_000.0, 30_000.0, 31_000.0],
    "company_cum_abnormal_value": [200_000.0, 1_800_000.0, 7_700_000.0],
})
_NAMES = {"retainer_value": "retainer", "option_fair_value": "option", "company_cum_abnormal_value": "company"}


def test_each_activity_type_has_its_own_colour_and_marker_shape():
    """Eleven types: distinguishable by shape whatever the viewer's colour vision (issue 10 point 7)."""
    from analytics.constants import ACTIVITY_TYPE_CODES

    assert len(set(_charts().TYPE_COLOURS.values())) == len(ACTIVITY_TYPE_CODES) == 11
    assert len(set(_charts().TYPE_SYMBOLS.values())) == len(ACTIVITY_TYPE_CODES)
    markers = pd.DataFrame({"date": pd.to_datetime(["1999-01-05", "1999-01-06"]),
                            "type": ["press_release", "conference"], "title": ["a", "b"]})
    prices = pd.DataFrame({"date": pd.bdate_range("1999-01-04", periods=5), "close": [1.0] * 5,
                           "volume": [10.0] * 5})
    fig = _charts().price_volume_chart(prices, markers)
    symbols = {t.name: t.marker.symbol for t in fig.data if getattr(t, "mode", None) == "markers"}
    assert len(set(symbols.values())) == 2, symbols


def test_the_stake_chart_draws_the_company_band():
    frame = _STAKE.assign(company_low=_STAKE["company_cum_abnormal_value"] - 1e6,
                         company_high=_STAKE["company_cum_abnormal_value"] + 1e6)
    fig = _charts().stake_chart(frame, _NAMES, company="company_cum_abnormal_value")
    band = [t for t in fig.data if t.fill == "tonexty"]
    assert len(band) == 1 and list(band[0].y) == frame["company_low"].tolist()


def _charts():
    from app import charts

    return charts


def test_activities_outside_the_price_history_are_listed_with_their_reason(demo):
    from store import Store

    Store(demo).add_activities(pd.DataFrame({"client_id": "auxer", "date": [pd.Timestamp("1990-03-01")],
                                             "type": ["press_release"], "title": ["Before any price"]}))
    at = open_page("activities", {"period": "all"})
    listed = next(t.value for t in at.dataframe if "reason" in t.value.columns)
    row = listed[listed["reason"].str.startswith("before the first stored price")]
    assert len(row) == 1 and "AXGI" in row["reason"].iloc[0]


def test_the_roi_report_offers_the_answer_as_csv(demo):
    at = open_page("roi_report")
    labels = {b.proto.label for b in at.get("download_button")}
    assert {"Download headline figures (CSV)", "Results by type (CSV)", "Results by activity (CSV)"} <= labels, labels


def test_overview_marker_hover_gives_each_car_with_its_interval(demo):
    import json

    at = open_page("overview", {"period": "all"})
    fig = json.loads(chart_specs(at)[0])
    hover = [str(c[2]) for d in fig["data"] if d.get("mode") == "markers" for c in d.get("customdata", [])]
    assert hover and all("90% interval" in h for h in hover if h != "n/a"), hover[:3]


def test_the_simulated_mark_sits_above_the_plotting_area():
    """Issue 10 point 7: the mark covered data and the strike label; it now sits in the top margin."""
    charts = _charts()
    prices = pd.DataFrame({"date": pd.bdate_range("1999-01-04", periods=5), "close": [1.0] * 5, "volume": [10.0] * 5})
    fig = charts.price_volume_chart(prices, strike=1.0, simulated=True)
    mark = next(a for a in fig.layout.annotations if a.text == charts.SIMULATED_MARK)
    assert (mark.yref, mark.y, mark.yanchor) == ("paper", 1.0, "bottom") and mark.bgcolor is None


def test_the_overview_verdict_separates_activities_with_stored_earnings_releases(demo):
    """Issue 10 point 6: the demo stores six simulated quarterly earnings releases (corporate_events); the
    activities whose window holds one are named in the verdict, read through the scoped loader."""
    text = page_text(open_page("overview"))
    assert re.search(r"\d+ of \d+ activities had an earnings release in their event window", text)


def test_every_test_and_the_stock_placebo_carry_the_measured_over_rejection_warning(demo):
    """Issue 9: no test whose size passes 10% in the calibration is shown without a warning."""
    at = open_page("event_impact", {"period": "all"})
    at.toggle(key="w_all_tests").set_value(True).run()
    at.toggle(key="w_stock_placebo").set_value(True).run()
    warnings = " ".join(w.value for w in at.warning)
    assert "rejected 12-33% of simulated campaigns" in warnings
    assert "shown for reference, not as the verdict" in warnings


# --- the campaign placebo on Event impact (issue 9 point 2) ------------------------------------------------

def _campaign_workspace(path, *, days: int = 1100, simulated: bool = False):
    """One liquid stock (market model, beta 1.2, seeded) with ten activities within 30 trading days near the end
    of a ``days``-day history: enough history for the whole campaign to be moved to many start dates."""
    from store import Store

    rng = np.random.default_rng(11)
    dates = pd.bdate_range("2015-01-02", periods=days)
    market = 1000 * np.exp(np.cumsum(rng.normal(0.0002, 0.01, days)))
    stock = 5 * np.exp(np.cumsum(1.2 * np.diff(np.log(market), prepend=np.log(market[0]))
                                 + rng.normal(0, 0.02, days)))

    def bars(ticker, close, volume):
        return pd.DataFrame({"ticker": ticker, "date": dates, "open": close, "high": close * 1.01,
                             "low": close * 0.99, "close": close, "adj_close": close, "volume": volume,
                             "source": "csv:test.csv"})

    st = Store(path)
    st.init()
    for ticker, close, volume in (("CAMP", stock, rng.integers(10_000, 50_000, days).astype(float)),
                                  ("^MKT", market, np.full(days, 1e6))):
        st.upsert_security(ticker)
        st.upsert_bars(bars(ticker, close, volume))
    st.save_client("camp", "Campaign Co.", "CAMP", "^MKT")
    when = dates[days - 60:days - 30:3]  # ten activities, three trading days apart
    st.add_activities(pd.DataFrame({"client_id": "camp", "date": when,
                                    "type": ["press_release", "conference"] * 5,
                                    "title": [f"Activity {i + 1}" for i in range(len(when))]}))
    return path


@pytest.fixture
def campaign_ws(tmp_path, monkeypatch):
    path = _campaign_workspace(tmp_path / "campaign.duckdb")
    monkeypatch.setenv("IRDASH_DB", str(path))
    return path


def test_event_impact_shows_the_campaign_placebo_and_its_caar_band(campaign_ws):
    import json

    from analytics.campaign import FEW_INDEPENDENT_PLACEMENTS, campaign_study
    from analytics.settings import parse_settings
    from app.views import common
    from app.views import event_impact as views
    from test_answer import _view

    at = open_page("event_impact", {"period": "all"})
    text = page_text(at)
    table = next(t.value for t in at.dataframe if "independent_placements" in t.value)
    row = table.iloc[0]
    assert row["group"] == "All types (pooled)" and int(row["n"]) == 10 and int(row["draws"]) == 999
    # the histogram is the campaign placebo's, the actual mean CAR marked on it
    hist = [json.loads(s) for s in chart_specs(at) if '"histogram"' in s]
    assert len(hist) == 1 and hist[0]["layout"]["shapes"][0]["x0"] == pytest.approx(row["mean_car"])
    # the CAAR chart draws the band built the same way, and says so
    caar = json.loads(chart_specs(at)[0])
    assert any(d.get("fill") == "toself" for d in caar["data"]) and "built like the campaign placebo" in text
    # the few-placements sentence appears exactly when the module's threshold says so
    few = int(row["independent_placements"]) < FEW_INDEPENDENT_PLACEMENTS
    assert ("non-overlapping placements of the whole campaign fit" in text) == few
    assert "shown for reference, not as the verdict" not in text  # the stock placebo waits behind its toggle

    # independent reference: the p-value by hand from the draws, min(1, 2 min(1 + #le, 1 + #ge) / (1 + B)),
    # and the campaign model fitted directly on the same data gives the same mean CAR
    db = str(campaign_ws)
    view = _view(db, period="all", settings=parse_settings({"period": "all"}).settings)
    cp = views.campaign_placebo(db, view, view.settings)
    d = cp["draws"]["all"]
    actual = float(cp["table"]["mean_car"].iloc[0])
    by_hand = min(1.0, 2 * min(1 + (d <= actual).sum(), 1 + (d >= actual).sum()) / (1 + len(d)))
    assert row["placebo_p"] == pytest.approx(by_hand, abs=1e-12)
    ans = common.answer(db, view, with_study=True)
    from analytics.impact import study_frames

    px, mkt = study_frames(common.prices(db, "CAMP"), common.prices(db, "^MKT"), "CAMP")
    direct = campaign_study(px, ans.study.events, mkt, model="market", thin_trading=ans.study.thin_trading,
                            estimation_window=ans.study.estimation_window, event_windows=ans.study.event_windows,
                            report_window=ans.study.report_window).pooled()
    assert direct["mean_car"].iloc[0] == pytest.approx(actual, rel=1e-12)
    # the band's last day: the 2.5% and 97.5% quantiles of the placebo paths bracket their mean
    band = cp["band"]
    assert (band["lo"] <= band["placebo_mean"]).all() and (band["placebo_mean"] <= band["hi"]).all()


def test_a_short_history_says_the_campaign_placebo_is_not_possible_or_few(tmp_path, monkeypatch):
    path = _campaign_workspace(tmp_path / "short.duckdb", days=330)
    monkeypatch.setenv("IRDASH_DB", str(path))
    text = page_text(open_page("event_impact", {"period": "all"}))
    assert ("No campaign placebo" in text) or ("non-overlapping placements of the whole campaign fit" in text)


# --- one share-count formatter on every page (issue 10 point 7) ------------------------------------------

@pytest.mark.parametrize("shares, expected", [
    (358_207.6, "358,208"),        # rounded to the nearest share: the Engagement grid's "%,d" truncated it to 358,207
    (358_207.4, "358,207"),
    (5_000_000.0, "5,000,000"),    # the Engagement card wrote "5.0M" where the report wrote 5,000,000
    (0.0, "0"),
    (float("nan"), "n/a"),
])
def test_share_count_is_one_rounding_rule(shares, expected):
    from analytics.answer import share_count

    assert share_count(shares) == expected


def test_the_same_share_count_reads_the_same_on_the_engagement_page_and_in_the_report(demo):
    from analytics.answer import share_count
    from app.views import report as report_view
    from test_answer import _view

    at = open_page("engagement")
    shown = next(t.value for t in at.dataframe if "shares_issued" in t.value)
    content = report_view.report_content(str(demo), _view(str(demo)), simulated=True)
    printed = next(frame for caption, frame in content.tables if caption == "Retainer payments")
    assert list(shown["shares_issued"]) == list(printed["Shares issued"])
    assert list(shown["cumulative_shares"]) == list(printed["Cumulative shares"])
    option = next(m for m in at.get("metric") if m.label == "Option")
    assert option.value.startswith(share_count(5_000_000) + " @ ")
    assert f"{share_count(5_000_000)} shares under the consultant's option" in " ".join(
        s for part in content.sections.values() for s in part) + " ".join(content.verdict)


# --- the Data page's tables (analytics.data_quality), by hand ---------------------------------------------

_COV = pd.DataFrame({"ticker": ["AAA", "BBB", "CCC"], "last_date": pd.to_datetime(["2024-06-28", "2024-07-05",
                                                                                   "2024-07-08"]),
                     "zero_volume_days": [0, 3, 0], "stale_close_days": [0, 0, 0]})


@pytest.mark.parametrize("name, splits, gaps, expected", [
    ("nothing to flag", None, {}, []),
    ("zero-volume days flag BBB only", None, {}, ["BBB"]),
    ("a gap and a split", pd.DataFrame({"ticker": ["CCC", "CCC"], "date": pd.to_datetime(["2020-01-02", "2021-01-04"]),
                                        "ratio": [2.0, 0.1]}), {"AAA": 1}, ["AAA", "BBB", "CCC"]),
])
def test_quality_flags_keep_only_tickers_with_something_to_look_at(name, splits, gaps, expected):
    from analytics.data_quality import quality_flags

    cov = _COV if name != "nothing to flag" else _COV.assign(zero_volume_days=0)
    out = quality_flags(cov, splits, gaps)
    assert list(out["ticker"]) == expected, name
    if expected == ["AAA", "BBB", "CCC"]:
        assert out.set_index("ticker").loc["CCC", "splits"] == 2 and out.set_index("ticker").loc["AAA", "gaps_over_5_days"] == 1


def test_coverage_table_ages_from_the_last_bar():
    from analytics.data_quality import coverage_table

    # 2024-07-08 - 2024-06-28 = 10 days; - 2024-07-05 = 3 days; - 2024-07-08 = 0
    assert coverage_table(_COV, today="2024-07-08")["days_since_last_bar"].tolist() == [10, 3, 0]


def test_event_impact_runs_the_event_study_without_the_engagement_account(demo, monkeypatch):
    """Issue 10 point 8: a model or window change on Event impact computes the study alone (the account, ~1.2 s of
    a change on the demo, is not shown there); the Overview then composes its answer on that same cached study."""
    import streamlit as st

    import analytics.answer as answer_module
    import analytics.roi as roi

    calls = {"account": 0, "study": 0}
    account, study = roi.engagement_account, answer_module.programme_study

    def counted_account(*a, **k):
        calls["account"] += 1
        return account(*a, **k)

    def counted_study(*a, **k):
        calls["study"] += 1
        return study(*a, **k)

    monkeypatch.setattr(roi, "engagement_account", counted_account)
    monkeypatch.setattr(answer_module, "programme_study", counted_study)
    st.cache_data.clear()
    query = {"period": "all", "win": "0..2"}
    at = open_page("event_impact", query)  # the session opens on the Overview first: its answer, one study
    assert calls == {"account": 1, "study": 1}, calls
    at.selectbox(key="w_model").set_value("market_adjusted").run()
    assert not at.exception, [e.value for e in at.exception]
    assert calls == {"account": 1, "study": 2}, calls  # the change: a new study, no account
    assert any("caar" in t.value.columns for t in at.dataframe)
    open_page("overview", {**query, "model": "market_adjusted"})
    assert calls == {"account": 2, "study": 2}, calls  # the Overview's answer is composed on that same study
    chains_calls = []
    from analytics import impact as impact_module

    overlap_table = impact_module.overlap_table
    monkeypatch.setattr(impact_module, "overlap_table", lambda *a, **k: chains_calls.append(1) or overlap_table(*a, **k))
    at.selectbox(key="w_model").set_value("market").run()
    assert chains_calls == [], "the overlaps are cached per data hash and window"
    at.text_input(key="w_win").set_value("0..3").run()
    assert not at.exception and chains_calls == [1]
