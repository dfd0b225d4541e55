"""Dashboard benchmark (issue 10 point 8): time to the overview chart beside a minimal app's, and widget changes.

    python -m bench.dashboard                  # defaults: 5 cold and 10 warm loads of each app, 6 changes a widget
    python -m bench.dashboard --quick          # 2 cold loads with 1 warm each, 2 changes a widget: a few minutes
    python -m bench.dashboard --pages --profile   # also the per-page server times and a profile of a widget change

In one run, on the demo workspace (built from code in a temporary folder, simulated):

1. **Page load, ours beside the reference.** ``streamlit run dashboard.py`` and ``streamlit run
   bench/minimal_app.py`` (the least a Streamlit + plotly page needs to draw the same client's prices,
   read from the same DuckDB file), each on 127.0.0.1 and a free port, with the project's
   ``.streamlit/config.toml``, are loaded in Debian's Chromium (Playwright). A load's time runs from
   the navigation's start to the first animation frame where a plotly chart's SVG holds a drawn trace
   and is visible, measured by the browser's own clock (``performance.now()``, whose zero is the
   navigation's start). *Cold*: a new server process (first session: imports, empty caches) and a
   new browser context (empty HTTP cache). *Warm*: the same server and context, a new tab. Launches
   alternate which app goes first so both see the same machine. Printed: medians, ours / reference
   (target: within 1.3x), and for ours the time to the complete chart (the strike line and the hover
   CARs) and from launching the server to its health answer.
2. **Widget change to the updated chart** (ours, and the reference's own select box as the floor):
   the time from the pointer or key event of the change (browser clock) to the first animation frame
   where the chart's data differ from before, and to the script run finished (Streamlit's running
   state gone). Overview: the benchmark toggle; Event impact: model, activity type, event windows.
   Changes alternate between a value the server has not computed yet (cold caches for it, as for a
   user exploring) and the page's first value again (cached). Target: median under 1 s on the demo.
3. ``--pages``: the server time to run each page's script (AppTest), cold and warm, on the demo and
   on a generated workspace of ``--years`` years and ``--activities`` activities (issue 5's figures).
4. ``--profile``: where the server's time goes in a script run after a widget change (cProfile of
   AppTest runs): by package, and the costliest project functions (the answer, the event study,
   the figures, plotly's JSON serialization).

The machine may be shared: read the ratios, not the absolute seconds, and re-run on a quiet machine
for the figures that matter. Exit code 0 when every target is met, 1 otherwise.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.constants import ACTIVITY_TYPE_CODES, DEFAULT_SEED

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("overview", "activities", "event_impact", "engagement", "roi_report", "data")
TARGET_PAGE_MS = 300
TARGET_RATIO = 1.3  # ours / the reference app, time to the overview chart painted
TARGET_CHANGE_S = 1.0  # a widget change to the updated chart, median
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]


def build_workspace(store, *, years: int = 10, n_activities: int = 500, seed: int = DEFAULT_SEED,
                    ticker: str = "SYNT", benchmark: str = "^SYNIDX") -> None:
    """A simulated workspace: one client, ``years`` of daily bars, an engagement and its activities."""
    rng = np.random.default_rng(seed)
    end = pd.Timestamp("2024-12-31")
    days = pd.bdate_range(end - pd.DateOffset(years=years) + pd.Timedelta(days=1), end)
    n = len(days)
    r_m = rng.normal(0.0003, 0.011, n)
    r_s = 0.0002 + 1.2 * r_m + rng.normal(0, 0.035, n)
    close_m = 1000 * np.exp(np.cumsum(r_m))
    close_s = 0.5 * np.exp(np.cumsum(r_s))
    vol_s = np.where(rng.random(n) < 0.3, 0.0, rng.lognormal(11, 1.0, n).round())

    def frame(tk, close, volume, source):
        spread = np.abs(rng.normal(0, 0.01, n)) * close
        return pd.DataFrame({"ticker": tk, "date": days, "open": close, "high": close + spread,
                             "low": np.maximum(close - spread, close * 0.5), "close": close, "adj_close": close,
                             "volume": volume, "source": source})

    store.init()
    store.upsert_security(ticker, name="Synthetic Co (simulated)", simulated=True)
    store.upsert_security(benchmark, name="Synthetic index (simulated)", kind="index", simulated=True)
    store.upsert_bars(pd.concat([frame(ticker, close_s, vol_s, "demo-simulated"),
                                 frame(benchmark, close_m, np.full(n, 1e9), "demo-simulated")]))
    store.upsert_shares_outstanding(pd.DataFrame({"ticker": [ticker], "date": [days[0]], "shares": [80e6],
                                                  "source": ["bench"]}))
    store.save_client("synthco", "Synthetic Co", ticker, benchmark)
    start = days[n // 2]
    eng = store.save_engagement(client_id="synthco", consultant="Bench IR", signed_date=start, start_date=start,
                                end_date=days[-1], retainer_amount=5000.0, retainer_frequency="monthly",
                                minimum_months=3, retainer_price_rule="avg_close_prior_n", retainer_price_days=5,
                                notes="Generated by bench.dashboard")
    store.save_option_grant(engagement_id=eng, holder="Bench IR", shares=2_000_000, strike=float(close_s[n // 2]),
                            grant_date=start, expiry_date=start + pd.DateOffset(years=2))
    store.save_financing(engagement_id=eng, date=days[n // 2 + 60], amount=1_000_000.0, fee_rate=0.08,
                         description="Private placement (simulated)")
    picks = np.sort(rng.choice(np.arange(130, n - 10), size=n_activities, replace=False))
    store.add_activities(pd.DataFrame({
        "client_id": "synthco", "date": days[picks],
        "type": [ACTIVITY_TYPE_CODES[i % len(ACTIVITY_TYPE_CODES)] for i in range(n_activities)],
        "title": [f"Activity {i + 1}" for i in range(n_activities)], "channel": "wire",
        "reach": rng.integers(100, 10_000, n_activities), "cost": rng.integers(0, 2_000, n_activities).astype(float),
        "after_close": rng.random(n_activities) < 0.2,
    }))
    store.set_workspace_info(name=f"bench {years}y/{n_activities} activities", simulated=True)


def demo_workspace(path: Path) -> bool:
    """Build the demo workspace at ``path`` with ingest.demo; False when it is not available."""
    from store import Store

    try:
        from ingest.demo import write_demo_workspace
    except ImportError:
        return False
    store = Store(path)
    store.init()
    write_demo_workspace(store, DEFAULT_SEED)
    return True


def page_times(db: Path, runs: int) -> dict[str, tuple[float, float]]:
    """Per page: (cold ms, warm median ms) of the page script run by AppTest on ``db``."""
    import logging

    from streamlit.testing.v1 import AppTest

    # AppTest's runs touch st.cache_* from the bench's own thread, and Streamlit logs "missing
    # ScriptRunContext" for each, which buries the figures. A filter, because Streamlit resets its
    # loggers' levels when it loads its config.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage()
    )
    os.environ["IRDASH_DB"] = str(db)
    out = {}
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
        at.run()
        if page != "overview":
            at.switch_page(f"app/pages/{page}.py")
        times = []
        for _ in range(runs + 1):
            t0 = time.perf_counter()
            at.run()
            times.append((time.perf_counter() - t0) * 1000)
            if at.exception:
                raise RuntimeError(f"{page}: {at.exception[0].value}")
        out[page] = (times[0], statistics.median(times[1:]))
    return out


DASHBOARD = ROOT / "dashboard.py"
REFERENCE = ROOT / "bench" / "minimal_app.py"
TIMEOUT_MS = 120_000  # a cold first session on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(script: Path, db: Path, log: Path):
    """``streamlit run script`` on ``db`` (demo mode, 127.0.0.1, a free port): yields (base URL, seconds to health)."""
    import urllib.request

    port = free_port()
    env = {**os.environ, "IRDASH_DB": str(db), "IRDASH_MODE": "demo"}
    t0 = time.perf_counter()
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.perf_counter() - t0 > 90:
                    raise RuntimeError(f"{script.name} did not start within 90 s; its log:\n"
                                       + log.read_text(errors="replace")[-2000:])
                time.sleep(0.02)
        yield url, time.perf_counter() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


# Each condition is checked in the page on every animation frame (``polling="raf"``) and returns the
# browser's clock when it first holds: ``performance.now()`` counts from the navigation's start, so a
# load's figure carries no Playwright round trip. (``wait_for_selector`` backs off to one check every
# 500 ms, which read the chart 0.3-0.6 s late.)
_PAINTED_JS = """() => {
  for (const e of document.querySelectorAll('.stPlotlyChart .main-svg .scatterlayer .trace')) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && e.checkVisibility({visibilityProperty: true})) return performance.now();
  }
  return false;
}"""
_COMPLETE_JS = """() => {
  const strike = [...document.querySelectorAll('.stPlotlyChart .main-svg .annotation-text')]
    .some(e => e.textContent.toLowerCase().includes('strike'));
  const downloads = [...document.querySelectorAll("[data-testid='stDownloadButton']")]
    .some(e => e.getBoundingClientRect().width > 0);
  return strike && downloads ? performance.now() : false;
}"""
_IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.dataset.testScriptState === 'notRunning' && !document.querySelector('[data-testid="stSkeleton"]');
}"""
#: The data of the plotly chart whose title holds ``part``, as one hash (null while it is not drawn). Streamlit
#: sends plotly's arrays base64-encoded (``{dtype, bdata}``), so each trace's x and y are hashed as sent.
_SIGNATURE_JS = """(part) => {
  for (const el of document.querySelectorAll('.stPlotlyChart .js-plotly-plot')) {
    const t = el.layout && el.layout.title ? (el.layout.title.text ?? el.layout.title) : '';
    if (!String(t).toLowerCase().includes(part)) continue;
    const r = el.getBoundingClientRect();
    if (!el.data || !el.querySelector('.main-svg .trace') || !(r.width > 0 && r.height > 0)) return null;
    const text = JSON.stringify(el.data.map(d => [d.name, d.type, d.x, d.y]));
    let h = 0;
    for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
    return `${el.data.length}:${text.length}:${h}`;
  }
  return null;
}"""
#: Arms one measurement: the next pointerdown or keydown starts it; then each animation frame looks for the
#: chart's data differing from now (``changed``) and, after that, the script run finished (``idle``).
_ARM_JS = """([part, signature, idle]) => {
  const before = signature(part);
  const b = window.__bench = {start: null, changed: null, idle: null, before};
  const mark = () => { if (b.start === null) b.start = performance.now(); };
  document.addEventListener('pointerdown', mark, {capture: true, once: true});
  document.addEventListener('keydown', mark, {capture: true, once: true});
  const tick = () => {
    if (window.__bench !== b) return;
    if (b.start !== null && b.changed === null) {
      const now = signature(part);
      if (now !== null && now !== before) b.changed = performance.now();
    }
    if (b.changed !== null && b.idle === null && idle()) b.idle = performance.now();
    if (b.idle === null) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  return before !== null;
}"""


