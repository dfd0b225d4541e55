"""Load benchmark: the real Streamlit server, N sessions cycling through every page, an ingest job writing.

    python -m bench.load [--driver ws|chromium] [--sessions 10] [--duration 120] [--write-every 10]
                         [--workspace demo|large] [--think 0] [--no-baseline]

1. Builds the workspace in a temporary folder (``demo``: ``python -m ingest demo``, simulated; ``large``: the
   10-year, 500-activity simulated workspace of ``bench.dashboard``) and starts ``streamlit run dashboard.py``
   on it, bound to 127.0.0.1, with ``IRDASH_TIMING`` set: the server appends one line per script run
   (``app.timing``: the page, the run's wall time from the start of ``dashboard.py`` to the end of the page,
   its thread's CPU time, and whether it finished or was stopped by a rerun).
2. Opens ``--sessions`` sessions that visit every page of the navigation (the hidden /overview address
   excepted), over and over, for ``--duration`` seconds, each visit as soon as the previous one finished
   (``--think`` seconds later). Two drivers:

   - ``ws`` (default): each session speaks Streamlit's own protocol over ``/_stcore/stream`` (the
     ``streamlit.proto`` BackMsg/ForwardMsg messages, ``websockets`` client): a ``rerun_script`` BackMsg with
     the page's script hash and the query string the server last set (as the browser sends on a click in the
     sidebar), then it reads every ForwardMsg until ``script_finished``. The server does for it what it does
     for a browser (every script run, every delta serialised and sent); the client only parses the messages,
     so ten sessions do not take the server's two cores. It sends no widget values (every widget at its
     default or its ``st.session_state`` value) and no cached-message hashes (the server sends every message
     in full, as to a new tab).
   - ``chromium``: Playwright driving Debian's Chromium (one browser, one context per session) clicking the
     sidebar links; ten browsers on the server's two cores measure the browsers as much as the server.

3. Meanwhile an ingest job (``python -m ingest load-csv``, a separate process, as the nightly job runs) writes
   every ``--write-every`` seconds: 250 bars of a ticker of its own, revised at each write so every write
   really writes.

Each session first opens the dashboard and visits every page once, untimed (the server's caches fill on the
first visits; the issue's two-minute runs are mostly warm visits); the clock starts when all are done.
Printed per page and overall:

- **server** p50/p95/max: ``app.timing``'s wall seconds of the script runs made during the timed part (runs
  stopped by a rerun counted apart); CPU p50 is the script thread's own CPU time (wall well above CPU: the run
  waited for the GIL, i.e. for the other sessions' runs and the server's event loop).
- **client** p50/p95/max: from the visit's request (``ws``: the BackMsg sent; ``chromium``: the click) to the
  script's finish as the client sees it (``ws``: the ``script_finished`` message; ``chromium``: ``stApp``'s
  ``data-test-script-state`` back to ``notRunning`` and quiet for 250 ms). Client minus server is the time
  outside the page script: the queue before the run starts, Streamlit's own work around it (its
  ``gc.collect`` after each run, session state), the messages' serialisation and the round trip.
- **errors on screen**: exception elements, ``st.error`` alerts ("Something went wrong") and the "workspace
  is busy" warning, counted per page (``ws``: in the deltas; ``chromium``: in the page's DOM), and visits that
  never finished.
- **failed writes**: ingest jobs that exited non-zero (7 = lock timeout).

The machine's load average is printed with each run: with other jobs on the cores these times measure the
machine as much as the dashboard. The obvious alternative, printed beside it: the same sessions without the
writer (``--no-baseline`` skips it). Targets (issue 11): 0 errors, 0 failed writes, server-side p95 under 1 s.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking"]
TARGET_P95_S = 1.0
WRITER_TICKER = "LOADX"
QUIET_MS = 250
BUSY_TEXT = "The workspace is busy"
VISIT_TIMEOUT_S = 120

# Records every change of the app's script state with the page's clock, so a run that starts and ends between
# two polls is not missed.
_OBSERVE_JS = """() => {
  if (window.__runs) return;
  window.__runs = [];
  const app = document.querySelector('[data-testid="stApp"]');
  const note = () => window.__runs.push([performance.now(), app.getAttribute('data-test-script-state')]);
  note();
  new MutationObserver(note).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
_SETTLED_JS = """([t0, quiet]) => {
  const runs = window.__runs.filter(r => r[0] >= t0);
  if (!runs.length) return false;  // the click's run has not been seen yet
  const last = runs[runs.length - 1];
  return last[1] === 'notRunning' && performance.now() - last[0] > quiet;
}"""
# click to finished in ms
_FINISHED_AT_JS = """(t0) => {
  const r = window.__runs.filter(r => r[0] >= t0);
  return r[r.length - 1][0] - t0;
}"""
_ERRORS_JS = """() => {
  const q = s => document.querySelectorAll(s).length;
  const text = document.body.innerText;
  return {exception: q('[data-testid="stException"]'),
          error_alert: q('[data-testid="stAlertContentError"]'),
          busy: text.includes('%s') ? 1 : 0};
}""" % BUSY_TEXT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(kind: str, folder: Path) -> Path:
    """The workspace the server reads, built in ``folder`` (simulated data either way)."""
    db = folder / f"{kind}.duckdb"
    if kind == "demo":
        subprocess.run([sys.executable, "-m", "ingest", "--db", str(db), "-q", "demo"], cwd=ROOT, check=True,
                       capture_output=True, timeout=600)
    else:
        from bench.dashboard import build_workspace
        from store import Store

        build_workspace(Store(db), years=10, n_activities=500)
    return db


def writer_csv(path: Path, version: int) -> Path:
    """250 bars of the writer's own ticker; each version revises every close, so each load really writes."""
    days = pd.bdate_range("2023-01-02", periods=250)
    close = 1.0 + 0.01 * version + 0.001 * (np.arange(250) % 13)
    pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "Open": close, "High": close + 0.01, "Low": close - 0.01,
                  "Close": close, "Adj Close": close, "Volume": 1000 + np.arange(250)}).to_csv(path, index=False)
    return path


