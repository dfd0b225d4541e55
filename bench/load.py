"""Load benchmark: the real Streamlit server, N browser sessions cycling through every page, an ingest job writing.

    python -m bench.load [--sessions 10] [--duration 120] [--write-every 10] [--workspace demo|large]
                         [--no-baseline]

1. Builds the workspace in a temporary folder (``demo``: ``python -m ingest demo``, simulated; ``large``: the
   10-year, 500-activity simulated workspace of ``bench.dashboard``) and starts ``streamlit run dashboard.py``
   on it, bound to 127.0.0.1.
2. Opens ``--sessions`` browser sessions (Playwright driving Debian's Chromium, one browser, one context per
   session) that click through the six pages in the sidebar, over and over, for ``--duration`` seconds.
3. Meanwhile an ingest job (``python -m ingest load-csv``, a separate process, as the nightly job runs) writes
   every ``--write-every`` seconds: 250 bars of a ticker of its own, revised at each write so every write
   really writes.

Each session first opens the dashboard and visits every page once, untimed (the server's caches fill on the
first visits; the issue's two-minute runs are mostly warm visits); the clock starts when all are done.
Page time is the time from the click in the sidebar to the page's script run finished, as the browser sees
it (``stApp``'s ``data-test-script-state`` back to ``notRunning`` and quiet for 250 ms): the server's run of
the page script plus one websocket round trip on loopback, and whatever time the browser's main thread needs
before it handles the server's messages (on a busy 2-core machine, drawing the previous page's charts). "run"
is the narrower span from the app's ``running`` state to ``notRunning``. The machine's load average is printed
with each run: with other jobs on the cores these times measure the machine as much as the dashboard.
Errors on screen are exceptions, error alerts
("Something went wrong") and the "workspace is busy" warning, counted per page. Failed writes are ingest jobs
that exited non-zero (7 = lock timeout).

The obvious alternative, printed beside it: the same sessions without the writer (``--no-baseline`` skips it).
Targets (issue 11): 0 errors, 0 failed writes, p95 under 1 s.
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
PAGES = ("Overview", "Activities", "Event impact", "Engagement", "ROI report", "Data")
TARGET_P95_S = 1.0
WRITER_TICKER = "LOADX"
QUIET_MS = 250

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
# [click to finished, first 'running' to finished] in ms
_FINISHED_AT_JS = """(t0) => {
  const r = window.__runs.filter(r => r[0] >= t0);
  const start = r.find(x => x[1] === 'running');  // absent when the click joined a run already going
  return [r[r.length - 1][0] - t0, r[r.length - 1][0] - (start ? start[0] : t0)];
}"""
_ERRORS_JS = """() => {
  const q = s => document.querySelectorAll(s).length;
  const text = document.body.innerText;
  return {exceptions: q('[data-testid="stException"]'),
          error_alerts: q('[data-testid="stAlertContentError"]'),
          busy: text.includes('The workspace is busy') ? 1 : 0};
}"""


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


def start_server(db: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "IRDASH_DB": str(db)}
    env.pop("IRDASH_MODE", None)  # demo mode: no sign-in, bound to loopback
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
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


async def visit(page, name: str, timeout_s: float = 120) -> tuple[float, float] | None:
    """Click ``name`` in the sidebar and wait for its run to finish: (click to finished, run) in s, or None.

    A click the app did not act on (no state change within 15 s: it landed while the sidebar was redrawn) is
    clicked again; the time still counts from the first click.
    """
    link = page.locator('[data-testid="stSidebarNav"] a', has_text=name).first
    t0 = await page.evaluate("() => performance.now()")
    await link.click()
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        try:
            await page.wait_for_function(_SETTLED_JS, arg=[t0, QUIET_MS], polling=50, timeout=15_000)
        except Exception:  # noqa: BLE001 - playwright's TimeoutError
            seen = await page.evaluate("(t0) => window.__runs.filter(r => r[0] >= t0).length", t0)
            if not seen:
                await link.click()
            continue
        click_ms, run_ms = await page.evaluate(_FINISHED_AT_JS, t0)
        return click_ms / 1000, run_ms / 1000
    return None


async def session(browser, url: str, clock: dict, times: dict, runs: dict, errors: dict, index: int) -> None:
    """One visitor: opens the dashboard, then clicks every page of the sidebar in turn until ``clock["until"]``.

    The first load and one warm-up visit of every page (cold caches) are not timed; the clock starts once every
    session has warmed up.
    """
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    await page.goto(url, wait_until="load", timeout=120_000)
    await page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=120_000)
    await page.evaluate(_OBSERVE_JS)
    await page.wait_for_function(_SETTLED_JS, arg=[0, QUIET_MS], polling=50, timeout=300_000)
    for name in (*PAGES[1:], PAGES[0]):  # warm-up, not timed: one visit of every page fills the server's caches
        await visit(page, name, timeout_s=300)
    clock["opened"] += 1
    if clock["opened"] == clock["sessions"]:
        clock["until"] = time.monotonic() + clock["duration"]
        clock["all_open"].set()
    await clock["all_open"].wait()
    step = index + 1  # sessions start on different pages (and not on the one they are on)
    while time.monotonic() < clock["until"]:
        name = PAGES[step % len(PAGES)]
        step += 1
        took = await visit(page, name)
        if took is None:  # a page that never finishes is an error on screen, and the session goes on
            errors.setdefault(name, []).append("did not finish within 120 s")
            continue
        times.setdefault(name, []).append(took[0])
        runs.setdefault(name, []).append(took[1])
        seen = await page.evaluate(_ERRORS_JS)
        for kind, n in seen.items():
            if n:
                errors.setdefault(name, []).append(kind)
    await context.close()


async def drive(url: str, sessions: int, duration: float) -> tuple[dict, dict, dict]:
    from playwright.async_api import async_playwright

    times: dict[str, list[float]] = {}
    runs: dict[str, list[float]] = {}
    errors: dict[str, list[str]] = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        clock = {"opened": 0, "sessions": sessions, "duration": duration, "until": 0.0, "all_open": asyncio.Event()}
        await asyncio.gather(*(session(browser, url, clock, times, runs, errors, i) for i in range(sessions)))
        await browser.close()
    return times, runs, errors


def one_run(db: Path, folder: Path, sessions: int, duration: float, write_every: float | None) -> dict:
    port = free_port()
    server = start_server(db, port)
    writer = Writer(db, folder, write_every) if write_every else None
    try:
        if writer:
            writer.start()
        times, runs, errors = asyncio.run(drive(f"http://127.0.0.1:{port}/", sessions, duration))
    finally:
        if writer:
            writer.stop.set()
            writer.join(timeout=320)
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
    return {"times": times, "runs": runs, "errors": errors, "writes": writer.results if writer else [],
            "load": os.getloadavg()[0]}


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def report(label: str, run: dict) -> bool:
    times, runs, errors, writes = run["times"], run["runs"], run["errors"], run["writes"]
    every = [t for v in times.values() for t in v]
    every_run = [t for v in runs.values() for t in v]
    n_err = sum(len(v) for v in errors.values())
    failed = [w for w in writes if w[0] != 0]
    print(f"\n{label} (1-minute load average at the end: {run['load']:.1f})")
    print(f"  {'page':<14}{'views':>7}{'p50 s':>8}{'p95 s':>8}{'max s':>8}{'run p50':>9}{'run p95':>9}  errors on screen")
    for name in PAGES:
        v, r = times.get(name, []), runs.get(name, [])
        kinds = errors.get(name, [])
        shown = ", ".join(f"{k} x{kinds.count(k)}" for k in sorted(set(kinds))) or "0"
        print(f"  {name:<14}{len(v):7d}{pct(v, 50):8.2f}{pct(v, 95):8.2f}{max(v, default=float('nan')):8.2f}"
              f"{pct(r, 50):9.2f}{pct(r, 95):9.2f}  {shown}")
    p95 = pct(every, 95)
    print(f"  {'all pages':<14}{len(every):7d}{pct(every, 50):8.2f}{p95:8.2f}{max(every, default=float('nan')):8.2f}"
          f"{pct(every_run, 50):9.2f}{pct(every_run, 95):9.2f}  {n_err}")
    print("  (p50/p95/max: click to the page's script run finished; run: the script's 'running' state to finished)")
    if writes or label.startswith("with"):
        secs = [w[1] for w in writes]
        print(f"  ingest writes: {len(writes)}, failed {len(failed)}"
              + (f", job seconds median {statistics.median(secs):.2f} max {max(secs):.2f}" if secs else ""))
        for code, _, err in failed[:3]:
            print(f"    exit {code}: {err}")
    met = n_err == 0 and not failed and p95 < TARGET_P95_S and bool(every)
    print(f"  targets: 0 errors ({n_err}), 0 failed writes ({len(failed)}), p95 < {TARGET_P95_S:.0f} s "
          f"({p95:.2f} s): {'met' if met else 'NOT met'}")
    return met


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10, help="concurrent browser sessions (default 10)")
    ap.add_argument("--duration", type=float, default=120, help="seconds each run lasts (default 120)")
    ap.add_argument("--write-every", type=float, default=10, help="seconds between ingest writes (default 10)")
    ap.add_argument("--workspace", choices=("demo", "large"), default="demo",
                    help="demo workspace, or the simulated 10-year, 500-activity one (default demo)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the run without the writer")
    args = ap.parse_args(argv)
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="irdash-load-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        db = build(args.workspace, folder)
        print(f"workspace: {args.workspace} (simulated), built in {time.perf_counter() - t0:.1f} s; "
              f"{args.sessions} browser sessions x {args.duration:.0f} s, {os.cpu_count()} cores")
        ok = report(f"with an ingest write every {args.write_every:g} s",
                    one_run(db, folder, args.sessions, args.duration, args.write_every))
        if not args.no_baseline:
            report("alternative: the same sessions, no writer", one_run(db, folder, args.sessions, args.duration, None))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
