"""Store: schema, idempotent and atomic writes, canonical reads, migrations."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

import store.store as store_mod
from factories import make_bars
from store import CURRENT_VERSION, Store, StoreError
from store.schema import migrate

READS = ["securities", "coverage", "splits", "dividends", "shares_outstanding", "clients", "engagements",
         "option_grants", "financings", "activities", "ingest_log"]


def test_init_is_idempotent_and_returns_version(tmp_path):
    st = Store(tmp_path / "a" / "ws.duckdb")
    assert not st.exists()
    assert st.init() == CURRENT_VERSION
    assert st.init() == CURRENT_VERSION
    assert st.workspace_info() == {"schema_version": CURRENT_VERSION, "simulated": False, "name": "ws"}


def test_default_path_comes_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("IRDASH_DB", str(tmp_path / "env.duckdb"))
    assert Store().path == tmp_path / "env.duckdb"


def test_reading_a_missing_workspace_says_how_to_create_it(tmp_path):
    with pytest.raises(StoreError, match="No workspace at .*python -m ingest"):
        Store(tmp_path / "nope.duckdb").bars("AXGI")


@pytest.mark.parametrize("reader", READS)
def test_empty_reads_keep_their_columns(empty_store, reader):
    frame = getattr(empty_store, reader)()
    assert len(frame) == 0
    assert len(frame.columns) >= 3


def test_empty_bars_have_canonical_columns_and_dtypes(empty_store):
    frame = empty_store.bars(["AXGI"])
    assert list(frame.columns) == ["ticker", "date", "open", "high", "low", "close", "adj_close", "volume",
                                   "source", "ingested_at", "zero_volume", "stale_close"]
    assert str(frame["date"].dtype) == "datetime64[ns]"
    assert str(frame["close"].dtype) == "float64"


def test_same_load_twice_leaves_the_same_rows(empty_store):
    bars = make_bars()
    assert empty_store.upsert_bars(bars) == store_mod.WriteSummary(added=4)
    first = empty_store.bars("AXGI")
    assert empty_store.upsert_bars(bars) == store_mod.WriteSummary(unchanged=4)
    pd.testing.assert_frame_equal(first, empty_store.bars("AXGI"))  # ingested_at too


def test_changed_bars_are_counted_as_updated(empty_store):
    empty_store.upsert_bars(make_bars())
    revised = make_bars(closes=(0.05, 0.04, 0.045, 0.06, 0.07))
    assert empty_store.upsert_bars(revised) == store_mod.WriteSummary(added=1, updated=1, unchanged=3)
    assert empty_store.bars("AXGI")["close"].tolist() == [0.05, 0.04, 0.045, 0.06, 0.07]


def test_duplicate_keys_in_one_batch_keep_the_last(empty_store):
    bars = make_bars(closes=(0.05, 0.04))
    late = bars.iloc[[1]].assign(close=0.045, high=0.045, low=0.045, open=0.045, adj_close=0.045)
    summary = empty_store.upsert_bars(pd.concat([bars, late]))
    assert summary.added == 2
    assert empty_store.bars("AXGI")["close"].tolist() == [0.05, 0.045]


def test_ticker_is_upper_cased_and_security_tracked(empty_store):
    empty_store.upsert_bars(make_bars(ticker="axgi"))
    empty_store.upsert_bars(make_bars(ticker="^rut", source="demo-simulated"))
    sec = empty_store.securities().set_index("ticker")
    assert sec.loc["AXGI", "kind"] == "equity" and not sec.loc["AXGI", "simulated"]
    assert sec.loc["^RUT", "kind"] == "index" and sec.loc["^RUT", "simulated"]
    assert empty_store.workspace_info()["simulated"] is True


def test_zero_volume_kept_and_stale_close_flagged(empty_store):
    empty_store.upsert_bars(make_bars(closes=(0.05, 0.05, 0.04, 0.04), volumes=(100, 0, 0, 0)))
    got = empty_store.bars("AXGI")
    assert got["zero_volume"].tolist() == [False, True, True, True]
    assert got["stale_close"].tolist() == [False, False, True, False]


def test_stale_close_is_computed_across_incremental_loads(empty_store):
    empty_store.upsert_bars(make_bars(closes=(0.05, 0.05)))
    nxt = make_bars(start="1999-01-06", closes=(0.06, 0.06), volumes=(0, 0))
    empty_store.upsert_bars(nxt)
    assert empty_store.bars("AXGI")["stale_close"].tolist() == [False, False, True, False]
    # A revision of the earlier day changes the flag of the stored day after it.
    empty_store.upsert_bars(make_bars(start="1999-01-05", closes=(0.06,)))
    assert empty_store.bars("AXGI")["stale_close"].tolist() == [False, False, False, False]


@pytest.mark.parametrize("small_batch", [store_mod.SMALL_BATCH, 0], ids=["one-ticker merge", "general merge"])
def test_failure_injected_mid_load_leaves_store_unchanged(empty_store, monkeypatch, small_batch):
    monkeypatch.setattr(store_mod, "SMALL_BATCH", small_batch)
    empty_store.upsert_bars(make_bars())
    before = empty_store.bars("AXGI")

    def boom(con, *args):
        assert con.execute("SELECT count(*) FROM bars").fetchall()[0][0] == 6  # rows are in, not committed
        raise RuntimeError("injected failure after the insert")

    monkeypatch.setattr(store_mod, "_check_bars", boom)
    monkeypatch.setattr(store_mod, "_check_range", boom)
    with pytest.raises(RuntimeError, match="injected"):
        empty_store.upsert_bars(make_bars(closes=(0.01, 0.02, 0.03, 0.04, 0.05, 0.06)))
    pd.testing.assert_frame_equal(before, empty_store.bars("AXGI"))


@pytest.mark.parametrize("change, problem", [
    ({"high": 0.01}, "high is below low"),
    ({"open": 0.5}, "open is outside low..high"),
    ({"close": 0.0, "low": 0.0}, "price is not positive"),
    ({"volume": -5.0}, "volume is negative"),
])
def test_end_of_load_check_rejects_whole_batch(empty_store, change, problem):
    bars = make_bars(closes=(0.05, 0.04))
    for col, value in change.items():
        bars.loc[1, col] = value
    with pytest.raises(StoreError, match=f"nothing was written: AXGI 1999-01-05: {problem}"):
        empty_store.upsert_bars(bars)
    assert len(empty_store.bars("AXGI")) == 0


def test_missing_columns_are_named(empty_store):
    with pytest.raises(StoreError, match=r"missing \['adj_close'\]"):
        empty_store.upsert_bars(make_bars().drop(columns="adj_close"))


def test_splits_dividends_shares_replace_and_dedupe(empty_store):
    splits = pd.DataFrame({"date": pd.to_datetime(["1999-03-01", "2001-01-02"]), "ratio": [0.1, 2.0]})
    assert empty_store.replace_splits("axgi", splits) == 2
    assert empty_store.replace_splits("axgi", splits.iloc[:1]) == 1
    assert empty_store.splits("AXGI")["ratio"].tolist() == [0.1]
    empty_store.replace_dividends("AXGI", pd.DataFrame({"date": pd.to_datetime(["1999-06-01"]), "amount": [0.01]}))
    assert empty_store.dividends()["amount"].tolist() == [0.01]
    shares = pd.DataFrame({"ticker": "AXGI", "date": pd.to_datetime(["1999-01-04", "1999-01-04", "1999-02-01"]),
                           "shares": [1e8, 1.1e8, 1.2e8], "source": "yfinance"})
    assert empty_store.upsert_shares_outstanding(shares) == 2
    assert empty_store.shares_outstanding("AXGI")["shares"].tolist() == [1.1e8, 1.2e8]
    with pytest.raises(StoreError, match="ratio must be positive"):
        empty_store.replace_splits("AXGI", splits.assign(ratio=0.0))


def test_engagement_objects_round_trip(empty_store):
    empty_store.save_client("auxer", "Auxer Group, Inc.", "axgi", "^rut")
    eid = empty_store.save_engagement(client_id="auxer", consultant="PMR and Associates",
                                      signed_date="1999-01-04", start_date="1999-01-04", retainer_amount=3500.0,
                                      minimum_months=3, retainer_price_rule="avg_close_prior_n",
                                      retainer_price_days=5)
    gid = empty_store.save_option_grant(engagement_id=eid, holder="PMR", shares=5e6, strike=0.04,
                                        grant_date="1999-01-04", expiry_date="1999-02-15")
    fid = empty_store.save_financing(engagement_id=eid, date="1999-06-01", amount=250000.0, fee_rate=0.1)
    assert (eid, gid, fid) == (1, 1, 1)
    assert empty_store.save_engagement(client_id="auxer", consultant="Other") == 2
    eng = empty_store.engagements("auxer")
    assert eng.loc[0, "retainer_frequency"] == "monthly" and eng.loc[0, "minimum_months"] == 3
    assert eng.loc[0, "signed_date"] == pd.Timestamp("1999-01-04")
    assert empty_store.clients().loc[0, "benchmark"] == "^RUT"
    assert empty_store.option_grants(eid).loc[0, "expiry_date"] == pd.Timestamp("1999-02-15")
    assert empty_store.financings(eid).loc[0, "fee_rate"] == 0.1
    with pytest.raises(StoreError, match="retainer_price_rule"):
        empty_store.save_engagement(client_id="auxer", retainer_price_rule="vwap")
    with pytest.raises(StoreError, match="slug"):
        empty_store.save_client("Auxer Group", "x")
    with pytest.raises(StoreError, match="unknown fields"):
        empty_store.save_option_grant(engagement_id=eid, shares=1, strike=1, colour="red")


def test_activity_created_at_never_changes(empty_store):
    frame = pd.DataFrame({"client_id": ["auxer", "auxer"], "date": pd.to_datetime(["1999-01-11", "1999-01-12"]),
                          "type": ["press_release", "conference"], "title": ["PR", "Conf"],
                          "reach": [1000, None], "after_close": [True, False]})
    ids = empty_store.add_activities(frame)
    assert ids == [1, 2]
    created = empty_store.activities().set_index("activity_id")["created_at"]
    empty_store.update_activity(1, title="New title", reach=5, date="1999-01-13")
    after = empty_store.activities().set_index("activity_id")
    assert after.loc[1, "title"] == "New title" and after.loc[1, "reach"] == 5
    assert after.loc[1, "date"] == pd.Timestamp("1999-01-13")
    assert after.loc[1, "created_at"] == created[1]
    assert pd.notna(after.loc[1, "updated_at"]) and pd.isna(after.loc[2, "updated_at"])
    assert pd.isna(after.loc[2, "reach"])
    with pytest.raises(StoreError, match="cannot set"):
        empty_store.update_activity(1, created_at="2000-01-01")
    with pytest.raises(StoreError, match="No activity with id 99"):
        empty_store.update_activity(99, title="x")
    with pytest.raises(StoreError, match="unknown activity types"):
        empty_store.add_activities(frame.assign(type="roadshow"))
    assert empty_store.delete_activities([2, 42]) == 1
    assert empty_store.activities()["activity_id"].tolist() == [1]


def test_add_activities_keeps_a_given_created_at_and_stamps_the_others(empty_store):
    frame = pd.DataFrame({"client_id": ["auxer", "auxer"], "date": pd.to_datetime(["1999-01-11", "1999-01-12"]),
                          "type": ["press_release", "other"],
                          "created_at": [pd.Timestamp("1999-01-11 18:00"), pd.NaT]})
    before = pd.Timestamp.now(tz="UTC").tz_localize(None)
    empty_store.add_activities(frame)
    empty_store.add_activities(frame.drop(columns="created_at").iloc[:1])
    created = empty_store.activities().set_index("activity_id")["created_at"]
    assert created[1] == pd.Timestamp("1999-01-11 18:00")
    assert created[2] >= before - pd.Timedelta(seconds=1) and created[3] >= before - pd.Timedelta(seconds=1)
    empty_store.update_activity(1, title="Edited")
    assert empty_store.activities().set_index("activity_id").loc[1, "created_at"] == pd.Timestamp("1999-01-11 18:00")


def test_ingest_log_records_start_and_end(empty_store):
    run = empty_store.log_start("load-yahoo", "AXGI")
    assert empty_store.ingest_log().loc[0, "status"] == "running"
    empty_store.log_end(run, "failed", rejected=3, error="ticker not found")
    row = empty_store.ingest_log().iloc[0]
    assert (row["status"], row["rejected"], row["error"]) == ("failed", 3, "ticker not found")
    assert row["ended_at"] >= row["started_at"]


def test_workspace_info_round_trip(empty_store):
    empty_store.set_workspace_info(name="Demo: Auxer Group", simulated=True)
    assert empty_store.workspace_info() == {"schema_version": CURRENT_VERSION, "simulated": True,
                                            "name": "Demo: Auxer Group"}


def test_transaction_rolls_back_and_reraises(empty_store):
    with pytest.raises(duckdb.Error):
        with empty_store.transaction() as con:
            con.execute("INSERT INTO clients (client_id, name, ticker, benchmark) VALUES ('a', 'A', NULL, NULL)")
            con.execute("INSERT INTO clients (client_id, name, ticker, benchmark) VALUES ('a', 'A again', NULL, NULL)")  # PK violation
    assert len(empty_store.clients()) == 0


def test_query_inside_transaction_sees_its_own_writes(empty_store):
    with empty_store.transaction() as con:
        con.execute("INSERT INTO clients (client_id, name, ticker, benchmark) VALUES ('a', 'A', NULL, NULL)")
        assert len(empty_store.query("SELECT * FROM clients")) == 1


def test_migrates_a_v1_file_to_current(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("BEGIN")
    assert migrate(con, target=1) == 1
    con.execute("""INSERT INTO bars VALUES
        ('AXGI', DATE '1999-01-04', .05, .05, .05, .05, .05, 100, 'csv:old', TIMESTAMP '1999-01-05'),
        ('AXGI', DATE '1999-01-05', .04, .04, .04, .04, .04, 0, 'csv:old', TIMESTAMP '1999-01-05'),
        ('AXGI', DATE '1999-01-06', .04, .04, .04, .04, .04, 0, 'csv:old', TIMESTAMP '1999-01-05')""")
    con.execute("""INSERT INTO activities VALUES (1, 'auxer', DATE '1999-01-11', NULL, 'press_release', 'PR',
                   'wire', 100, 50.0, true, NULL, TIMESTAMP '1999-01-11 17:00')""")
    con.execute("COMMIT")
    con.close()

    st = Store(path)
    assert st.schema_version() == 1
    assert st.init() == CURRENT_VERSION
    bars = st.bars("AXGI")
    assert bars["zero_volume"].tolist() == [False, True, True]
    assert bars["stale_close"].tolist() == [False, True, False]
    assert bars["ingested_at"].tolist() == [pd.Timestamp("1999-01-05")] * 3
    act = st.activities()
    assert act.loc[0, "created_at"] == pd.Timestamp("1999-01-11 17:00") and pd.isna(act.loc[0, "link"])
    st.update_activity(1, link="https://example.com/pr")
    assert st.activities().loc[0, "link"] == "https://example.com/pr"
    assert st.workspace_info()["schema_version"] == CURRENT_VERSION


def test_newer_schema_is_refused(tmp_path):
    st = Store(tmp_path / "new.duckdb")
    st.init()
    with st.transaction() as con:
        con.execute("INSERT INTO schema_version VALUES (999, now()::TIMESTAMP)")
    with pytest.raises(RuntimeError, match="newer than this code"):
        Store(st.path).init()


# ---- bulk load (Store.load_bars): the bar rules in SQL over parquet/Arrow ----------------------------
def _arrow(frame):
    import pyarrow as pa
    return pa.Table.from_pandas(frame, preserve_index=False)


def test_load_bars_from_parquet_matches_upsert_and_is_repeatable(empty_store, tmp_path):
    import pyarrow.parquet as pq

    bars = pd.concat([make_bars(closes=(0.05, 0.04, 0.05, 0.06), volumes=(100, 0, 0, 5)),
                      make_bars(ticker="OTHR", closes=(1.0, 1.1))], ignore_index=True)
    path = tmp_path / "bars.parquet"
    pq.write_table(_arrow(bars), path)
    assert empty_store.load_bars(path) == store_mod.WriteSummary(6, 0, 0)
    twin = store_mod.Store(tmp_path / "twin.duckdb")
    twin.upsert_bars(bars)
    cols = [c for c in store_mod.STORED_BAR_COLS if c != "ingested_at"]
    pd.testing.assert_frame_equal(empty_store.bars(["AXGI", "OTHR"])[cols], twin.bars(["AXGI", "OTHR"])[cols])
    assert empty_store.bars("AXGI")["stale_close"].tolist() == [False, True, True, False]
    assert set(empty_store.securities()["ticker"]) == {"AXGI", "OTHR"}
    assert empty_store.load_bars(path) == store_mod.WriteSummary(0, 0, 6)  # the merge path: same rows


@pytest.mark.parametrize("change, message", [
    ({"high": 0.01}, "AXGI 1999-01-05: high is below low"),
    ({"volume": -1.0}, "AXGI 1999-01-05: volume is negative"),
    ({"close": float("nan")}, "AXGI 1999-01-05: price is missing"),
    ({"date": pd.Timestamp("1999-01-04")}, "AXGI 1999-01-04: duplicate date"),
])
def test_load_bars_rejects_the_whole_batch_with_the_validate_bars_message(empty_store, change, message):
    from ingest.bars import validate_bars

    good = make_bars(ticker="GOOD")
    bad = make_bars(closes=(0.05, 0.04, 0.04))
    for col, value in change.items():
        bad.loc[1, col] = value
    batch = pd.concat([good, bad], ignore_index=True)
    with pytest.raises(store_mod.BarValidationError, match=message) as info:
        empty_store.load_bars(_arrow(batch))
    with pytest.raises(store_mod.BarValidationError) as same:
        validate_bars(batch)
    assert info.value.problems == same.value.problems  # one set of rules, one wording
    assert len(empty_store.bars(["GOOD", "AXGI"])) == 0 and len(empty_store.securities()) == 0


def test_load_bars_rejects_future_dates_and_an_update_batch(empty_store):
    empty_store.upsert_bars(make_bars())
    with pytest.raises(store_mod.BarValidationError, match="date is in the future"):
        empty_store.load_bars(_arrow(make_bars(ticker="NEW", start="2999-01-04")))
    changed = make_bars(closes=(0.05, 0.04, 0.04, 0.07))
    changed.loc[0, "high"] = 0.01
    with pytest.raises(store_mod.BarValidationError, match="high is below low"):
        empty_store.load_bars(_arrow(changed))
    assert empty_store.bars("AXGI")["close"].tolist() == [0.05, 0.04, 0.04, 0.06]


def _rule_case(changes):
    base = pd.DataFrame({"ticker": ["AAA", "AAA", "BBB"], "date": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-02"]),
                         "open": [1.0, 1.1, 2.0], "high": [1.2, 1.2, 2.1], "low": [0.9, 1.0, 1.9],
                         "close": [1.1, 1.15, 2.0], "adj_close": [1.1, 1.15, 2.0], "volume": [100.0, 0.0, 5.0],
                         "source": "test"})
    for (column, row), value in changes.items():
        base[column] = base[column].astype(object) if value is None or isinstance(value, str) else base[column]
        base.loc[row, column] = value
    return base


_RULE_CASES = [
    {}, {("open", 0): np.nan}, {("adj_close", 1): np.nan}, {("volume", 2): np.nan}, {("high", 0): np.inf},
    {("volume", 1): -np.inf}, {("low", 0): 0.0}, {("close", 2): -1.0}, {("volume", 0): -1.0},
    {("high", 1): 0.5}, {("open", 0): 1.3}, {("close", 1): 0.95}, {("open", 2): 2.1 * (1 + 1e-7)},
    {("date", 1): pd.Timestamp("2024-01-02")}, {("date", 0): pd.NaT}, {("date", 2): pd.Timestamp("2030-01-01")},
    {("ticker", 0): None}, {("ticker", 1): ""}, {("ticker", 2): "nan"}, {("ticker", 2): " aaa "},
    {("open", 0): np.nan, ("high", 0): 0.1, ("volume", 0): -5.0, ("date", 2): pd.Timestamp("2031-05-05")},
]


@pytest.mark.parametrize("case", range(len(_RULE_CASES)))
def test_bar_rules_numpy_form_agrees_with_sql_form(case):
    from store.bar_rules import frame_problems, frame_problems_sql
    frame = _rule_case(_RULE_CASES[case])
    for today in ("2025-01-01", None):
        assert frame_problems(frame, today) == frame_problems_sql(frame, today)


def test_bar_rules_forms_agree_on_many_random_broken_rows():
    from store.bar_rules import frame_problems, frame_problems_sql
    rng = np.random.default_rng(3)
    n = 400
    frame = pd.DataFrame({"ticker": rng.choice(["A", "B", "", None], n), "source": "test",
                          "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 30, n), unit="D")})
    for c in ("open", "high", "low", "close", "adj_close", "volume"):
        frame[c] = rng.choice([1.0, 1.05, 0.95, 0.0, -1.0, np.nan, np.inf], n)
    frame.loc[rng.random(n) < 0.05, "date"] = pd.NaT
    assert frame_problems(frame, "2024-01-20") == frame_problems_sql(frame, "2024-01-20")
    problems, total = frame_problems(frame, "2024-01-20")
    assert total > 10 and len(problems) == 10


def test_one_ticker_merge_matches_the_general_merge(tmp_path, monkeypatch):
    """upsert_bars' small one-ticker path leaves the same rows, flags and counts as the general SQL merge."""
    rng = np.random.default_rng(11)
    days = pd.bdate_range("2020-01-01", periods=60)

    def batch(first, n, seed_close):
        closes = np.round(seed_close + rng.choice([0.0, 0.01, -0.01], n), 2)
        frame = make_bars("AXGI", start=days[first], closes=tuple(closes),
                          volumes=tuple(rng.choice([0.0, 0.0, 500.0], n)), source="yfinance")
        return frame

    batches = [batch(10, 20, 1.0), batch(5, 10, 1.0), batch(25, 15, 1.0), batch(0, 60, 1.0), batch(12, 3, 1.0),
               batch(40, 1, 2.0), batch(59, 1, 1.0), batch(30, 12, 1.0)]
    shuffled = batch(20, 8, 1.0)
    twice = shuffled.iloc[[3]].assign(open=1.5, high=1.5, low=1.5, close=1.5, adj_close=1.5)
    batches.append(pd.concat([shuffled, twice]).sample(frac=1, random_state=1))  # unsorted, a date twice: last wins
    results = {}
    for small in (store_mod.SMALL_BATCH, 0):
        monkeypatch.setattr(store_mod, "SMALL_BATCH", small)
        store = Store(tmp_path / f"m{small}.duckdb")
        store.init()
        counts = [store.upsert_bars(b, ingested_at=f"2024-01-{i + 1:02d}") for i, b in enumerate(batches)]
        results[small] = (counts, store.bars("AXGI"), store.securities()[["ticker", "kind", "simulated"]])
    fast, general = results[store_mod.SMALL_BATCH], results[0]
    assert fast[0] == general[0]
    pd.testing.assert_frame_equal(fast[1], general[1])
    pd.testing.assert_frame_equal(fast[2], general[2])
    assert fast[1]["stale_close"].any() and fast[1]["zero_volume"].any()


