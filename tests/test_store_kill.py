"""A job killed halfway through its write leaves the store as it was (no half-load, no duplicates)."""
from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from store import Store

ROOT = Path(__file__).resolve().parents[1]

# Runs the real CLI job, but stalls inside the write transaction (after the rows are written, at the
# end-of-load check) so the test can kill the process at the worst moment.
STALLING_JOB = """
import runpy, sys, time
sys.path.insert(0, {root!r})
import store.store as ss
def stall(*args, **kwargs):
    print("MID-WRITE", flush=True)
    time.sleep(120)
ss._check_bars = stall
ss._check_range = stall
sys.argv = ["ingest", "--db", {db!r}, "-q", "load-csv", {csv!r}, "--ticker", "AXGI"]
runpy.run_module("ingest", run_name="__main__")
"""


def _yahoo_csv(path: Path, start: str, n: int, base: float) -> Path:
    dates = pd.bdate_range(start, periods=n)
    close = base + 0.001 * (np.arange(n) % 9)
    pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Open": close, "High": close + 0.002,
                  "Low": close - 0.001, "Close": close, "Adj Close": close,
                  "Volume": (np.arange(n) % 3) * 1000}).to_csv(path, index=False)
    return path


def _run_job(db: Path, csv: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ingest", "--db", str(db), "-q", "load-csv", str(csv),
                           "--ticker", "AXGI"], cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("new_rows", [40, 400], ids=["one-ticker-merge", "general-merge"])
def test_job_killed_mid_write_leaves_the_previous_rows(tmp_path, new_rows):
    db = tmp_path / "ws.duckdb"
    first = _run_job(db, _yahoo_csv(tmp_path / "v1.csv", "1999-01-04", 30, 0.040))
    assert first.returncode == 0, first.stderr
    before = Store(db).bars("AXGI")
    log_before = Store(db).ingest_log()

    # The second file revises every stored close and adds new days: a half-write would show.
    revised = _yahoo_csv(tmp_path / "v2.csv", "1999-01-04", new_rows, 0.050)
    code = STALLING_JOB.format(root=str(ROOT), db=str(db), csv=str(revised))
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.strip() == "MID-WRITE", child.stderr.read()
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL

    after = Store(db).bars("AXGI")
    pd.testing.assert_frame_equal(after, before)
    assert not after.duplicated(["ticker", "date"]).any()
    # The killed job wrote nothing, not even a "running" row that would never end.
    assert len(Store(db).ingest_log()) == len(log_before)

    # Running the job again completes it, with no duplicates.
    again = _run_job(db, revised)
    assert again.returncode == 0, again.stderr
    final = Store(db).bars("AXGI")
    assert len(final) == new_rows
    assert not final.duplicated(["ticker", "date"]).any()
    assert final["close"].iloc[0] == pytest.approx(0.050)


# --- the demo build is atomic and `demo --if-missing` repairs an incomplete workspace -------------------

# The real `demo` job, stopped at one point of the build so the test can SIGKILL it there.
STALLING_DEMO = """
import os, runpy, sys, time
sys.path.insert(0, {root!r})
import store.store as ss
point = {point!r}

def stall_before(owner, name):
    real = getattr(owner, name)
    def stalled(*args, **kwargs):
        print("AT", point, flush=True)
        time.sleep(120)
        return real(*args, **kwargs)
    setattr(owner, name, stalled)

{{"bars": lambda: stall_before(ss.Store, "upsert_bars"),
  "terms": lambda: stall_before(ss.Store, "save_client"),
  "activities": lambda: stall_before(ss.Store, "add_activities"),
  "marker": lambda: stall_before(ss.Store, "set_workspace_meta"),
  "rename": lambda: stall_before(os, "replace")}}[point]()
sys.argv = ["ingest", "--db", {db!r}, "-q", "demo"]
runpy.run_module("ingest", run_name="__main__")
"""
KILL_POINTS = ["bars", "terms", "activities", "marker", "rename"]