class Writer(threading.Thread):
    """Runs ``python -m ingest load-csv`` every ``every`` seconds until stopped; records exit codes and seconds."""

    def __init__(self, db: Path, folder: Path, every: float):
        super().__init__(daemon=True)
        self.db, self.folder, self.every = db, folder, every
        self.stop = threading.Event()
        self.results: list[tuple[int, float, str]] = []

    def run(self) -> None:
        version = 0
        while not self.stop.wait(self.every if version else 1.0):
            version += 1
            csv = writer_csv(self.folder / f"writer-{version % 2}.csv", version)
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "ingest", "--db", str(self.db), "-q", "load-csv", str(csv),
                                   "--ticker", WRITER_TICKER], cwd=ROOT, capture_output=True, text=True, timeout=300)
            self.results.append((done.returncode, time.perf_counter() - t0, done.stderr.strip()[-300:]))


def process_cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a process so far, all its threads (Linux ``/proc``); NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, TypeError):
        return float("nan")


def start_server(db: Path, port: int, timing_file: Path, options: tuple[str, ...] = ()) -> subprocess.Popen:
    env = {**os.environ, "IRDASH_DB": str(db), "IRDASH_TIMING": str(timing_file)}
    env.pop("IRDASH_MODE", None)  # demo mode: no sign-in, bound to loopback
    env.pop("IRDASH_PROFILE", None)  # a profiled run is not a timed run
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--server.headless", "true", "--browser.gatherUsageStats", "false",
                             *(f"--{o}" for o in options)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() - t0 > 60:
                proc.kill()
                raise RuntimeError(f"the server did not start: {(proc.stderr.read() or '')[-2000:]}")
            time.sleep(0.1)


