"""`python -m analytics event-study`: reads a store built in tmp_path, writes the CSV tables."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def _bars(ticker, dates, close, volume):
    return pd.DataFrame({"ticker": ticker, "date": dates, "open": close, "high": close, "low": close,
                         "close": close, "adj_close": close, "volume": volume, "source": "csv:test"})


@pytest.fixture
def workspace(tmp_path):
    from store import Store

    rng = np.random.default_rng(5)
    dates = pd.bdate_range("2020-01-01", periods=300)
    rm = rng.normal(0, 0.01, 300)
    mclose = 100 * np.cumprod(1 + rm)
    close = 2 * np.cumprod(1 + 0.8 * rm + rng.normal(0, 0.03, 300))
    st = Store(tmp_path / "ws.duckdb")
    st.init()
    st.upsert_security("AXGI")
    st.upsert_security("^RUT", kind="index")
    st.upsert_bars(_bars("AXGI", dates, close, rng.integers(0, 1000, 300).astype(float)))
    st.upsert_bars(_bars("^RUT", dates, mclose, 1e6))
    st.save_client("axgi", "Auxer", "AXGI", "^RUT")
    st.add_activities(pd.DataFrame({
        "client_id": "axgi", "date": [dates[150], dates[200], dates[10]],
        "type": ["press_release", "conference", "press_release"], "title": ["a", "b", "c"],
        "after_close": [False, True, False]}))
    return tmp_path / "ws.duckdb"


def test_event_study_command_writes_tables(workspace, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["event-study", "--db", str(workspace), "--client", "axgi", "--out", str(out)]) == 0
    cars = pd.read_csv(out / "cars.csv")
    summary = pd.read_csv(out / "summary.csv")
    skipped = pd.read_csv(out / "skipped.csv")
    assert len(cars) == 4 and set(cars["window_start"]) == {-1, 0}
    assert {"car", "car_var", "car_t", "p_value", "alpha", "beta", "type"} <= set(cars.columns)
    assert set(summary["type"]) == {"press_release", "conference"}
    assert "not enough estimation data" in skipped["reason"].iloc[0]
    assert "2 events studied, 1 skipped" in capsys.readouterr().out


def test_event_study_command_by_ticker_with_options(workspace, tmp_path):
    out = tmp_path / "out2"
    main(["event-study", "--db", str(workspace), "--ticker", "axgi", "--benchmark", "^RUT",
          "--model", "market_adjusted", "--thin-trading", "trade_to_trade", "--window", "0,2",
          "--by", "", "--out", str(out)])
    cars = pd.read_csv(out / "cars.csv")
    assert set(cars["window_end"]) == {2} and "alpha" not in cars.columns
    assert len(pd.read_csv(out / "summary.csv")) == 1


def test_help_runs_as_a_module():
    proc = subprocess.run([sys.executable, "-m", "analytics", "event-study", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert "--client" in proc.stdout and "--benchmark" in proc.stdout and "--out" in proc.stdout


def test_overlaps_csv_and_merge_campaigns(workspace, tmp_path):
    from store import Store

    dates = pd.bdate_range("2020-01-01", periods=300)
    Store(workspace).add_activities(pd.DataFrame({
        "client_id": "axgi", "date": [dates[152], dates[154]], "type": ["fax_mail_blast", "press_release"],
        "title": ["d", "e"], "after_close": [False, False]}))
    ids = Store(workspace).activities("axgi").sort_values("date")["activity_id"].tolist()  # c, a, d, e, b
    out = tmp_path / "plain"
    assert main(["event-study", "--db", str(workspace), "--client", "axgi", "--out", str(out)]) == 0
    overlaps = pd.read_csv(out / "overlaps.csv")
    # day 0s 150, 152, 154: a chain in -1..1 (gaps 2 <= 2) and in 0..5; the others stand alone
    assert list(zip(overlaps["window_start"], overlaps["window_end"])) == [(-1, 1), (0, 5)]
    assert set(overlaps["activity_ids"]) == {", ".join(map(str, ids[1:4]))}
    assert list(overlaps["n_activities"]) == [3, 3] and list(overlaps["span_days"]) == [4, 4]
    assert list(overlaps["repeated_days"]) == [3 * 3 - 7, 3 * 6 - 10]
    assert len(pd.read_csv(out / "cars.csv")) == 4 * 2  # 4 studied activities (c skipped), 2 windows

    merged = tmp_path / "merged"
    assert main(["event-study", "--db", str(workspace), "--client", "axgi", "--merge-campaigns",
                 "--out", str(merged)]) == 0
    cars = pd.read_csv(merged / "cars.csv")
    assert set(zip(cars["window_start"], cars["window_end"])) == {(-1, 5), (0, 9)}  # stretched by the span 4
    campaign = cars[cars["n_activities"] == 3]
    assert set(campaign["event_id"]) == {f"campaign-{ids[1]}"}
    assert campaign["activity_ids"].iloc[0] == ", ".join(map(str, ids[1:4]))
    assert campaign["type"].iloc[0] == "mixed"
    assert cars["event_id"].nunique() == 2  # the chain and b; c has too little history
    assert pd.read_csv(merged / "overlaps.csv").equals(overlaps)


def test_help_documents_overlaps_and_merging(capsys):
    with pytest.raises(SystemExit):
        main(["event-study", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "overlaps.csv" in text and "--merge-campaigns" in text and "stretched" in text


# --- the README's analyst command, window spellings and bounds (issue 10 point 7, issue 11 point 5) ---

@pytest.mark.parametrize("spelling", [["--window", "-1,1"], ["--window=-1,1"], ["--window", " -1,1"],
                                      ["--window", "-1..1"]], ids=["as-in-readme", "equals", "leading-space", "dots"])
def test_window_spellings_all_mean_minus_one_to_one(workspace, tmp_path, spelling):
    out = tmp_path / "w"
    assert main(["event-study", "--db", str(workspace), "--client", "axgi", *spelling, "--out", str(out)]) == 0
    cars = pd.read_csv(out / "cars.csv")
    assert set(zip(cars["window_start"], cars["window_end"])) == {(-1, 1)}


def test_readme_analyst_command_runs_as_written(workspace, tmp_path):
    import re
    import shlex

    readme = (ROOT / "README.md").read_text()
    block = re.search(r"(\.venv/bin/python -m analytics event-study(?:[^\n]*\\\n)*[^\n]*)", readme).group(1)
    args = shlex.split(block.replace("\\\n", " "))[3:]  # after ".venv/bin/python -m analytics"
    args = [str(workspace) if a == "data/demo.duckdb" else a for a in args]
    args = [str(tmp_path / "readme-out") if a == "out/" else a for a in args]
    args = ["axgi" if a == "auxer" else a for a in args]
    assert main(args) == 0
    assert (tmp_path / "readme-out" / "cars.csv").exists()


@pytest.mark.parametrize("bad, words", [
    (["--window", "0,100000"], "250"),
    (["--estimation-window", "-30000000,-11"], "-1,000"),
    (["--window", "junk"], "not two day numbers"),
    (["--model", "constant_mean", "--thin-trading", "dimson"], "no beta"),
])
def test_out_of_bounds_settings_are_refused_in_words(workspace, tmp_path, capsys, bad, words):
    with pytest.raises(SystemExit) as exc:
        main(["event-study", "--db", str(workspace), "--client", "axgi", *bad, "--out", str(tmp_path / "x")])
    assert exc.value.code == 2
    assert words in capsys.readouterr().err


def test_answer_command_prints_and_writes_the_one_answer(workspace, tmp_path, capsys):
    from analytics.__main__ import answer_inputs
    from analytics.answer import programme_answer
    from analytics.settings import DEFAULTS
    from store import Store

    out = tmp_path / "ans"
    assert main(["answer", "--db", str(workspace), "--client", "axgi", "--period", "all", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    headline = pd.read_csv(out / "headline.csv", keep_default_na=False)
    # the same object the dashboard renders, computed again from the store: every figure identical
    settings = DEFAULTS.__class__(period="all")
    ans = programme_answer(answer_inputs(Store(workspace), "axgi", settings), settings)
    assert headline["value"].tolist() == [text for _, _, text in ans.headline]
    for _, label, text in ans.headline:
        assert f"{label}: {text}" in printed
    assert "Reproducibility:" in printed and ans.fingerprint in printed
    per_type = pd.read_csv(out / "per_type.csv")
    assert set(per_type["label"]) == {"Press release", "Conference"}
    # Event impact's tests table: its first-window type rows are the per-type results (the corrected p too)
    tests = pd.read_csv(out / "tests.csv")
    w = settings.windows[0]
    first = tests[(tests["group"] != "all") & (tests["window_start"] == w[0]) & (tests["window_end"] == w[1])]
    assert first["headline_p_adjusted"].tolist() == per_type["p_value"].tolist()
    assert first["caar"].tolist() == per_type["caar"].tolist() and "all" in set(tests["group"])
    assert (out / "verdict.txt").read_text().startswith(ans.verdict[0])
