"""A dashboard reading while an ingest job writes: neither may fail on DuckDB's file lock."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import store.store as store_module
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


# --- writers are not starved: readers yield to a waiting writer (writer-intent markers) ------------------

READER_LOOP = """
import sys, time
sys.path.insert(0, {root!r})
from store import Store
st = Store({path!r})
n, stop = 0, time.monotonic() + {seconds}
while time.monotonic() < stop:
    assert len(st.bars("AXGI")) == 4
    n += 1
print("reads", n, flush=True)
"""


def test_writes_succeed_while_reader_processes_poll(empty_store, monkeypatch):
    """The issue's case: reader processes polling; every write of the writer gets the file (none exits 7)."""
    empty_store.upsert_bars(make_bars())
    code = READER_LOOP.format(root=str(ROOT), path=str(empty_store.path), seconds=12)
    readers = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(4)]
    try:
        time.sleep(2)  # let the readers start polling
        monkeypatch.setenv("IRDASH_LOCK_TIMEOUT", "8")
        failed = 0
        for i in range(5):
            try:
                empty_store.upsert_bars(make_bars(closes=(0.05, 0.05 + (i + 1) / 1000, 0.05, 0.06)))
            except StoreBusyError:
                failed += 1
            time.sleep(0.3)
        results = [r.communicate(timeout=60) for r in readers]
    finally:
        for r in readers:
            if r.poll() is None:
                r.kill()
    assert failed == 0
    for r, (out, err) in zip(readers, results):
        assert r.returncode == 0 and out.startswith("reads"), err[-2000:]
    assert empty_store.bars("AXGI")["close"].tolist()[1] == pytest.approx(0.055)
    assert not store_module._marks_dir(empty_store.path).exists()  # every marker was cleared


def _foreign_mark(path: Path, age: float = 0.0) -> Path:
    folder = store_module._marks_dir(path)
    folder.mkdir(exist_ok=True)
    mark = folder / "999999999-1"  # another process's writer
    mark.touch()
    if age:
        stamp = time.time() - age
        import os
        os.utime(mark, (stamp, stamp))
    return mark


def test_a_reader_waits_while_another_process_writer_waits(empty_store):
    empty_store.upsert_bars(make_bars())
    mark = _foreign_mark(empty_store.path)
    events: list[str] = []

    def keep_fresh_then_leave():
        for _ in range(5):  # the waiting writer touches its marker at each retry
            mark.touch()
            time.sleep(0.1)
        events.append("writer has the file")
        mark.unlink()

    t = threading.Thread(target=keep_fresh_then_leave)
    t.start()
    empty_store.bars("AXGI")
    events.append("read done")
    t.join()
    assert events == ["writer has the file", "read done"]


def test_a_stale_marker_of_a_killed_writer_is_ignored_and_removed(empty_store):
    empty_store.upsert_bars(make_bars())
    mark = _foreign_mark(empty_store.path, age=store_module.WRITER_MARK_STALE + 5)
    assert len(empty_store.bars("AXGI")) == 4
    assert not mark.exists()


def test_a_blocked_writer_leaves_a_marker_and_clears_it(empty_store, monkeypatch):
    monkeypatch.setenv("IRDASH_LOCK_TIMEOUT", "20")
    empty_store.upsert_bars(make_bars())
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(empty_store.path)!r}, read_only=True); "
                               "print('locked', flush=True); sys.stdin.readline()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    done: list[BaseException | None] = []
    try:
        assert holder.stdout.readline().strip() == "locked"
        writer = threading.Thread(target=lambda: done.append(
            empty_store.upsert_bars(make_bars(closes=(0.05, 0.07, 0.05, 0.06))) and None))
        writer.start()
        folder = store_module._marks_dir(empty_store.path)
        for _ in range(200):
            if folder.exists() and any(folder.iterdir()):
                break
            time.sleep(0.05)
        assert [p.name.split("-")[0] for p in folder.iterdir()] == [str(__import__("os").getpid())]
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
        writer.join(timeout=30)
    finally:
        if holder.poll() is None:
            holder.kill()
    assert done == [None]
    assert not store_module._marks_dir(empty_store.path).exists()
    assert empty_store.bars("AXGI")["close"].tolist()[1] == pytest.approx(0.07)


def test_store_busy_error_says_what_to_do(empty_store, monkeypatch):
    monkeypatch.setenv("IRDASH_LOCK_TIMEOUT", "0.2")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(empty_store.path)!r}); "
                               "print('locked', flush=True); time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(StoreBusyError) as err:
            empty_store.bars("AXGI")
    finally:
        holder.kill()
        holder.wait()
    text = str(err.value)
    for words in ("is busy", "Nothing was changed", "Wait a few seconds and reload the page"):
        assert words in text
