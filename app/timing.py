"""Server-side page time: one JSON line per script run of ``dashboard.py`` into the file ``IRDASH_TIMING`` names.

``dashboard.py`` calls :func:`start` first thing and :func:`finish` in the ``finally`` after the page ran, so a
line's ``seconds`` is the run's wall time on the server, from the start of ``dashboard.py`` to the end of the
page, whatever the browser does; ``cpu_seconds`` is the CPU time of the script's own thread in that span (wall
much above CPU: the run waited for the GIL, the disk or a lock). A run stopped by a rerun (the visitor clicked
elsewhere, or the page called ``st.rerun``) is recorded with ``"status": "rerun"``, a page that ended early on
purpose (``st.stop``) with ``"stopped"``, one whose exception the dashboard caught with ``"error"`` or
``"busy"``. With ``IRDASH_TIMING`` unset nothing is written and nothing is measured. ``bench.load`` reads the
file. With ``IRDASH_PROFILE`` naming a folder, each run is also profiled (``cProfile`` on the script's thread)
into ``<folder>/<time>-<page>-<session>.prof`` (read with ``python -m pstats``); it slows the run down, so
never measure time and profile in the same run.

Runs that end before the page is chosen (the sign-in page, a refused configuration or client) are not recorded.
"""
from __future__ import annotations

import cProfile
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ENV = "IRDASH_TIMING"
PROFILE_ENV = "IRDASH_PROFILE"
STATUSES = ("finished", "stopped", "rerun", "error", "busy")
LOG = logging.getLogger("irdash.timing")
_LOCK = threading.Lock()  # one line per write, never interleaved between the sessions' threads
_warned: set[str] = set()


@dataclass
class Run:
    """One script run being timed (returned by :func:`start`, given back to :func:`finish`)."""

    path: str
    started: float
    cpu_started: float
    session: str | None
    query: str
    status: str | None = None  # set by the dashboard when it caught the page's exception ("error", "busy")
    profiler: cProfile.Profile | None = field(default=None, repr=False)
    profile_dir: str | None = None
    clock: Callable[[], float] = field(default=time.perf_counter, repr=False)
    cpu_clock: Callable[[], float] = field(default=time.thread_time, repr=False)


def _context() -> tuple[str | None, str]:
    """The Streamlit session id and query string of this script run (None, "" outside a script run)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
    except Exception:  # noqa: BLE001 - no Streamlit runtime: a plain call (tests, a bench)
        ctx = None
    if ctx is None:
        return None, ""
    return ctx.session_id, ctx.query_string or ""


def start(*, clock: Callable[[], float] = time.perf_counter,
          cpu_clock: Callable[[], float] = time.thread_time) -> Run | None:
    """Begin timing this script run; None (nothing measured) when ``IRDASH_TIMING`` is unset or empty."""
    path = os.environ.get(ENV, "").strip()
    if not path:
        return None
    session, query = _context()
    run = Run(path=path, started=clock(), cpu_started=cpu_clock(), session=session, query=query,
              clock=clock, cpu_clock=cpu_clock)
    folder = os.environ.get(PROFILE_ENV, "").strip()
    if folder:
        try:
            run.profiler, run.profile_dir = cProfile.Profile(), folder
            run.profiler.enable()  # this thread only: the session's script thread
        except ValueError:  # another profiler is active on this thread
            run.profiler = None
    return run


def status_of(exc: BaseException | None, noted: str | None = None) -> str:
    """How the run ended: ``noted`` (the dashboard caught an error) else from the exception leaving the page.

    Streamlit stops a script with its own control exceptions: ``RerunException`` when a rerun replaces the run
    (``"rerun"``), ``StopException`` for ``st.stop()`` (``"stopped"``); any other exception is ``"error"``.
    """
    if noted:
        return noted
    if exc is None:
        return "finished"
    from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

    if isinstance(exc, RerunException):
        return "rerun"
    if isinstance(exc, StopException):
        return "stopped"
    return "error"


def note(run: Run | None, status: str) -> None:
    """Record how the run ended when the dashboard caught the page's exception (``"error"``, ``"busy"``)."""
    if status not in STATUSES:
        raise ValueError(f"unknown run status {status!r}: use one of {', '.join(STATUSES)}")
    if run is not None:
        run.status = status


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:40] or "page"


def finish(run: Run | None, page: str, url_path: str = "", exc: BaseException | None = None) -> dict | None:
    """End the run: append its JSON line (returned) to the ``IRDASH_TIMING`` file. Never raises.

    Call it in the ``finally`` around the page with ``exc=sys.exc_info()[1]`` (the exception leaving the page,
    None when it returned).
    """
    if run is None:
        return None
    seconds = run.clock() - run.started
    cpu = run.cpu_clock() - run.cpu_started
    record = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "page": page, "url_path": url_path,
              "seconds": round(seconds, 6), "cpu_seconds": round(cpu, 6), "status": status_of(exc, run.status),
              "session": run.session, "query": run.query, "pid": os.getpid()}
    if run.profiler is not None:
        run.profiler.disable()
        try:
            Path(run.profile_dir).mkdir(parents=True, exist_ok=True)
            name = f"{time.strftime('%H%M%S')}-{int(time.time() * 1e6) % 1_000_000:06d}-{_slug(page)}-" \
                   f"{(run.session or 'nosession')[:8]}.prof"
            run.profiler.dump_stats(str(Path(run.profile_dir) / name))
        except OSError as err:
            _warn_once(run.profile_dir, err)
    line = json.dumps(record, separators=(",", ":")) + "\n"
    try:
        with _LOCK, open(run.path, "a", encoding="utf-8") as fh:
            fh.write(line)
    except OSError as err:  # a timing file that cannot be written must never break a page
        _warn_once(run.path, err)
    return record


def _warn_once(path: str, err: OSError) -> None:
    if path not in _warned:
        _warned.add(path)
        LOG.warning("page timing not written to %s: %s (check %s / %s)", path, err, ENV, PROFILE_ENV)


def read(path: str | Path) -> list[dict]:
    """The records of a timing file, in order; lines that are not JSON objects (a run cut mid-write) skipped."""
    out = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and "seconds" in item and "page" in item:
            out.append(item)
    return out
