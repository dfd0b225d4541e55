"""app.timing: one JSON line per script run (page, wall and CPU seconds, how it ended), nothing when unset."""
from __future__ import annotations

import json
import pstats
import time
from pathlib import Path

import pytest
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException
from streamlit.testing.v1 import AppTest

from app import timing
from tests.pages import ROOT


class FakeClock:
    """Returns the given readings in turn (a clock whose every reading the test knows)."""

    def __init__(self, *readings: float):
        self.readings = list(readings)

    def __call__(self) -> float:
        return self.readings.pop(0)


# How a run ended: the exception leaving the page (None: it returned), what the dashboard noted, the status.
STATUS_CASES = [
    ("returned", None, None, "finished"),
    ("rerun replaced it", RerunException(None), None, "rerun"),
    ("st.stop", StopException(), None, "stopped"),
    ("uncaught exception", ValueError("boom"), None, "error"),
    ("caught, noted error", None, "error", "error"),
    ("caught, noted busy", None, "busy", "busy"),
    ("noted wins over a later stop", StopException(), "busy", "busy"),
]


@pytest.mark.parametrize("name, exc, noted, expected", STATUS_CASES, ids=[c[0] for c in STATUS_CASES])
def test_status_of(name, exc, noted, expected):
    assert timing.status_of(exc, noted) == expected


# Wall and CPU clocks read at start and at finish; seconds are the differences, worked by hand.
CLOCK_CASES = [
    # 10.25 - 10.0 = 0.25 s wall; 1.125 - 1.0 = 0.125 s CPU (the run waited half its time)
    ("half waiting", (10.0, 10.25), (1.0, 1.125), 0.25, 0.125),
    # 3600.5 - 3600.0 = 0.5 s wall; 7.5 - 7.0 = 0.5 s CPU (all of it computing)
    ("all computing", (3600.0, 3600.5), (7.0, 7.5), 0.5, 0.5),
    # 2.0 - 2.0 = 0 s: a run shorter than the clock's tick
    ("zero", (2.0, 2.0), (0.0, 0.0), 0.0, 0.0),
]


@pytest.mark.parametrize("name, wall, cpu, seconds, cpu_seconds", CLOCK_CASES, ids=[c[0] for c in CLOCK_CASES])
def test_finish_appends_one_line_with_the_clock_differences(tmp_path, monkeypatch, name, wall, cpu, seconds,
                                                          cpu_seconds):
    out = tmp_path / "timing.jsonl"
    monkeypatch.setenv(timing.ENV, str(out))
    run = timing.start(clock=FakeClock(*wall), cpu_clock=FakeClock(*cpu))
    record = timing.finish(run, "Event impact", "event-impact", None)
    lines = out.read_text().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == record
    assert (record["page"], record["url_path"], record["status"]) == ("Event impact", "event-impact", "finished")
    assert record["seconds"] == pytest.approx(seconds, abs=1e-9)
    assert record["cpu_seconds"] == pytest.approx(cpu_seconds, abs=1e-9)
    assert (record["session"], record["query"]) == (None, "")  # outside a script run


def test_nothing_measured_or_written_when_unset(tmp_path, monkeypatch):
    before = sorted(tmp_path.iterdir())
    monkeypatch.delenv(timing.ENV, raising=False)
    assert timing.start() is None
    assert timing.finish(None, "Overview") is None
    monkeypatch.setenv(timing.ENV, "  ")  # blank counts as unset
    assert timing.start() is None
    assert sorted(tmp_path.iterdir()) == before


def test_an_unwritable_file_never_breaks_the_page(tmp_path, monkeypatch):
    monkeypatch.setenv(timing.ENV, str(tmp_path))  # a folder: open(..., "a") fails
    record = timing.finish(timing.start(), "Data", "data", None)
    assert record["page"] == "Data"


def test_note_refuses_an_unknown_status():
    with pytest.raises(ValueError, match="unknown run status 'slow'"):
        timing.note(None, "slow")
    timing.note(None, "busy")  # no run (timing unset): nothing to note, no error