def _arm(page, part: str) -> None:
    ok = page.evaluate(f"(part) => ({_ARM_JS})([part, {_SIGNATURE_JS}, {_IDLE_JS}])", part)
    if not ok:
        raise RuntimeError(f"no chart titled '...{part}...' on {page.url}")


def timed_load(context, url: str, *, complete: bool = False) -> dict[str, float]:
    """Seconds from the navigation's start to a chart painted (and, with ``complete``, the overview's full chart)."""
    page = context.new_page()
    try:
        page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        out = {"painted": page.wait_for_function(_PAINTED_JS, polling="raf", timeout=TIMEOUT_MS).json_value() / 1000}
        if complete:
            done = page.wait_for_function(_COMPLETE_JS, polling="raf", timeout=TIMEOUT_MS)
            out["complete"] = done.json_value() / 1000
        page.wait_for_function(_IDLE_JS, timeout=TIMEOUT_MS)
        return out
    finally:
        page.close()


def page_loads(browser, db: Path, log: Path, cold: int, warm: int) -> dict[str, list[dict]]:
    """Per app (``ours``, ``reference``): one dict per load with ``kind`` (cold/warm), ``painted``, ..."""
    apps = {"ours": DASHBOARD, "reference": REFERENCE}
    out: dict[str, list[dict]] = {name: [] for name in apps}
    for i in range(cold):
        order = list(apps) if i % 2 == 0 else list(apps)[::-1]  # alternate who goes first
        for name in order:
            with serving(apps[name], db, log) as (url, health):
                context = browser.new_context(viewport={"width": 1366, "height": 900})
                try:
                    first = timed_load(context, url, complete=name == "ours")
                    out[name].append({"kind": "cold", "health": health, **first})
                    for _ in range(warm):
                        out[name].append({"kind": "warm", **timed_load(context, url, complete=name == "ours")})
                finally:
                    context.close()
            warm_text = ", ".join(f"{r['painted']:.2f}" for r in out[name][len(out[name]) - warm:])
            print(f"  load round {i + 1}/{cold}: {name} cold {out[name][-1 - warm]['painted']:.2f} s, "
                  f"warm {warm_text or '-'} s", flush=True)
    return out


