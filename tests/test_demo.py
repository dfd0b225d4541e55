"""The demo workspace: deterministic, the contract's real terms, OTCBB-looking simulated prices."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.constants import ACTIVITY_TYPE_CODES, DEFAULT_SEED
from ingest import demo
from ingest.demo import BENCHMARK, TICK, TICKER, build_demo_frames, injected_car

ZERO_VOLUME_BAND = (0.30, 0.50)
SEEDS = (DEFAULT_SEED, 0, 1, 2, 42)


@pytest.fixture(scope="module")
def ws() -> demo.DemoWorkspace:
    return build_demo_frames()


def _stock(ws) -> pd.DataFrame:
    return ws.bars[ws.bars["ticker"] == TICKER].reset_index(drop=True)


def test_same_seed_gives_identical_frames(ws):
    again = build_demo_frames(DEFAULT_SEED)
    assert ws.info == again.info and ws.truth == again.truth
    for name, frame in ws.frames().items():
        pd.testing.assert_frame_equal(frame, again.frames()[name], obj=name)


def test_different_seed_gives_different_prices(ws):
    other = build_demo_frames(DEFAULT_SEED + 1)
    assert not _stock(ws)["close"].equals(_stock(other)["close"])
    assert not _stock(ws)["volume"].equals(_stock(other)["volume"])
    # The schedule and the contract do not depend on the seed.
    pd.testing.assert_frame_equal(ws.activities, other.activities)
    pd.testing.assert_frame_equal(ws.engagements, other.engagements)


def test_default_seed_is_the_signing_date():
    assert build_demo_frames().info["seed"] == DEFAULT_SEED == 19990104


def test_canonical_columns(ws):
    expected = {
        "securities": demo.SECURITY_COLUMNS, "bars": demo.BAR_COLUMNS, "splits": demo.SPLIT_COLUMNS,
        "dividends": demo.DIVIDEND_COLUMNS, "shares_outstanding": demo.SHARES_COLUMNS,
        "clients": demo.CLIENT_COLUMNS, "engagements": demo.ENGAGEMENT_COLUMNS,
        "option_grants": demo.GRANT_COLUMNS, "financings": demo.FINANCING_COLUMNS,
        "activities": demo.ACTIVITY_COLUMNS,
    }
    for name, cols in expected.items():
        assert list(getattr(ws, name).columns) == cols, name
    assert ws.bars["date"].dtype == "datetime64[ns]"
    assert ws.bars["volume"].dtype == "float64"
    assert ws.dividends.empty and ws.splits.empty


def test_bars_have_no_duplicate_keys_or_nulls(ws):
    assert not ws.bars.duplicated(["ticker", "date"]).any()
    assert not ws.bars.isna().any().any()


def test_both_tickers_cover_the_same_trading_days(ws):
    days = {t: set(g["date"]) for t, g in ws.bars.groupby("ticker")}
    assert set(days) == {TICKER, BENCHMARK}
    assert days[TICKER] == days[BENCHMARK]
    d = pd.DatetimeIndex(sorted(days[TICKER]))
    assert d[0] == pd.Timestamp("1998-06-01") and d[-1] == pd.Timestamp("1999-12-31")
    assert (d.day_of_week < 5).all()
    for holiday in ("1998-07-03", "1998-11-26", "1998-12-25", "1999-01-01", "1999-02-15",
                    "1999-04-02", "1999-07-05", "1999-12-24"):
        assert pd.Timestamp(holiday) not in d
    assert len(d) == 402 and (d.year == 1999).sum() == 252


def test_every_activity_type_is_scheduled(ws):
    assert set(ws.activities["type"]) == set(ACTIVITY_TYPE_CODES)
    assert 25 <= len(ws.activities) <= 40
    counts = ws.activities["type"].value_counts()
    assert counts.idxmax() == "press_release"


def test_activities_fall_in_the_engagement_and_on_trading_days(ws):
    acts = ws.activities
    days = set(ws.bars["date"])
    assert acts["date"].isin(days).all()
    assert (acts["date"] >= pd.Timestamp("1999-01-04")).all()
    assert (acts["date"] <= pd.Timestamp("1999-07-03")).all()
    multi = acts.dropna(subset=["end_date"])
    assert len(multi) >= 1 and (multi["end_date"] > multi["date"]).all()
    assert acts["activity_id"].is_unique
    assert acts["created_at"].notna().all()
    assert acts["title"].str.len().gt(10).all()
    assert acts["reach"].notna().any() and acts["cost"].notna().any()
    assert acts["after_close"].any()


def test_contract_terms_are_exact(ws):
    eng = ws.engagements.iloc[0]
    assert eng["client_id"] == "auxer"
    assert eng["consultant"] == "PMR and Associates (Patrick M. Rost)"
    assert eng["signed_date"] == pd.Timestamp("1999-01-04")
    assert eng["start_date"] == pd.Timestamp("1999-01-04")
    assert eng["retainer_amount"] == 3500.0
    assert eng["retainer_frequency"] == "monthly"
    assert eng["minimum_months"] == 3
    assert eng["retainer_price_rule"] in ("close_on_payment", "avg_close_prior_n")
    assert eng["end_date"] > eng["start_date"] + pd.DateOffset(months=3) - pd.Timedelta(days=1)
    assert "three-month minimum" in eng["notes"]
    grant = ws.option_grants.iloc[0]
    assert len(ws.option_grants) == 1
    assert grant["shares"] == 5_000_000
    assert grant["strike"] == 0.04
    assert grant["grant_date"] == pd.Timestamp("1999-01-04")
    assert grant["expiry_date"] == pd.Timestamp("1999-02-15")
    assert grant["engagement_id"] == eng["engagement_id"]
    fin = ws.financings.iloc[0]
    assert 0 < fin["fee_rate"] < 0.2 and fin["amount"] > 0
    assert fin["engagement_id"] == eng["engagement_id"]
    client = ws.clients.iloc[0]
    assert (client["client_id"], client["name"], client["ticker"], client["benchmark"]) == (
        "auxer", "Auxer Group, Inc.", "AXGI", BENCHMARK)


def test_retainer_payments_follow_the_price_rule(ws):
    stock = _stock(ws)
    pays = ws.retainer_payments
    assert len(pays) == 6 and (pays["amount"] == 3500.0).all()
    for p in pays.itertuples():
        prior = stock.loc[stock["date"] < p.date, "close"].tail(5).mean()
        assert p.price == pytest.approx(prior)
        assert p.shares == round(3500.0 / prior)


def test_shares_outstanding_rise_with_issuance(ws):
    so = ws.shares_outstanding
    assert (so["ticker"] == TICKER).all()
    assert so["date"].is_monotonic_increasing and so["shares"].is_monotonic_increasing
    assert 50e6 < so["shares"].iloc[0] < so["shares"].iloc[-1] < 120e6
    after_pay = so.set_index("date")["shares"].diff()
    for p in ws.retainer_payments.itertuples():
        assert after_pay[p.date] == p.shares


@pytest.mark.parametrize("seed", SEEDS)
def test_zero_volume_share_is_in_the_band(seed):
    stock = _stock(build_demo_frames(seed))
    share = (stock["volume"] == 0).mean()
    assert ZERO_VOLUME_BAND[0] <= share <= ZERO_VOLUME_BAND[1]


@pytest.mark.parametrize("seed", SEEDS)
def test_ohlc_is_sane(seed):
    bars = build_demo_frames(seed).bars
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    assert (bars["low"] > 0).all()
    assert (bars["volume"] >= 0).all()
    assert (bars["adj_close"] == bars["close"]).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_prices_are_a_few_cents_on_the_tick_grid(seed):
    stock = _stock(build_demo_frames(seed))
    prices = stock[["open", "high", "low", "close"]].to_numpy()
    assert TICK == 1 / 256
    np.testing.assert_array_equal(prices / TICK, np.round(prices / TICK))
    assert prices.min() >= TICK and prices.max() <= 0.30
    assert 0.01 <= stock["close"].median() <= 0.12


def test_zero_volume_days_keep_the_close_except_a_few_stale_quotes(ws):
    stock = _stock(ws)
    idle = stock["volume"] == 0
    changed = stock["close"] != stock["close"].shift()
    stale = idle & changed
    assert stale.sum() == demo.N_STALE_CLOSE
    flat = stock.loc[idle, ["open", "high", "low"]].to_numpy()
    assert (flat == stock.loc[idle, ["close"]].to_numpy()).all()


def test_volume_spikes_and_thin_trading(ws):
    vol = _stock(ws)["volume"]
    traded = vol[vol > 0]
    assert traded.max() > 10 * traded.median()
    assert (traded % 100 == 0).all()


def test_simulated_labels_everywhere(ws):
    assert ws.securities["simulated"].all()
    assert ws.securities["name"].str.contains("(simulated)", regex=False).all()
    assert (ws.bars["source"] == "demo-simulated").all()
    assert (ws.shares_outstanding["source"] == "demo-simulated").all()
    assert ws.info["simulated"] is True and "simulated" in ws.info["name"]
    assert "simulated" in ws.engagements.iloc[0]["notes"].lower()


def test_injected_effects_only_on_some_types(ws):
    eff = ws.injected_effects
    assert set(eff["activity_id"]) <= set(ws.activities["activity_id"])
    typed = set(eff["type"])
    assert {"press_release", "market_maker_intro"} <= typed
    assert typed.isdisjoint({"shareholder_inquiry", "ir_package", "ir_website", "analyst_intro", "other"})
    car = injected_car(eff, 0, 5)
    pr_ids = ws.activities.loc[ws.activities["type"] == "press_release", "activity_id"]
    assert car.reindex(pr_ids).mean() > 0.05
    # Effects land on the trading-day grid, day 0 after the close when after_close.
    assert eff["date"].isin(set(ws.bars["date"])).all()
    late = ws.activities[ws.activities["after_close"]]
    day0 = eff.drop_duplicates("activity_id").set_index("activity_id")["day0"]
    assert (day0.reindex(late["activity_id"]).to_numpy() > late["date"].to_numpy()).all()


def test_press_releases_move_price_and_volume(ws):
    """The injected reactions show in the quotes: day-0..2 volume and return beat ordinary days."""
    stock = _stock(ws).set_index("date")
    ret = np.log(stock["close"]).diff()
    pr = ws.injected_effects[(ws.injected_effects["type"] == "press_release")
                             & (ws.injected_effects["offset"] <= 2)]
    on = stock.index.isin(pr["date"])
    assert stock.loc[on, "volume"].median() > 3 * stock.loc[~on, "volume"].median()
    assert ret[on].mean() > ret[~on].mean() + 0.01


# ---- writing through the store ------------------------------------------------------------------
import store as store_mod  # noqa: E402

TABLES = ("securities", "bars", "splits", "dividends", "shares_outstanding", "clients", "engagements",
          "option_grants", "financings", "activities")


def _counts(st) -> dict[str, int]:
    return {t: int(st.query(f"SELECT count(*) AS n FROM {t}")["n"].iloc[0]) for t in TABLES}


@pytest.fixture
def st(tmp_path):
    s = store_mod.Store(tmp_path / "demo.duckdb")
    s.init()
    return s


def test_validate_bars_accepts_the_demo_bars(ws):
    from ingest.bars import validate_bars

    checked = validate_bars(ws.bars)
    assert len(checked) == len(ws.bars)
    assert int(checked["stale_close"].sum()) == demo.N_STALE_CLOSE


def test_write_twice_leaves_the_same_rows(st):
    messages: list[str] = []
    first = demo.write_demo_workspace(st, progress=messages.append)
    counts = _counts(st)
    acts = st.activities("auxer")
    second = demo.write_demo_workspace(st)
    assert _counts(st) == counts
    assert counts["bars"] == 5 * 402 and counts["activities"] == 35  # the client, its benchmark, three peers
    assert counts["engagements"] == counts["option_grants"] == counts["financings"] == 1
    assert counts["splits"] == counts["dividends"] == 0
    assert first["bars"]["added"] == 804
    assert second["bars"] == {"added": 0, "updated": 0, "unchanged": 804}
    assert not second["activities_replaced"]
    pd.testing.assert_frame_equal(st.activities("auxer"), acts)  # same ids, created_at kept
    assert second["engagement_id"] == first["engagement_id"]
    assert messages and messages[-1] == "done"


def test_written_workspace_is_labelled_simulated_and_keeps_the_terms(st, ws):
    out = demo.write_demo_workspace(st)
    info = st.workspace_info()
    assert info["simulated"] is True and "simulated" in info["name"]
    secs = st.securities()
    assert secs["simulated"].all() and secs["name"].str.contains("(simulated)", regex=False).all()
    bars = st.bars([TICKER, BENCHMARK])
    assert (bars["source"] == "demo-simulated").all()
    assert int(bars["stale_close"].sum()) == demo.N_STALE_CLOSE
    pd.testing.assert_series_equal(bars.loc[bars["ticker"] == TICKER, "close"].reset_index(drop=True),
                                   _stock(ws)["close"], check_names=False)
    eng = st.engagements("auxer").iloc[0]
    assert (eng["retainer_amount"], eng["minimum_months"], eng["signed_date"]) == (
        3500.0, 3, pd.Timestamp("1999-01-04"))
    grant = st.option_grants(out["engagement_id"]).iloc[0]
    assert (grant["shares"], grant["strike"], grant["expiry_date"]) == (
        5_000_000, 0.04, pd.Timestamp("1999-02-15"))
    assert st.financings(out["engagement_id"]).iloc[0]["fee_rate"] == 0.10
    assert st.clients().iloc[0]["benchmark"] == BENCHMARK
    assert set(st.activities("auxer")["type"]) == set(ACTIVITY_TYPE_CODES)
    assert sorted(out["activity_id_map"]) == ws.activities["activity_id"].tolist()


def test_rewrite_restores_an_edited_demo_log_and_leaves_other_clients(st):
    demo.write_demo_workspace(st)
    st.save_client("other", "Other Co", "OTHR", BENCHMARK)
    st.add_activities(pd.DataFrame({"client_id": ["other"], "date": [pd.Timestamp("1999-03-01")],
                                    "type": ["press_release"], "title": ["Other news"]}))
    first_id = int(st.activities("auxer")["activity_id"].iloc[0])
    st.update_activity(first_id, title="Edited by hand")
    out = demo.write_demo_workspace(st)
    assert out["activities_replaced"]
    titles = st.activities("auxer")["title"]
    assert "Edited by hand" not in set(titles) and len(titles) == 35
    assert st.activities("other")["title"].tolist() == ["Other news"]


def test_another_seed_rewrites_prices_in_place(st):
    demo.write_demo_workspace(st)
    counts = _counts(st)
    out = demo.write_demo_workspace(st, seed=7)
    assert _counts(st) == counts
    assert out["bars"]["updated"] > 0


def _all_rows(st) -> dict[str, pd.DataFrame]:
    """Every table of a workspace in a stable order (all columns)."""
    tables = st.query("SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
                      "ORDER BY 1")["table_name"].tolist()
    return {t: st.query(f"SELECT * FROM {t} ORDER BY ALL") for t in tables}


def test_two_fresh_builds_are_identical_in_every_column(tmp_path):
    built = []
    for name in ("one", "two"):
        st = store_mod.Store(tmp_path / f"{name}.duckdb")
        demo.write_demo_workspace(st)
        built.append(_all_rows(st))
    one, two = built
    assert set(one) == set(two) and {"bars", "activities", "securities"} <= set(one)
    for table in one:
        a, b = one[table], two[table]
        if table == "schema_version":  # when each file was created, not demo data
            a, b = a.drop(columns="applied_at"), b.drop(columns="applied_at")
        pd.testing.assert_frame_equal(a, b, obj=table)
    assert (one["activities"]["created_at"] == one["activities"]["date"] + pd.Timedelta(hours=18)).all()
    assert (one["bars"]["ingested_at"] == demo.BUILT_AT).all()


def test_demo_job_states_and_atomic_rebuild(tmp_path):
    """jobs.demo: missing -> built (marker last), complete -> left alone by if_missing, rebuild keeps other data."""
    from ingest import jobs
    from store import Store

    st = Store(tmp_path / "demo.duckdb")
    assert jobs.demo_state(st) == "missing"
    first = jobs.demo(st, if_missing=True)
    assert first.status == "ok" and first.added == 2 * 402
    assert jobs.demo_state(st) == "complete"
    assert st.workspace_meta()[jobs.DEMO_COMPLETE_KEY] == str(DEFAULT_SEED)
    assert jobs.demo(st, if_missing=True).status == "already there"
    st.save_client("beta", "Beta Corp")
    st.set_workspace_meta(jobs.DEMO_COMPLETE_KEY, None)  # as a build of older code, or a half-built one, leaves it
    assert jobs.demo_state(st) == "incomplete"
    again = jobs.demo(st, if_missing=True)
    assert again.status == "ok" and (again.added, again.unchanged) == (0, 2 * 402)  # the copy already had the bars
    assert jobs.demo_state(st) == "complete"
    assert set(st.clients()["client_id"]) == {"auxer", "beta"}
    log = st.ingest_log()
    assert log[log["job"] == "demo"]["status"].tolist() == ["ok", "ok"]
    assert [p.name for p in tmp_path.glob("*demo.duckdb*")] == ["demo.duckdb"]