def _demo(db: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ingest", "--db", str(db), "-q", "demo", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def _kill_demo_at(db: Path, point: str) -> None:
    code = STALLING_DEMO.format(root=str(ROOT), db=str(db), point=point)
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.strip() == f"AT {point}", child.stderr.read()[-3000:]
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL


def _demo_content(db: Path) -> dict:
    """What a complete demo workspace holds (numbers from ingest.demo: 2 tickers x 402 trading days, 35 activities)."""
    st = Store(db)
    return {"bars": len(st.bars(["AXGI", "^SIMIDX"])), "activities": len(st.activities("auxer")),
            "engagements": len(st.engagements("auxer")), "grants": len(st.option_grants()),
            "financings": len(st.financings()), "complete": "demo_complete" in st.workspace_meta(),
            "simulated": st.workspace_info()["simulated"]}


COMPLETE = {"bars": 804, "activities": 35, "engagements": 1, "grants": 1, "financings": 1, "complete": True,
            "simulated": True}


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_fresh_demo_build_killed_leaves_no_workspace_and_if_missing_builds_it(tmp_path, point):
    db = tmp_path / "demo.duckdb"
    _kill_demo_at(db, point)
    assert not db.exists()  # never a half-built file under the workspace's name
    assert list(tmp_path.glob(".demo.duckdb.building-*"))  # the killed build's temporary file stays behind
    done = _demo(db, "--if-missing")
    assert done.returncode == 0, done.stderr
    assert _demo_content(db) == COMPLETE
    assert not list(tmp_path.glob(".demo.duckdb.building-*"))  # the next build removed the dead one's file
    log = Store(db).ingest_log()
    assert log[log["job"] == "demo"]["status"].tolist() == ["ok"]


@pytest.mark.parametrize("point", ["bars", "marker", "rename"])
def test_a_rebuild_killed_leaves_the_previous_workspace_whole(tmp_path, point):
    db = tmp_path / "demo.duckdb"
    assert _demo(db).returncode == 0
    Store(db).save_client("beta", "Beta Corp")  # other data in the file survives rebuilds
    before = {t: Store(db).query(f"SELECT * FROM {t} ORDER BY ALL") for t in ("bars", "activities", "clients")}
    _kill_demo_at(db, point)
    for table, frame in before.items():
        pd.testing.assert_frame_equal(Store(db).query(f"SELECT * FROM {table} ORDER BY ALL"), frame)
    again = _demo(db, "--if-missing")
    assert again.returncode == 0 and "already there" in again.stdout
    rebuilt = _demo(db)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert _demo_content(db) == COMPLETE
    assert "beta" in Store(db).clients()["client_id"].tolist()


@pytest.mark.parametrize("name, steps", [
    ("securities only", ("securities",)),
    ("bars, no activities", ("securities", "bars")),
    ("everything but the marker", ("securities", "bars", "terms", "activities")),
])
def test_if_missing_repairs_a_workspace_half_built_by_older_code(tmp_path, name, steps):
    """A file left by a build without the atomic rename (the issue's "no activities; or only bars")."""
    from ingest.demo import BUILT_AT, build_demo_frames, write_demo_workspace

    db = tmp_path / "demo.duckdb"
    st = Store(db)
    if "activities" in steps:
        write_demo_workspace(st)  # all of it, but without the job's marker
    else:
        ws = build_demo_frames()
        st.init()
        for sec in ws.securities.itertuples(index=False):
            st.upsert_security(sec.ticker, name=sec.name, kind=sec.kind, simulated=True, added_at=BUILT_AT)
        if "bars" in steps:
            st.upsert_bars(ws.bars, ingested_at=BUILT_AT)
    done = _demo(db, "--if-missing")
    assert done.returncode == 0 and "already there" not in done.stdout, done.stdout
    assert _demo_content(db) == COMPLETE