# --- widget changes ------------------------------------------------------------------------------

def _selectbox(page, label: str):
    return page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True)).first


def _open(box) -> None:
    """Open a select box's list: a click on a wide one may only focus its text field, so the arrow key, then a
    click, then its open button, until the options show (a rerun can also close a list just opened)."""
    page = box.page
    field = box.get_by_role("combobox")
    tries = (lambda: (field.focus(), page.keyboard.press("ArrowDown")), field.click,
             lambda: box.get_by_role("button", name="Open").click())
    for attempt in range(9):
        page.wait_for_function(_IDLE_JS)
        tries[attempt % 3]()
        try:
            page.get_by_role("option").first.wait_for(state="visible", timeout=3000)
            return
        except Exception:  # playwright's TimeoutError: try the next way
            page.keyboard.press("Escape")
    raise RuntimeError(f"the select box {box} did not open")


def _next_value(state: dict, others: list) -> tuple:
    """Alternately a value not chosen yet (the next of ``others``; once all were, them again) and the first one."""
    state["i"] = state.get("i", 0) + 1
    if state["i"] % 2 == 0:
        value = state["first"]
    else:
        unseen = [o for o in others if o not in state["seen"]]
        value = unseen[0] if unseen else others[(state["i"] // 2) % len(others)]
    new = value not in state["seen"]
    state["seen"].add(value)
    return value, new


def _choose(page, label: str, state: dict):
    """Choose another option of the ``label`` select box; returns (the action, whether the value is new here)."""
    box = _selectbox(page, label)
    if "first" not in state:
        state["first"] = box.get_by_role("combobox").input_value().strip()
        _open(box)
        names = [t.strip() for t in page.get_by_role("option").all_inner_texts()]
        state["others"] = [n for n in names if n != state["first"]]
        if not state["others"]:
            raise RuntimeError(f"the {label!r} select box offers no other option than {state['first']!r}")
        page.keyboard.press("Escape")
        page.wait_for_timeout(200)
        state["seen"] = {state["first"]}
    value, new = _next_value(state, state["others"])
    _open(box)
    option = page.get_by_role("option", name=value, exact=True)
    option.wait_for(state="visible")
    return option.click, new


def _toggle(page, label: str, state: dict):
    """Flip the ``label`` toggle (on is new the first time)."""
    if "first" not in state:
        state["first"], state["seen"] = False, {False}
    _, new = _next_value(state, [True])
    return page.get_by_test_id("stCheckbox").filter(has=page.get_by_text(label, exact=True)).first.click, new


def _retype(page, label: str, state: dict):
    """Type into the ``label`` text input, alternately a first event window not used yet (-2..2, -3..3, ...) and
    the original text; Enter commits it."""
    box = page.get_by_test_id("stTextInput").filter(has=page.get_by_text(label, exact=True)).first.locator("input")
    if "first" not in state:
        state["first"] = box.input_value()
        rest = state["first"].split(",", 1)[1:]  # "-1..1,0..5" -> keep "0..5"
        state["others"] = [",".join([f"-{k}..{k}", *rest]) for k in range(2, 11)]
        state["seen"] = {state["first"]}
    value, new = _next_value(state, state["others"])
    box.fill(value)
    return (lambda: box.press("Enter")), new


#: (what, app, url path, chart title part, how to change it, widget label)
CHANGES = (
    ("Overview: benchmark toggle", "ours", "", "price, volume", _toggle, "Benchmark rebased on the same axis"),
    ("Event impact: model", "ours", "event-impact", "cumulative average abnormal", _choose, "Model"),
    ("Event impact: activity type", "ours", "event-impact", "cumulative average abnormal", _choose, "Activity type"),
    ("Event impact: event windows", "ours", "event-impact", "cumulative average abnormal", _retype, "Event windows"),
    ("Reference app: period", "reference", "", "price and volume", _choose, "Period"),
)


def widget_changes(browser, db: Path, log: Path, n: int) -> dict[str, list[tuple[float, float, bool]]]:
    """Per change of :data:`CHANGES`: ``n`` (s to the chart updated, s to the run finished, value new here).

    Changes alternate between a value this server has not computed yet (its caches are cold for it, as
    for a user exploring) and the page's first value (cached: as when going back)."""
    out: dict[str, list[tuple[float, float, bool]]] = {}
    for app_name, script in (("ours", DASHBOARD), ("reference", REFERENCE)):
        with serving(script, db, log) as (url, _):
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            try:
                for what, app, path, part, prepare, label in CHANGES:
                    if app != app_name:
                        continue
                    page.goto(f"{url}/{path}")
                    page.wait_for_function(_PAINTED_JS, polling="raf")
                    page.wait_for_function(f"() => ({_SIGNATURE_JS})({part!r}) !== null", polling="raf")
                    page.wait_for_function(_IDLE_JS)
                    state: dict = {}
                    times = []
                    for _ in range(n):
                        act, new = prepare(page, label, state)
                        _arm(page, part)
                        act()
                        page.wait_for_function("() => window.__bench.idle !== null", polling=50)
                        b = page.evaluate("() => window.__bench")
                        times.append(((b["changed"] - b["start"]) / 1000, (b["idle"] - b["start"]) / 1000, new))
                        page.wait_for_timeout(300)  # a rerun that writes the URL back settles
                        page.wait_for_function(_IDLE_JS)
                    out[what] = times
                    print(f"  {what}: " + ", ".join(f"{c:.2f}{'' if new else ' (cached)'}" for c, _, new in times)
                          + " s", flush=True)
            finally:
                context.close()
    return out


# --- where the server's time goes ----------------------------------------------------------------

_GROUPS = ("analytics", "app", "store", "ingest", "plotly", "pandas", "numpy", "scipy", "duckdb", "pyarrow",
           "streamlit")


def _group(filename: str) -> str:
    if filename.startswith(("~", "<")):
        return "builtins" if filename.startswith("~") else "python / other"
    path = Path(filename)
    try:
        rel = path.resolve().relative_to(ROOT)
        if rel.parts and rel.parts[0] in _GROUPS:
            return rel.parts[0] if rel.parts[0] != "app" else "app (pages, views, charts)"
        if rel.parts and rel.parts[0] == ".venv":
            raise ValueError
        return "project (other)"
    except ValueError:
        pass
    for part in path.parts[::-1]:
        if part in _GROUPS:
            return part
    return "python / other"


def _page_ok(at, what: str) -> None:
    """Stop with the page's own words when its script failed (dashboard.py shows a message instead of raising)."""
    failed = [e.value for e in at.exception] + [e.value for e in at.error if "went wrong" in str(e.value)]
    if failed:
        raise RuntimeError(f"{what}: the page failed, so there is nothing to profile: {failed[0]}")


def _nth(options, i: int):
    return options[i % len(options)]


def profile_changes(db: Path, runs: int) -> None:
    """cProfile of AppTest runs after each widget change; prints seconds a run by package and the top functions."""
    import cProfile
    import logging
    import pstats

    from streamlit.testing.v1 import AppTest

    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage())
    os.environ["IRDASH_DB"] = str(db)
    os.environ["IRDASH_MODE"] = "demo"
    from analytics.settings import MODELS

    # each profiled run sets a value not computed before where the widget has enough of them (as a user exploring)
    models = [m for m in MODELS if m != "market"] + ["market"]
    cases = {
        "Overview: benchmark toggle": ("app/pages/overview.py",
                                       lambda at, i: at.toggle(key="w_show_bench").set_value(i % 2 == 1)),
        "Event impact: model": ("app/pages/event_impact.py",
                                lambda at, i: at.selectbox(key="w_model").set_value(models[(i - 1) % len(models)])),
        "Event impact: activity type": ("app/pages/event_impact.py",
                                        lambda at, i: at.selectbox(key="w_type").set_value(
                                            _nth(at.selectbox(key="w_type").options, i))),
        "Event impact: event windows": ("app/pages/event_impact.py",
                                        lambda at, i: at.text_input(key="w_win").set_value(f"-{i + 1}..{i + 1},0..5")),
    }
    t0 = time.perf_counter()
    at = AppTest.from_file(str(DASHBOARD), default_timeout=300)
    at.run()
    print(f"\n  first script run of a new process (imports, cold caches): {time.perf_counter() - t0:.2f} s")
    for what, (page, change) in cases.items():
        at = AppTest.from_file(str(DASHBOARD), default_timeout=300)
        at.run()
        at.switch_page(page).run()
        at.run()  # the page's first value, as a user lands on it
        _page_ok(at, what)
        prof = cProfile.Profile()
        wall = []
        for i in range(1, runs + 1):
            change(at, i)  # a new value each run (see above)
            t = time.perf_counter()
            # AppTest runs the script in a thread of its own, started per run: the profiler is switched on
            # inside it (threading.setprofile's hook runs first in every new thread and hands over to cProfile)
            threading.setprofile(lambda *_: prof.enable())
            try:
                at.run()
            finally:
                threading.setprofile(None)
            wall.append(time.perf_counter() - t)
            _page_ok(at, what)
        stats = pstats.Stats(prof)
        by_group: dict[str, float] = {}
        for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():
            by_group[_group(filename)] = by_group.get(_group(filename), 0.0) + tottime
        total = sum(by_group.values())
        print(f"\n  {what}: script run after the change, median {statistics.median(wall) * 1000:.0f} ms "
              f"wall over {runs} runs; own time by package (ms a run):")
        for name, sec in sorted(by_group.items(), key=lambda kv: -kv[1])[:8]:
            print(f"    {name:<28}{sec / runs * 1000:8.0f}  {sec / total:5.0%}")
        project = [(key, val) for key, val in stats.stats.items() if not key[0].startswith(("~", "<"))
                   and str(Path(key[0]).resolve()).startswith(str(ROOT)) and ".venv" not in key[0]]
        project.sort(key=lambda kv: -kv[1][3])
        print("    costliest project functions (cumulative ms a run, calls a run):")
        shown = 0
        for (filename, line, name), (_, calls, _, cum, _) in project:
            rel = Path(filename).resolve().relative_to(ROOT)
            if name in ("<module>",) or str(rel) in ("dashboard.py",):
                continue
            print(f"      {cum / runs * 1000:7.0f} {calls / runs:5.0f}x  {rel}:{line} {name}")
            shown += 1
            if shown == 10:
                break
        serial = sum(v[3] for k, v in stats.stats.items() if k[2] in ("to_json_plotly", "to_plotly_json")
                     and "plotly" in k[0])
        print(f"    plotly figure to JSON (to_json_plotly/to_plotly_json, cumulative): {serial / runs * 1000:.0f} ms "
              "a run")


# --- the report ----------------------------------------------------------------------------------

def _med(values) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def report_loads(loads: dict[str, list[dict]]) -> bool:
    ok = True
    print("\nTime to the overview chart painted (s from the navigation's start; median, with min..max)")
    print(f"  {'load':<6}{'ours':>22}{'reference':>22}{'ours / ref':>12}  target <= {TARGET_RATIO}x")
    for kind in ("cold", "warm"):
        ours = [r["painted"] for r in loads["ours"] if r["kind"] == kind]
        ref = [r["painted"] for r in loads["reference"] if r["kind"] == kind]
        if not ours or not ref:
            continue
        ratio = _med(ours) / _med(ref)
        met = ratio <= TARGET_RATIO
        ok &= met
        span = lambda v: f"{_med(v):.2f} ({min(v):.2f}..{max(v):.2f})"  # noqa: E731
        print(f"  {kind:<6}{span(ours):>22}{span(ref):>22}{ratio:>11.2f}x  {'met' if met else 'NOT met'} "
              f"(n={len(ours)})")
    complete = [r["complete"] for r in loads["ours"] if "complete" in r]
    if complete:
        print(f"  ours, the complete chart (strike line, hover CARs, downloads): cold "
              f"{_med(r['complete'] for r in loads['ours'] if r['kind'] == 'cold'):.2f} s, warm "
              f"{_med(r['complete'] for r in loads['ours'] if r['kind'] == 'warm'):.2f} s (median)")
    for name in ("ours", "reference"):
        health = _med(r["health"] for r in loads[name] if "health" in r)
        print(f"  {name}: server launch to /_stcore/health {health:.2f}"
              " s (median of the cold launches; not in the figures above)")
    return ok


def report_changes(changes: dict[str, list[tuple[float, float, bool]]]) -> bool:
    ok = True
    print("\nWidget change to the updated chart in the browser (s from the click or key; median, with min..max; "
          f"target median < {TARGET_CHANGE_S:.0f} s on the demo)")
    print("  new: a value this server had not computed yet; back: the page's first value again (cached)")
    print("  x ref: the chart-updated median over the reference app's (the same machine, measured after ours "
          "in the same run)")
    print(f"  {'change':<30}{'chart updated':>22}{'x ref':>7}{'new value':>11}{'back':>7}{'run finished':>22}")
    span = lambda v: f"{_med(v):.2f} ({min(v):.2f}..{max(v):.2f})" if v else "-"  # noqa: E731
    ref = _med(c for what, times in changes.items() if what.startswith("Reference") for c, _, _ in times)
    for what, times in changes.items():
        chart = [c for c, _, _ in times]
        new = [c for c, _, fresh in times if fresh]
        back = [c for c, _, fresh in times if not fresh]
        done = [d for _, d, _ in times]
        met = _med(chart) < TARGET_CHANGE_S and (not new or _med(new) < TARGET_CHANGE_S)
        reference = what.startswith("Reference")
        if not reference:
            ok &= met
        verdict = "reference" if reference else ("met" if met else "NOT met")
        print(f"  {what:<30}{span(chart):>22}{_med(chart) / ref:>6.1f}x{(f'{_med(new):.2f}' if new else '-'):>11}"
              f"{(f'{_med(back):.2f}' if back else '-'):>7}{span(done):>22}  {verdict} (n={len(times)})")
    return ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("--loads", type=int, default=5, help="cold loads of each app (a new server each; default 5)")
    ap.add_argument("--warm", type=int, default=2, help="warm loads after each cold one (default 2)")
    ap.add_argument("--changes", type=int, default=6, help="changes timed per widget, half of them to a new "
                    "value (default 6)")
    ap.add_argument("--quick", action="store_true",
                    help="2 cold loads, 1 warm after each, 2 changes a widget (one new value, one back)")
    ap.add_argument("--no-loads", action="store_true", help="skip the page loads")
    ap.add_argument("--no-changes", action="store_true", help="skip the widget changes")
    ap.add_argument("--pages", action="store_true", help="also the per-page server render times (AppTest)")
    ap.add_argument("--profile", action="store_true", help="also profile the server's script run after each change")
    ap.add_argument("--profile-runs", type=int, default=5, help="script runs profiled per change (default 5)")
    ap.add_argument("--runs", type=int, default=7, help="--pages: warm runs per page (default 7)")
    ap.add_argument("--years", type=int, default=10, help="--pages: years of the generated workspace (default 10)")
    ap.add_argument("--activities", type=int, default=500, help="--pages: its activities (default 500)")
    args = ap.parse_args(argv)
    if args.quick:
        args.loads, args.warm, args.changes, args.runs, args.profile_runs = 2, 1, 2, 3, 2
    for name in ("loads", "changes", "runs", "profile_runs"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be at least 1 (got {getattr(args, name)})")
    if args.warm < 0:
        ap.error(f"--warm must be 0 or more (got {args.warm})")
    if not (args.no_loads and args.no_changes) and not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium (or run with --no-loads --no-changes)", file=sys.stderr)
        return 2
    from store import Store

    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo.duckdb"
        if not demo_workspace(demo):
            print("the demo workspace (ingest.demo.write_demo_workspace) is not available", file=sys.stderr)
            return 2
        log = Path(tmp) / "streamlit.log"
        print(f"demo workspace (simulated) built in {tmp}; load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores at the start")
        if not (args.no_loads and args.no_changes):
            from playwright.sync_api import sync_playwright

            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    if not args.no_loads:
                        print(f"\npage loads: {args.loads} cold and {args.loads * args.warm} warm of each app")
                        ok &= report_loads(page_loads(browser, demo, log, args.loads, args.warm))
                    if not args.no_changes:
                        print(f"\nwidget changes: {args.changes} of each")
                        ok &= report_changes(widget_changes(browser, demo, log, args.changes))
                finally:
                    browser.close()
        if args.profile:
            print("\nwhere the server's time goes after a widget change (cProfile of AppTest script runs, demo)")
            profile_changes(demo, args.profile_runs)
        if args.pages:
            big = Path(tmp) / "big.duckdb"
            t0 = time.perf_counter()
            build_workspace(Store(big), years=args.years, n_activities=args.activities)
            print(f"\ngenerated workspace: {args.years} years, {args.activities} activities in "
                  f"{time.perf_counter() - t0:.1f} s")
            for name, db in (("demo", demo), (f"{args.years}y/{args.activities}", big)):
                times = page_times(db, args.runs)
                print(f"\nserver render per page on {name} (ms; warm = median of {args.runs} runs after the first)")
                print(f"  {'page':<14}{'cold':>9}{'warm':>9}  target < {TARGET_PAGE_MS}")
                for page, (cold, warm) in times.items():
                    ok &= warm < TARGET_PAGE_MS
                    print(f"  {page:<14}{cold:9.0f}{warm:9.0f}  {'met' if warm < TARGET_PAGE_MS else 'NOT met'}")
        print(f"\nload average {os.getloadavg()[0]:.1f} at the end: other work on the machine slows both apps alike;"
              " read the ratios")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
