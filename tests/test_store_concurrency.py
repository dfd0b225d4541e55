"""A dashboard reading while an ingest job writes: neither may fail on DuckDB's file lock."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from factories import make_bars
from store import StoreBusyError

ROOT = Path(__file__).resolve().parents[1]

WRITER = """
import sys, time
sys.path.insert(0, {root!r})
sys.path.insert(0, {tests!r})
from factories import make_bars
from store import Store
st = Store({path!r})
for i in range({n}):
    c = 0.05 + 0.001 * (i % 7)
    st.upsert_bars(make_bars(closes=(0.05, c, c, 0.06)))
    st.add_activities(__import__("pandas").DataFrame(
        {{"client_id": ["auxer"], "date": [__import__("pandas").Timestamp("1999-01-11")], "type": ["other"]}}))
print("writer done", flush=True)
"""


def _spawn_writer(path: Path, n: int) -> subprocess.Popen:
    code = WRITER.format(root=str(ROOT), tests=str(ROOT / "tests"), path=str(path), n=n)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_reader_and_writer_processes_run_at_once(empty_store):
    empty_store.upsert_bars(make_bars())
    writer = _spawn_writer(empty_store.path, n=40)
    reads = 0
    seen_activities = set()
    while writer.poll() is None:
        bars = empty_store.bars("AXGI")
        assert len(bars) == 4  # a read never sees a half-written batch
        seen_activities.add(len(empty_store.activities()))
        reads += 1
    out, err = writer.communicate()
    assert writer.returncode == 0, err
    assert "writer done" in out
    assert reads > 5
    assert len(seen_activities) > 1  # the reader saw the writer's progress while it ran
    assert len(empty_store.activities()) == 40


def test_threads_in_one_process_share_the_file(empty_store):
    errors: list[BaseException] = []
    stop = threading.Event()

    def read_loop():
        try:
            while not stop.is_set():
                assert len(empty_store.bars("AXGI")) in (0, 4)
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    readers = [threading.Thread(target=read_loop) for _ in range(2)]
    for t in readers:
        t.start()
    try:
        for i in range(20):
            empty_store.upsert_bars(make_bars(closes=(0.05, 0.05 + i / 1000, 0.05, 0.06)))
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert errors == []
    assert empty_store.bars("AXGI")["close"].tolist()[1] == pytest.approx(0.069)


def test_busy_file_raises_store_busy_naming_the_holder(empty_store, monkeypatch):
    monkeypatch.setenv("IRDASH_LOCK_TIMEOUT", "0.3")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(empty_store.path)!r}); "
                               "print('locked', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(StoreBusyError, match=rf"process {holder.pid} .*holds it.*IRDASH_LOCK_TIMEOUT"):
            empty_store.bars("AXGI")
        assert time.monotonic() - started < 3
        with pytest.raises(StoreBusyError, match="for writing"):
            empty_store.upsert_bars(make_bars())
    finally:
        holder.kill()
        holder.wait()
    assert len(empty_store.bars("AXGI")) == 0