class Tally:
    """What the sessions saw during the timed part: client seconds and errors on screen, per page."""

    def __init__(self, sessions: int, duration: float, server_pid: int | None = None, skip: tuple[str, ...] = ()):
        self.sessions, self.duration, self.server_pid, self.skip = sessions, duration, server_pid, skip
        self.cpu_from = self.cpu_to = float("nan")  # the server process's CPU seconds over the timed part
        self.timed_s = float("nan")
        self.driver_cpu = float("nan")
        self.sessions_kind = ""
        self.opened = 0
        self.until = 0.0
        self.all_open = asyncio.Event()
        self.timed_from: int | None = None  # the timing file's size when the clock started
        self.times: dict[str, list[float]] = {}
        self.errors: dict[str, list[str]] = {}
        self.pages: list[str] = []

    def ready(self, timing_file: Path) -> None:
        """One more session warmed up; the clock starts when all have."""
        self.opened += 1
        if self.opened == self.sessions:
            self.timed_from = timing_file.stat().st_size if timing_file.exists() else 0
            self.cpu_from = process_cpu_seconds(self.server_pid)
            self.driver_cpu = time.process_time()  # this process: the ws sessions (not Chromium's processes)
            self.started = time.monotonic()
            self.until = self.started + self.duration
            self.all_open.set()

    def done(self) -> None:
        """The sessions are finished: the timed part's server CPU and length."""
        self.cpu_to = process_cpu_seconds(self.server_pid)
        self.driver_cpu = time.process_time() - self.driver_cpu
        self.timed_s = time.monotonic() - self.started

    def saw(self, page: str, seconds: float | None, errors: list[str]) -> None:
        if seconds is None:  # a page that never finishes is an error on screen, and the session goes on
            self.errors.setdefault(page, []).append(f"did not finish within {VISIT_TIMEOUT_S} s")
        else:
            self.times.setdefault(page, []).append(seconds)
        self.errors.setdefault(page, []).extend(errors)


# --- the websocket driver: Streamlit's own protocol, no browser --------------------------------------------

class WsSession:
    """One visitor speaking Streamlit's websocket protocol: BackMsg ``rerun_script`` out, ForwardMsgs in."""

    def __init__(self, ws):
        self.ws = ws
        self.query = ""  # what the server last set with st.query_params (page_info_changed), as a browser keeps it
        self.pages: list[tuple[str, str]] = []  # (title, script hash) of the visible pages, navigation order
        self.skip: tuple[str, ...] = ()

    async def visit(self, page_hash: str = "", timeout_s: float = VISIT_TIMEOUT_S) -> tuple[float | None, list]:
        """Run a page (``""``: the default one) and read until its script finished: (seconds, errors on screen)."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        msg.rerun_script.page_script_hash = page_hash
        msg.rerun_script.widget_states.SetInParent()  # a browser always sends its widgets; none here
        errors: list[str] = []
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        deadline = t0 + timeout_s
        while True:
            try:
                raw = await asyncio.wait_for(self.ws.recv(), max(0.1, deadline - time.perf_counter()))
            except asyncio.TimeoutError:
                return None, errors
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                el = fwd.delta.new_element
                which = el.WhichOneof("type")
                if which == "exception":
                    errors.append("exception warning" if el.exception.is_warning else "exception")
                elif which == "alert":
                    if el.alert.format == el.alert.ERROR:
                        errors.append("error alert")
                    elif BUSY_TEXT in el.alert.body:
                        errors.append("busy")
            elif kind == "page_info_changed":
                self.query = fwd.page_info_changed.query_string
            elif kind == "navigation":
                self.pages = [(p.page_name, p.page_script_hash) for p in fwd.navigation.app_pages
                              if not p.is_hidden and p.page_name not in self.skip]
            elif kind == "session_event" and fwd.session_event.HasField("script_compilation_exception"):
                errors.append("compile error")
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
                if status == "FINISHED_EARLY_FOR_RERUN":  # the page called st.rerun(): its next run follows
                    continue
                if status == "FINISHED_WITH_COMPILE_ERROR":
                    errors.append("compile error")
                return time.perf_counter() - t0, errors


async def ws_session(url: str, tally: Tally, timing_file: Path, index: int, think: float) -> None:
    """One visitor over the websocket. After a visit that never finished it reconnects (a new session, as a
    person reloads the tab), so a late ``script_finished`` is never taken for the next visit's."""
    import websockets

    stream = url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"

    async def connect():
        ws = await websockets.connect(stream, subprotocols=["streamlit"], max_size=None, open_timeout=60,
                                      ping_interval=None)
        s = WsSession(ws)
        s.skip = tally.skip
        await s.visit("", timeout_s=300)  # the first load: the default page, and the navigation
        if not s.pages:
            raise RuntimeError("the server sent no navigation: is dashboard.py serving pages?")
        return s

    s = await connect()
    try:
        tally.pages = tally.pages or [title for title, _ in s.pages]
        for _, page_hash in (*s.pages[1:], s.pages[0]):  # warm-up, not timed: fills the server's caches
            await s.visit(page_hash, timeout_s=300)
        tally.ready(timing_file)
        await tally.all_open.wait()
        step = index + 1  # sessions start on different pages (and not on the one they are on)
        while time.monotonic() < tally.until:
            title, page_hash = s.pages[step % len(s.pages)]
            step += 1
            took, errors = await s.visit(page_hash)
            tally.saw(title, took, errors)
            if took is None:
                await s.ws.close()
                s = await connect()
            elif think:
                await asyncio.sleep(think)
    finally:
        await s.ws.close()