# --- unusable workspace paths, atomic rebuilds, workspace metadata ---------------------------------------

def _junk(tmp_path):
    path = tmp_path / "junk.duckdb"
    path.write_text("not a database")
    return path


def _folder(tmp_path):
    path = tmp_path / "folder.duckdb"
    path.mkdir()
    return path


@pytest.mark.parametrize("name, make, fragment", [
    ("text file", _junk, "is not a DuckDB workspace file"),
    ("folder", _folder, "is a folder"),
    ("component over 255 bytes", lambda tmp: tmp / ("n" * 256) / "ws.duckdb", "at most 255 bytes"),
])
@pytest.mark.parametrize("op", ["read", "write", "exists"])
def test_an_unusable_path_is_named_as_such(tmp_path, name, make, fragment, op):
    st = Store(make(tmp_path))
    action = {"read": lambda: st.clients(), "write": lambda: st.save_client("x", "X"), "exists": st.exists}[op]
    if op == "exists" and name == "text file":
        assert action() is True  # the file is there; reading or writing it says what it is
    else:
        with pytest.raises(store_mod.NotAWorkspaceError, match=fragment):
            action()


def test_rebuilt_replaces_the_file_only_when_the_block_succeeds(tmp_path):
    st = Store(tmp_path / "ws.duckdb")
    st.save_client("alpha", "Alpha")
    with pytest.raises(RuntimeError, match="boom"):
        with st.rebuilt() as tmp:
            tmp.save_client("beta", "Beta")
            raise RuntimeError("boom")
    assert st.clients()["client_id"].tolist() == ["alpha"]
    assert [p.name for p in tmp_path.glob("*ws.duckdb*")] == ["ws.duckdb"]  # the temporary copy is gone
    with st.rebuilt() as tmp:
        assert tmp.clients()["client_id"].tolist() == ["alpha"]  # a copy of every table
        tmp.save_client("beta", "Beta")
        assert st.clients()["client_id"].tolist() == ["alpha"]  # readers see the old file meanwhile
    assert st.clients()["client_id"].tolist() == ["alpha", "beta"]
    assert sorted(p.name for p in tmp_path.glob("*ws.duckdb*")) == ["ws.duckdb"]


