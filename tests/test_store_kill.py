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