async def drive_ws(url: str, sessions: int, duration: float, timing_file: Path, think: float,
                   server_pid: int | None = None, skip: tuple[str, ...] = ()) -> Tally:
    tally = Tally(sessions, duration, server_pid, skip)
    tally.sessions_kind = "ws"
    await asyncio.gather(*(ws_session(url, tally, timing_file, i, think) for i in range(sessions)))
    tally.done()
    return tally


# --- the Chromium driver ------------------------------------------------------------------------------------

async def visit(page, name: str, timeout_s: float = VISIT_TIMEOUT_S) -> float | None:
    """Click ``name`` in the sidebar and wait for its run to finish: click to finished in s, or None.

    A click the app did not act on (no state change within 15 s: it landed while the sidebar was redrawn) is
    clicked again; the time still counts from the first click.
    """
    link = page.locator('[data-testid="stSidebarNav"] a', has_text=name).first
    t0 = await page.evaluate("() => performance.now()")
    started = time.monotonic()
    try:  # a browser starved of CPU can take longer than Playwright's default 30 s to make the link clickable
        await link.click(timeout=timeout_s * 1000)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError: the visit never finished
        return None
    while time.monotonic() - started < timeout_s:
        try:
            await page.wait_for_function(_SETTLED_JS, arg=[t0, QUIET_MS], polling=50, timeout=15_000)
        except Exception:  # noqa: BLE001 - playwright's TimeoutError
            seen = await page.evaluate("(t0) => window.__runs.filter(r => r[0] >= t0).length", t0)
            if not seen:
                try:
                    await link.click(timeout=max(1.0, timeout_s - (time.monotonic() - started)) * 1000)
                except Exception:  # noqa: BLE001
                    return None
            continue
        return await page.evaluate(_FINISHED_AT_JS, t0) / 1000
    return None


async def chromium_session(browser, url: str, tally: Tally, timing_file: Path, index: int, think: float) -> None:
    """One visitor: opens the dashboard, then clicks every page of the sidebar in turn until ``tally.until``."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    await page.goto(url, wait_until="load", timeout=120_000)
    await page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=120_000)
    await page.evaluate(_OBSERVE_JS)
    await page.wait_for_function(_SETTLED_JS, arg=[0, QUIET_MS], polling=50, timeout=300_000)
    # a link's text is its icon's ligature name, then the title: keep the title
    names = [t.strip().splitlines()[-1].strip()
             for t in await page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]
    names = [n for n in names if n not in tally.skip]
    tally.pages = tally.pages or names
    for name in (*names[1:], names[0]):  # warm-up, not timed: one visit of every page fills the server's caches
        await visit(page, name, timeout_s=300)
    tally.ready(timing_file)
    await tally.all_open.wait()
    step = index + 1
    while time.monotonic() < tally.until:
        name = names[step % len(names)]
        step += 1
        took = await visit(page, name)
        seen = await page.evaluate(_ERRORS_JS) if took is not None else {}
        tally.saw(name, took, [kind.replace("_", " ") for kind, n in seen.items() for _ in range(n)])
        if think:
            await asyncio.sleep(think)
    await context.close()


async def drive_chromium(url: str, sessions: int, duration: float, timing_file: Path, think: float,
                         server_pid: int | None = None, skip: tuple[str, ...] = ()) -> Tally:
    from playwright.async_api import async_playwright

    tally = Tally(sessions, duration, server_pid, skip)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        await asyncio.gather(*(chromium_session(browser, url, tally, timing_file, i, think)
                               for i in range(sessions)))
        tally.done()
        await browser.close()
    return tally


DRIVERS = {"ws": drive_ws, "chromium": drive_chromium}


def server_runs(timing_file: Path, offset: int) -> list[dict]:
    """The server's timing records written after byte ``offset`` (the timed part)."""
    from app.timing import read

    if not timing_file.exists():
        return []
    with open(timing_file, "rb") as fh:
        fh.seek(offset)
        tail = fh.read().decode("utf-8", "replace")
    part = timing_file.with_suffix(".timed.jsonl")
    part.write_text(tail, encoding="utf-8")
    return read(part)