def test_rebuilt_of_a_missing_workspace_creates_it(tmp_path):
    st = Store(tmp_path / "new" / "ws.duckdb")
    with st.rebuilt() as tmp:
        tmp.save_client("alpha", "Alpha")
        assert not st.exists()
    assert st.clients()["client_id"].tolist() == ["alpha"]


def test_rebuilt_removes_the_files_of_dead_builds_only(tmp_path):
    st = Store(tmp_path / "ws.duckdb")
    st.init()
    dead = tmp_path / ".ws.duckdb.building-999999999-1.duckdb"  # no such process
    dead.write_bytes(b"half")
    import os

    alive = tmp_path / f".ws.duckdb.building-{os.getppid()}-1.duckdb"  # a live process (the test's parent)
    alive.write_bytes(b"in progress")
    with st.rebuilt():
        pass
    assert not dead.exists() and alive.exists()


@pytest.mark.parametrize("key, value, expected", [
    ("demo_complete", "19990104", {"demo_complete": "19990104"}),
    ("demo_complete", None, {}),
])
def test_workspace_meta_round_trip(empty_store, key, value, expected):
    empty_store.set_workspace_meta(key, "old")
    empty_store.set_workspace_meta(key, value)
    meta = empty_store.workspace_meta()
    assert {k: v for k, v in meta.items() if k == key} == expected
