"""Peers (issue 13 point 4): the daily measures, the leave-one-out peer median, the rebased comparison, the
difference in differences and its intervals, the AMEC rows, the peers table, the CLI job, the demo's peers and
the scope of a client's peers.

References: hand-computed tiny cases (the arithmetic in the comments), statsmodels OLS with the interaction
term for the DiD point estimate, and the demo's documented generating process (ingest/demo_peers.py).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from analytics import peers as ap
from analytics.amec import AmecRow
from store import Store
from store import peers as store_peers
from store.access import User, scope_of

DAYS = pd.bdate_range("2024-01-01", periods=12)


def _daily(values: dict[str, list[float]], measure_cols=("turnover",)) -> pd.DataFrame:
    """A peer_daily-shaped frame whose ``measure_cols`` hold ``values`` (ticker -> one value a day)."""
    rows = []
    for ticker, xs in values.items():
        for day, x in zip(DAYS, xs):
            row = {c: np.nan for c in ap.DAILY_COLUMNS}
            row.update(ticker=ticker, date=day, close=1.0, volume=100.0)
            for c in measure_cols:
                row[c] = x
            rows.append(row)
    return pd.DataFrame(rows)[ap.DAILY_COLUMNS]


# ---- daily measures ---------------------------------------------------------------------------

def test_peer_daily_measures_by_hand():
    bars = pd.DataFrame({"ticker": "aaa", "date": DAYS[:3], "open": [2.0, 2.5, 2.5], "high": [2.0, 2.5, 2.5],
                         "low": [2.0, 2.5, 2.5], "close": [2.0, 2.5, 2.5], "volume": [100.0, 0.0, 300.0]})
    shares = pd.DataFrame({"ticker": ["AAA"], "date": [DAYS[0]], "shares": [1000.0]})
    d = ap.peer_daily(bars, shares)
    assert list(d["ticker"]) == ["AAA"] * 3
    # dollar volume = close x volume: 2 x 100 = 200, 2.5 x 0 = 0, 2.5 x 300 = 750
    assert d["dollar_volume"].tolist() == [200.0, 0.0, 750.0]
    assert d["traded"].tolist() == [1.0, 0.0, 1.0]
    # turnover = volume / 1,000 shares: 0.1, 0, 0.3
    assert d["turnover"].tolist() == pytest.approx([0.1, 0.0, 0.3])
    assert d["log_volume"].tolist() == pytest.approx([math.log(101), 0.0, math.log(301)])
    # Campbell-Wasley: log(100 x 0.1 + 0.000255) = log(10.000255); a zero day log(0.000255)
    assert d["log_turnover"].tolist() == pytest.approx([math.log(10.000255), math.log(0.000255), math.log(30.000255)])


def test_peer_daily_without_shares_has_no_turnover_and_says_what_is_missing():
    bars = pd.DataFrame({"ticker": "AAA", "date": DAYS[:2], "high": 1.0, "low": 1.0, "close": 1.0, "volume": 5.0})
    d = ap.peer_daily(bars)
    assert d["turnover"].isna().all() and d["log_turnover"].isna().all()
    with pytest.raises(ValueError, match="missing \\['high'"):
        ap.peer_daily(bars.drop(columns=["high"]))


# ---- leave-one-out median ---------------------------------------------------------------------

LOO_CASES = {
    # name: (wide rows C, P1, P2, P3; expected median, n_peers)
    # day 1: peers 1, 2, 9 -> median 2 (with the client's 10 it would be (2 + 9) / 2 = 5.5)
    "client left out": ([10.0, 1.0, 2.0, 9.0], 2.0, 3),
    # day 2: P1 missing, peers 4, 6 -> median 5 of 2 peers
    "a peer missing": ([5.0, np.nan, 4.0, 6.0], 5.0, 2),
    "no peer that day": ([5.0, np.nan, np.nan, np.nan], np.nan, 0),
}


@pytest.mark.parametrize("name", LOO_CASES)
def test_leave_one_out_median(name):
    row, median, n = LOO_CASES[name]
    wide = pd.DataFrame([row], columns=["C", "P1", "P2", "P3"], index=DAYS[:1])
    out = ap.leave_one_out_median(wide, "c")
    assert out["n_peers"].iloc[0] == n
    if np.isnan(median):
        assert np.isnan(out["median"].iloc[0])
    else:
        assert out["median"].iloc[0] == median


# ---- the comparison chart's frame -------------------------------------------------------------

def _bars(closes: dict[str, list[float]], volumes: dict[str, list[float]]) -> pd.DataFrame:
    rows = [{"ticker": t, "date": DAYS[i], "open": c, "high": c, "low": c, "close": c, "volume": volumes[t][i]}
            for t, cs in closes.items() for i, c in enumerate(cs)]
    return pd.DataFrame(rows)


def test_price_rebased_to_100_against_the_peer_median():
    daily = ap.peer_daily(_bars({"C": [2, 3, 4], "P1": [10, 10, 20], "P2": [1, 2, 2], "P3": [5, 5, 5]},
                                {t: [1, 1, 1] for t in ("C", "P1", "P2", "P3")}))
    comp = ap.peer_comparison(daily, "C", "close")
    # C: 2, 3, 4 -> 100, 150, 200; peers rebased: P1 100, 100, 200; P2 100, 200, 200; P3 100, 100, 100
    # medians: (100, 100, 100) = 100; (100, 200, 100) = 100; (200, 200, 100) = 200
    assert comp["client"].tolist() == pytest.approx([100, 150, 200])
    assert comp["peer_median"].tolist() == pytest.approx([100, 100, 200])
    assert comp["ratio"].tolist() == pytest.approx([1.0, 1.5, 1.0])
    # a period starting on day 2 rebases there: C 3, 4 -> 100, 133.33; medians (100, 100, 100), (200, 100, 100)
    later = ap.peer_comparison(daily, "C", "close", start=DAYS[1])
    assert later["client"].tolist() == pytest.approx([100, 400 / 3])
    assert later["peer_median"].tolist() == pytest.approx([100, 100])


def test_volume_trailing_mean_ratio_by_hand():
    vols = {"C": [0, 100, 300], "P1": [10, 10, 10], "P2": [100, 0, 0], "P3": [20, 40, 60]}
    daily = ap.peer_daily(_bars({t: [1, 1, 1] for t in vols}, vols))
    comp = ap.peer_comparison(daily, "C", "volume", window=2)
    # trailing 2-day means: C 0, 50, 200; P1 10, 10, 10; P2 100, 50, 0; P3 20, 30, 50
    # peer medians: (10, 100, 20) = 20; (10, 50, 30) = 30; (10, 0, 50) = 10
    assert comp["client"].tolist() == pytest.approx([0, 50, 200])
    assert comp["peer_median"].tolist() == pytest.approx([20, 30, 10])
    assert comp["ratio"].tolist() == pytest.approx([0, 50 / 30, 20])
    # the window reaches back before the period's start: day 2 still averages days 1 and 2
    later = ap.peer_comparison(daily, "C", "volume", start=DAYS[1], window=2)
    assert later["client"].tolist() == pytest.approx([50, 200])


def test_comparison_refuses_an_unknown_measure_or_a_missing_client():
    daily = ap.peer_daily(_bars({"C": [1, 1]}, {"C": [1, 1]}))
    with pytest.raises(ValueError, match="use one of"):
        ap.peer_comparison(daily, "C", "amihud")
    with pytest.raises(ValueError, match="no bars of the client ZZZ"):
        ap.peer_comparison(daily, "ZZZ", "close")


# ---- periods ----------------------------------------------------------------------------------

def test_matched_periods_takes_as_many_days_before():
    # engagement DAYS[6]..DAYS[8] = 3 trading days -> the pre-period is DAYS[3]..DAYS[5]
    pre, post = ap.matched_periods(DAYS, DAYS[6], DAYS[8])
    assert (pre, post) == ((DAYS[3], DAYS[5]), (DAYS[6], DAYS[8]))
    # a short history: only DAYS[0] before DAYS[1]
    assert ap.matched_periods(DAYS, DAYS[1], DAYS[3])[0] == (DAYS[0], DAYS[0])
    # no end: up to the last bar
    assert ap.matched_periods(DAYS, DAYS[10], None)[1] == (DAYS[10], DAYS[11])
    with pytest.raises(ValueError, match="days before the engagement"):
        ap.matched_periods(DAYS, DAYS[0], DAYS[3])
    with pytest.raises(ValueError, match="no bar of the client between"):
        ap.matched_periods(DAYS, "2030-01-01", "2030-02-01")


# ---- difference in differences ----------------------------------------------------------------

PANEL = {"C": [1, 2, 3, 6, 7, 8], "P1": [2, 2, 2, 3, 3, 4], "P2": [1, 0, 2, 2, 2, 2]}
PRE, POST = (DAYS[0], DAYS[2]), (DAYS[3], DAYS[5])


def test_did_point_estimate_by_hand_and_against_statsmodels_ols():
    did = ap.peer_did(_daily(PANEL), "C", PRE, POST, measures=("turnover",)).iloc[0]
    # client: pre mean 2, post mean 7 -> +5; peer median of two = their mean: pre (1.5, 1, 2) -> 1.5,
    # post (2.5, 2.5, 3) -> 2.6667 -> +1.1667; DiD = 5 - 1.1667 = 3.8333
    assert did["client_change"] == pytest.approx(5.0)
    assert did["peers_change"] == pytest.approx(7 / 6)
    assert did["did"] == pytest.approx(5 - 7 / 6)
    # independent reference: OLS y = ticker effects + post + DiD (treated x post) on the 3-stock panel
    long = pd.DataFrame([{"ticker": t, "y": float(x), "post": int(i >= 3), "treated": int(t == "C")}
                         for t, xs in PANEL.items() for i, x in enumerate(xs)])
    fit = smf.ols("y ~ C(ticker) + post + treated:post", data=long).fit()
    assert did["did"] == pytest.approx(fit.params["treated:post"])


def test_peer_placebo_rank_by_hand():
    did = ap.peer_did(_daily(PANEL), "C", PRE, POST, measures=("turnover",)).iloc[0]
    # P1 treated against P2 alone (client left out): P1 change 10/3 - 2 = 1.3333, P2 change 2 - 1 = 1 -> +0.3333;
    # P2 against P1: -0.3333. |3.8333| is the largest of the 3 -> p = 1 / 3, the smallest 2 peers allow
    assert did["peer_dids"] == pytest.approx((1 / 3, -1 / 3))
    assert did["peer_rank_p"] == pytest.approx(1 / 3)
    assert did["n_peers"] == 2


def test_split_date_placebo_interval_by_hand():
    # one peer at 0, so d = the client: 0, 1, 0, 1, 3, 3; pre = days 2-3, post = days 4-5 (positions)
    # placebo DiDs at shifts k = 0, 1, 2: (0+1)/2 vs (0+1)/2 -> 0; (1+0)/2 vs (1+3)/2 -> 1.5; actual (0+1)/2 vs 3 -> 2.5
    # the actual left out, [0, 1.5]; level 50%: quantiles 0.25 -> 0.375 and 0.75 -> 1.125 (linear)
    # interval [2.5 - 1.125, 2.5 - 0.375] = [1.375, 2.125]; p = share of |all 3| >= 2.5 = 1/3
    daily = _daily({"C": [0, 1, 0, 1, 3, 3], "P": [0] * 6})
    did = ap.peer_did(daily, "C", (DAYS[2], DAYS[3]), (DAYS[4], DAYS[5]), measures=("turnover",), level=0.5,
                      min_placebo=2).iloc[0]
    assert did["did"] == pytest.approx(2.5)
    assert (did["low"], did["high"]) == pytest.approx((1.375, 2.125))
    assert did["p_value"] == pytest.approx(1 / 3)
    assert did["n_placebo"] == 2 and did["method"].startswith("split-date placebo (2 split dates")


def test_short_history_falls_back_to_newey_west_and_says_so():
    did = ap.peer_did(_daily(PANEL), "C", PRE, POST, measures=("turnover",)).iloc[0]
    assert did["method"].startswith("Newey-West") and "fewer than 20" in did["method"]
    assert did["low"] < did["did"] < did["high"]


def test_did_refuses_overlapping_periods_and_no_peers():
    with pytest.raises(ValueError, match="must end before"):
        ap.peer_did(_daily(PANEL), "C", (DAYS[0], DAYS[3]), (DAYS[3], DAYS[5]), measures=("turnover",))
    with pytest.raises(ValueError, match="no peer has bars"):
        ap.peer_did(_daily({"C": PANEL["C"]}), "C", PRE, POST, measures=("turnover",))


READINGS = {
    # name: (measure, did, low, high, client change, peers change, words expected)
    "more days traded, interval above zero": ("traded", 0.1, 0.02, 0.2, 0.3, 0.2, "improved beyond the peers"),
    "narrower spread, interval below zero": ("cs_spread", -0.01, -0.02, -0.001, -0.02, -0.01,
                                             "improved beyond the peers"),
    "wider spread, interval above zero": ("cs_spread", 0.01, 0.001, 0.02, 0.02, 0.01, "worse against the peers"),
    "the sector moved too": ("traded", 0.07, -0.05, 0.21, 0.30, 0.23, "the peers moved too"),
    "cannot tell": ("traded", 0.07, -0.05, 0.21, 0.10, 0.01, "cannot tell"),
    "no observed days": ("traded", np.nan, np.nan, np.nan, np.nan, np.nan, "not enough observed days"),
}


@pytest.mark.parametrize("name", READINGS)
def test_did_reading_says_beyond_the_peers_only_when_the_interval_excludes_zero(name):
    measure, did, low, high, client, peers, words = READINGS[name]
    text = ap.did_reading({"measure": measure, "label": "X", "did": did, "low": low, "high": high,
                           "client_change": client, "peers_change": peers})
    assert words in text
    if words != "improved beyond the peers":
        assert "beyond the peers" not in text


def test_peer_amec_rows_carry_the_figures_and_their_interval():
    cols = ("turnover", "traded", "dollar_volume", "log_turnover", "log_volume")
    did = ap.peer_did(_daily(PANEL, cols), "C", PRE, POST)
    rows = ap.peer_amec_rows(did, "C", ["P1", "P2"], PRE, POST, simulated=True)
    assert [r.measure.split(" against")[0] for r in rows] == ["Turnover", "Share of days traded", "Dollar volume",
                                                             "Abnormal volume (mean log volume)"]
    assert all(isinstance(r, AmecRow) and r.stage == "outcomes" and r.simulated for r in rows)
    turnover = rows[0]
    t = did.set_index("measure").loc["turnover"]
    # turnover 7 (a fraction) shows as 700.000%; its change +5 as +500.000 pts, DiD 3.8333 as +383.333 pts
    assert "C 700.000% during the engagement" in turnover.value
    assert "+500.000 pts" in turnover.change and "+383.333 pts" in turnover.change
    assert f"{100 * t['low']:+.3f} pts to {100 * t['high']:+.3f} pts" in turnover.uncertainty
    assert "peer placebo's smallest p is 0.33" in turnover.uncertainty
    assert "(simulated)" in turnover.source and "P1, P2" in turnover.source
    # dollar volume in dollars: client during 7 -> $7, DiD +$4
    assert "C $7 during" in rows[2].value and "+$4" in rows[2].change


def test_method_sentence_names_the_peer_placebo_floor():
    text = ap.method_sentence(3, 150)
    assert "150 split dates" in text and "among 4" in text and "p = 0.25" in text


# ---- the peers table and the CLI ----------------------------------------------------------------

@pytest.fixture
def ws(empty_store):
    empty_store.save_client("acme", "Acme Corp", "ACME", "^RUT")
    empty_store.save_client("beta", "Beta Inc", "BETA", None)
    return empty_store


def test_add_list_remove_peers(ws):
    out = store_peers.add_peers(ws, "acme", ["pcfx", " SDRG ", "PCFX"])
    assert out == {"added": ["PCFX", "SDRG"], "unchanged": [], "without_bars": ["PCFX", "SDRG"]}
    assert store_peers.add_peers(ws, "acme", ["SDRG"])["unchanged"] == ["SDRG"]
    assert store_peers.read_peers(ws, "acme")["ticker"].tolist() == ["PCFX", "SDRG"]
    # tracked, not loaded: refresh sees it as a ticker without bars
    last = ws.last_bars(["PCFX"])
    assert last["ticker"].tolist() == ["PCFX"] and last["last_date"].isna().all()
    cov = store_peers.peer_coverage(ws, "acme")
    assert cov["first_date"].isna().all() and cov["ticker"].tolist() == ["PCFX", "SDRG"]
    assert store_peers.remove_peers(ws, "acme", ["pcfx"]) == ["PCFX"]
    assert store_peers.read_peers(ws)["ticker"].tolist() == ["SDRG"]
    assert "PCFX" in set(ws.securities()["ticker"])  # its security stays


PEER_ERRORS = {
    "bad symbol": (lambda s: store_peers.add_peers(s, "acme", ["AC ME"]), store_peers.PeerError, "not a ticker"),
    "own ticker": (lambda s: store_peers.add_peers(s, "acme", ["acme"]), store_peers.PeerError, "own ticker"),
    "unknown client": (lambda s: store_peers.add_peers(s, "zzz", ["X"]), store_peers.UnknownClientError,
                       "No client 'zzz'"),
    "not a peer": (lambda s: store_peers.remove_peers(s, "acme", ["X"]), store_peers.PeerError,
                   "X is not a peer of acme"),
    "nothing given": (lambda s: store_peers.add_peers(s, "acme", []), store_peers.PeerError, "at least one"),
}


@pytest.mark.parametrize("name", PEER_ERRORS)
def test_peer_errors_say_what_to_do(ws, name):
    call, kind, words = PEER_ERRORS[name]
    with pytest.raises(kind, match=words):
        call(ws)
    assert store_peers.read_peers(ws).empty  # nothing half-written


def test_a_refused_batch_writes_nothing(ws):
    with pytest.raises(store_peers.PeerError):
        store_peers.add_peers(ws, "acme", ["GOOD", "ACME"])
    assert store_peers.read_peers(ws).empty


CLI_CASES = {
    # name: (argv after --db, exit code, text on stdout, text on stderr)
    "add": (["peers", "add", "acme", "PCFX", "SDRG"], 0, "peers add: acme + PCFX, SDRG",
            "load-yahoo PCFX"),
    "unknown client": (["peers", "add", "zzz", "PCFX"], 11, "failed (unknown client), exit code 11", "No client"),
    "bad ticker": (["peers", "add", "acme", "A B"], 3, "failed (input rejected), exit code 3", "not a ticker"),
    "remove a non-peer": (["peers", "remove", "acme", "QQQ"], 3, "exit code 3", "QQQ is not a peer of acme"),
    "list empty": (["peers", "list"], 0, "no peers yet: add them with `python -m ingest peers add", ""),
}


@pytest.mark.parametrize("name", CLI_CASES)
def test_cli(ws, capsys, name):
    from ingest.__main__ import main

    argv, code, out, err = CLI_CASES[name]
    assert main(["--db", str(ws.path), *argv]) == code
    got = capsys.readouterr()
    assert out in got.out
    assert err in got.err


def test_cli_list_says_which_peers_have_bars(ws, capsys):
    from ingest.__main__ import main

    store_peers.add_peers(ws, "acme", ["PCFX"])
    main(["--db", str(ws.path), "peers", "list", "acme"])
    out = capsys.readouterr().out
    assert "acme\tPCFX\tno bars yet: load it like any ticker: `python -m ingest load-yahoo PCFX" in out


# ---- the scope of a client's peers ---------------------------------------------------------------

CLIENTS = pd.DataFrame({"client_id": ["alpha", "beta"], "ticker": ["AAA", "BBB"], "benchmark": ["^IDX", None],
                        "firm": ["pmr", "other"]})
ENGAGEMENTS = pd.DataFrame({"engagement_id": [1, 2], "client_id": ["alpha", "beta"]})
ASSIGN = pd.DataFrame({"email": ["exec@alpha.com"], "client_id": ["alpha"]})
PEERS = pd.DataFrame({"client_id": ["alpha", "alpha", "beta"], "ticker": ["PCFX", "BBB", "SDRG"]})
PEER_SCOPES = {
    # alpha's executive: alpha's ticker and benchmark, its peer PCFX; not its peer BBB (beta's own ticker), and not
    # beta's peer SDRG
    "executive of alpha": (User("exec@alpha.com", "executive"), {"AAA", "^IDX", "PCFX"}),
    # without the peers frame the scope is as before
    "no peers given": (User("exec@alpha.com", "executive"), {"AAA", "^IDX"}),
    "disabled": (User("exec@alpha.com", "executive", disabled=True), set()),
}


@pytest.mark.parametrize("name", PEER_SCOPES)
def test_scope_of_adds_the_clients_peers(name):
    user, tickers = PEER_SCOPES[name]
    scope = scope_of(user, CLIENTS, ASSIGN, ENGAGEMENTS, None, None if name == "no peers given" else PEERS)
    assert set(scope.tickers) == tickers


def test_user_scope_reads_the_peers_from_the_file(ws):
    from store import access

    store_peers.add_peers(ws, "acme", ["PCFX"])
    access.add_user(ws, "ceo@acme.example", "executive")
    access.assign_client(ws, "ceo@acme.example", "acme")
    assert access.user_scope(ws, "ceo@acme.example").allows_ticker("PCFX")


# ---- the demo's peers ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_peers_db(demo_db, tmp_path_factory):
    from ingest.demo_peers import write_demo_peers

    path = tmp_path_factory.mktemp("peers") / "demo.duckdb"
    path.write_bytes(demo_db.read_bytes())
    store = Store(path)
    from ingest.demo_peers import PEER_TICKERS

    with store.transaction() as con:  # the demo build wrote them already: write them again from nothing
        for table in ("bars", "securities", "shares_outstanding", "peers"):
            con.execute(f"DELETE FROM {table} WHERE ticker IN (SELECT unnest(?))", [list(PEER_TICKERS)])
    first = write_demo_peers(store, {"seed": 19990104, "client_id": "auxer"})
    second = write_demo_peers(store, {"seed": 19990104, "client_id": "auxer"})
    return path, first, second


def test_demo_peers_are_labelled_simulated_and_rebuild_identically(demo_peers_db):
    from ingest.demo_peers import PEER_TICKERS

    path, first, second = demo_peers_db
    store = Store(path)
    assert first["peer_bars"]["added"] == second["peer_bars"]["unchanged"] > 0
    assert second["peer_bars"]["added"] == second["peer_bars"]["updated"] == 0
    sec = store.securities().set_index("ticker").loc[list(PEER_TICKERS)]
    assert sec["simulated"].all() and sec["name"].str.endswith("(simulated)").all()
    bars = store.bars(list(PEER_TICKERS))
    assert set(bars["source"]) == {"demo-simulated"}
    assert store_peers.read_peers(store, "auxer")["ticker"].tolist() == sorted(PEER_TICKERS)


def test_demo_peers_are_thin_and_the_sector_rise_is_there(demo_peers_db):
    from ingest.demo_peers import PEER_TICKERS, SECTOR_RISE, SECTOR_VOLUME_MULTIPLIER

    store = Store(demo_peers_db[0])
    bars = store.bars(list(PEER_TICKERS))
    for ticker, b in bars.groupby("ticker"):
        zero = (b["volume"] == 0).mean()
        assert 0.25 < zero < 0.6, (ticker, zero)  # thinly traded like AXGI (44% zero-volume days)
        inside = b["date"].between(*SECTOR_RISE)
        traded = b["volume"] > 0
        ratio = b.loc[inside & traded, "volume"].mean() / b.loc[~inside & traded, "volume"].mean()
        # the rise multiplies volume by 2.0: the ratio of means over ~40 and ~180 traded days of a lognormal
        # with log sd 0.9 (sd of a mean ~ 15-17%) lands well inside 1.3..3.0
        assert 1.3 < ratio < 1.5 * SECTOR_VOLUME_MULTIPLIER, (ticker, ratio)
        assert (~traded[inside]).mean() < (~traded[~inside]).mean()  # fewer idle days during the rise


def test_demo_did_separates_the_sector_from_the_client(demo_peers_db):
    store = Store(demo_peers_db[0])
    tickers = ["AXGI", "PCFX", "SDRG", "BJAH"]
    daily = ap.peer_daily(store.bars(tickers), store.shares_outstanding())
    pre, post = ap.matched_periods(daily.loc[daily["ticker"] == "AXGI", "date"], "1999-01-04", "1999-07-03")
    did = ap.peer_did(daily, "AXGI", pre, post).set_index("measure")
    # the peers' share of days traded rose with the sector (their no-trade chance halved for part of the
    # engagement), so the DiD is smaller than the client's raw change
    assert did.loc["traded", "peers_change"] > 0
    assert did.loc["traded", "did"] < did.loc["traded", "client_change"]
    assert (did["n_placebo"] >= 100).all()
    for m, r in did.iterrows():
        assert r["did"] == pytest.approx(r["client_change"] - r["peers_change"])
        if "beyond the peers" in r["reading"]:
            assert r["low"] > 0 or r["high"] < 0