def one_run(db: Path, folder: Path, driver: str, sessions: int, duration: float, write_every: float | None,
            think: float, label: str, options: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> dict:
    port = free_port()
    timing_file = folder / f"timing-{label}.jsonl"
    server = start_server(db, port, timing_file, options)
    writer = Writer(db, folder, write_every) if write_every else None
    try:
        if writer:
            writer.start()
        tally = asyncio.run(DRIVERS[driver](f"http://127.0.0.1:{port}/", sessions, duration, timing_file, think,
                                            server.pid, skip))
    finally:
        if writer:
            writer.stop.set()
            writer.join(timeout=320)
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
    return {"tally": tally, "server": server_runs(timing_file, tally.timed_from or 0),
            "writes": writer.results if writer else [], "load": os.getloadavg()[0]}


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def report(label: str, run: dict) -> bool:
    tally, server, writes = run["tally"], run["server"], run["writes"]
    done = [r for r in server if r["status"] != "rerun"]
    cut = [r for r in server if r["status"] == "rerun"]
    by_page: dict[str, list[dict]] = {}
    for r in done:
        by_page.setdefault(r["page"], []).append(r)
    every = [t for v in tally.times.values() for t in v]
    n_err = sum(len(v) for v in tally.errors.values())
    failed = [w for w in writes if w[0] != 0]
    print(f"\n{label} (1-minute load average at the end: {run['load']:.1f})")
    print(f"  {'':<20}{'---------- server ----------':>37}   {'------ client ------':>26}")
    print(f"  {'page':<20}{'runs':>6}{'p50 s':>8}{'p95 s':>8}{'max s':>8}{'cpu p50':>9}{'cut':>5}"
          f"{'views':>7}{'p50 s':>8}{'p95 s':>8}{'max s':>8}  errors on screen")
    names = list(dict.fromkeys([*tally.pages, *by_page]))
    for name in names:
        sv = [r["seconds"] for r in by_page.get(name, [])]
        cpu = [r["cpu_seconds"] for r in by_page.get(name, [])]
        v = tally.times.get(name, [])
        kinds = tally.errors.get(name, [])
        shown = ", ".join(f"{k} x{kinds.count(k)}" for k in sorted(set(kinds))) or "0"
        n_cut = sum(r["page"] == name for r in cut)
        print(f"  {name:<20}{len(sv):6d}{pct(sv, 50):8.2f}{pct(sv, 95):8.2f}{max(sv, default=float('nan')):8.2f}"
              f"{pct(cpu, 50):9.2f}{n_cut:5d}{len(v):7d}{pct(v, 50):8.2f}{pct(v, 95):8.2f}"
              f"{max(v, default=float('nan')):8.2f}  {shown}")
    sv = [r["seconds"] for r in done]
    cpu = [r["cpu_seconds"] for r in done]
    p95 = pct(sv, 95)
    print(f"  {'all pages':<20}{len(sv):6d}{pct(sv, 50):8.2f}{p95:8.2f}{max(sv, default=float('nan')):8.2f}"
          f"{pct(cpu, 50):9.2f}{len(cut):5d}{len(every):7d}{pct(every, 50):8.2f}{pct(every, 95):8.2f}"
          f"{max(every, default=float('nan')):8.2f}  {n_err}")
    statuses = {s: sum(r["status"] == s for r in server) for s in ("finished", "stopped", "rerun", "error", "busy")}
    print("  server: wall seconds of each script run, start of dashboard.py to the end of the page (app.timing); "
          "cpu: its thread's CPU; cut: runs stopped by a rerun (not in the percentiles); runs by status: "
          + ", ".join(f"{k} {n}" for k, n in statuses.items()))
    print("  client: the visit's request to the script finished, as the client saw it")
    cpu_all = tally.cpu_to - tally.cpu_from
    if every and cpu_all == cpu_all:  # not NaN
        in_scripts = sum(cpu)
        print(f"  server process CPU over the timed part: {cpu_all:.1f} s in {tally.timed_s:.0f} s "
              f"({cpu_all / tally.timed_s:.2f} cores), {cpu_all / len(every):.3f} s a page view; the page scripts' "
              f"threads {in_scripts:.1f} s of it ({in_scripts / cpu_all:.0%}), the rest Streamlit around them "
              "(event loop, serialisation, websocket, gc)")
        if tally.sessions_kind == "ws":
            print(f"  the ws sessions' own CPU (this process): {tally.driver_cpu:.1f} s, "
                  f"{tally.driver_cpu / len(every):.3f} s a page view")
    if writes or label.startswith("with"):
        secs = [w[1] for w in writes]
        print(f"  ingest writes: {len(writes)}, failed {len(failed)}"
              + (f", job seconds median {statistics.median(secs):.2f} max {max(secs):.2f}" if secs else ""))
        for code, _, err in failed[:3]:
            print(f"    exit {code}: {err}")
    met = n_err == 0 and not failed and p95 < TARGET_P95_S and bool(sv)
    print(f"  targets: 0 errors ({n_err}), 0 failed writes ({len(failed)}), server-side p95 < {TARGET_P95_S:.0f} s "
          f"({p95:.2f} s): {'met' if met else 'NOT met'}")
    return met


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    ap.add_argument("--driver", choices=tuple(DRIVERS), default="ws",
                    help="ws: Streamlit's websocket protocol, no browser (default); chromium: Playwright sessions")
    ap.add_argument("--sessions", type=int, default=10, help="concurrent sessions (default 10)")
    ap.add_argument("--duration", type=float, default=120, help="seconds each run lasts (default 120)")
    ap.add_argument("--write-every", type=float, default=10, help="seconds between ingest writes (default 10)")
    ap.add_argument("--think", type=float, default=0.0,
                    help="seconds a session waits after a page before the next (default 0: at once)")
    ap.add_argument("--workspace", choices=("demo", "large"), default="demo",
                    help="demo workspace, or the simulated 10-year, 500-activity one (default demo)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the run without the writer")
    ap.add_argument("--skip-page", action="append", default=[], metavar="TITLE",
                    help="leave a page of the navigation out of the cycle, by its title (repeatable; said in the "
                         "output)")
    ap.add_argument("--server-option", action="append", default=[], metavar="KEY=VALUE",
                    help="a streamlit run option for the server, e.g. runner.postScriptGC=false (repeatable)")
    args = ap.parse_args(argv)
    if args.sessions < 1 or args.duration <= 0 or args.write_every <= 0 or args.think < 0:
        ap.error("--sessions must be at least 1, --duration and --write-every above 0, --think 0 or more")
    if any("=" not in o or o.startswith("-") for o in args.server_option):
        ap.error("--server-option takes KEY=VALUE, e.g. runner.postScriptGC=false")
    options = tuple(args.server_option)
    skip = tuple(args.skip_page)
    if args.driver == "chromium" and not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium (or use --driver ws)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="irdash-load-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        db = build(args.workspace, folder)
        drivers = {"ws": "websocket sessions (Streamlit's protocol, no browser)",
                   "chromium": "Chromium sessions (Playwright)"}
        print(f"workspace: {args.workspace} (simulated), built in {time.perf_counter() - t0:.1f} s; "
              f"driver: {args.driver}, {args.sessions} {drivers[args.driver]} x {args.duration:.0f} s, "
              f"think {args.think:g} s; {os.cpu_count()} cores; server options: "
              f"{' '.join(options) or 'none (the repository config)'}; load average at the start "
              f"{os.getloadavg()[0]:.1f}" + (f"; pages left out: {', '.join(skip)}" if skip else ""))
        ok = report(f"with an ingest write every {args.write_every:g} s",
                    one_run(db, folder, args.driver, args.sessions, args.duration, args.write_every, args.think,
                            "writer", options, skip))
        if not args.no_baseline:
            report("alternative: the same sessions, no writer",
                   one_run(db, folder, args.driver, args.sessions, args.duration, None, args.think, "baseline",
                           options, skip))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