def test_read_skips_a_line_cut_mid_write(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"page":"Data","seconds":0.5}\n{"page":"Over\n[1,2]\n{"page":"Overview","seconds":1.5}\n')
    assert [(r["page"], r["seconds"]) for r in timing.read(path)] == [("Data", 0.5), ("Overview", 1.5)]
    assert timing.read(tmp_path / "missing.jsonl") == []


# A tiny app that times itself the way dashboard.py does; its first run ends the way `how` says.
SCRIPT = """
import sys
import streamlit as st
from app import timing

run = timing.start()
try:
    n = st.session_state["runs"] = st.session_state.get("runs", 0) + 1
    st.write(f"run {n}")
    if n == 1 and HOW == "rerun":
        st.rerun()
    if n == 1 and HOW == "stop":
        st.stop()
    if n == 1 and HOW == "caught":
        try:
            raise RuntimeError("the page failed")
        except RuntimeError:
            timing.note(run, "error")
            st.error("Something went wrong")
    def slow_part():
        return sum(i * i for i in range(20000))
    slow_part()
finally:
    timing.finish(run, "Tiny", "tiny", sys.exc_info()[1])
"""

RUN_CASES = [
    # how the first run ends, statuses recorded after one at.run()
    ("rerun", ["rerun", "finished"]),  # st.rerun(): the first run is cut short, the rerun finishes
    ("stop", ["stopped"]),
    ("caught", ["error"]),
    ("plain", ["finished"]),
]


@pytest.mark.parametrize("how, statuses", RUN_CASES, ids=[c[0] for c in RUN_CASES])
def test_script_runs_are_recorded_with_how_they_ended(tmp_path, monkeypatch, how, statuses):
    out = tmp_path / "timing.jsonl"
    monkeypatch.setenv(timing.ENV, str(out))
    script = tmp_path / "tiny.py"
    script.write_text(f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nHOW = {how!r}\n" + SCRIPT)
    at = AppTest.from_file(str(script), default_timeout=60)
    t0 = time.perf_counter()
    at.run()
    outside = time.perf_counter() - t0  # the independent reference: the span the test itself saw
    records = timing.read(out)
    assert [r["status"] for r in records] == statuses
    assert all(r["page"] == "Tiny" and r["session"] for r in records)
    assert 0 < sum(r["seconds"] for r in records) <= outside
    assert all(r["cpu_seconds"] <= r["seconds"] + 0.01 for r in records)  # thread CPU within the wall time


def test_profile_folder_gets_a_readable_profile_per_run(tmp_path, monkeypatch):
    monkeypatch.setenv(timing.ENV, str(tmp_path / "timing.jsonl"))
    monkeypatch.setenv(timing.PROFILE_ENV, str(tmp_path / "prof"))
    script = tmp_path / "tiny.py"
    script.write_text(f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nHOW = 'plain'\n" + SCRIPT)
    AppTest.from_file(str(script), default_timeout=60).run()
    profiles = sorted((tmp_path / "prof").glob("*-tiny-*.prof"))
    assert len(profiles) == 1
    names = {func[2] for func in pstats.Stats(str(profiles[0])).stats}
    assert "slow_part" in names


def test_dashboard_records_each_page_run(demo_db, tmp_path, monkeypatch):
    out = tmp_path / "timing.jsonl"
    monkeypatch.setenv(timing.ENV, str(out))
    monkeypatch.setenv("IRDASH_DB", str(demo_db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.run()
    at.switch_page("app/pages/data.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    records = timing.read(out)
    assert [(r["page"], r["url_path"], r["status"]) for r in records] == [
        ("Overview", "", "finished"), ("Data", "data", "finished")]
    assert all(r["seconds"] > 0 for r in records)
    assert Path(out).read_text().count("\n") == 2


def test_dashboard_records_a_page_that_stops_early(tmp_path, monkeypatch):
    # no workspace file: every page says so and calls st.stop(); after it any st.* call in dashboard.py's
    # finally raises StopException again, so the line must be written before them
    out = tmp_path / "timing.jsonl"
    monkeypatch.setenv(timing.ENV, str(out))
    monkeypatch.setenv("IRDASH_DB", str(tmp_path / "missing.duckdb"))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.run()
    at.switch_page("app/pages/activities.py")
    at.run()
    assert [(r["page"], r["status"]) for r in timing.read(out)] == [("Overview", "stopped"), ("Activities", "stopped")]
