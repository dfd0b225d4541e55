"""A real user's first workspace, as the README's "Using it with a real ticker" runs it (offline: CSV, not Yahoo).

Bars from Yahoo-format CSVs, the engagement terms from a TOML file and the activity log from a CSV, all
through `python -m ingest`; then every dashboard page on that workspace: no exception, no "simulated"
label (the data is not the demo's), and the pages that need the terms show them.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pages import PAGES, ROOT, open_page, page_text

TERMS = """
[client]
client_id = "acme"
name = "Acme Mining Corp."
ticker = "ACME"
benchmark = "^RUT"

[engagement]
consultant = "Example IR"
start_date = 2024-01-02
end_date = 2024-06-28
retainer_amount = 3500
minimum_months = 3
retainer_price_rule = "avg_close_prior_n"
retainer_price_days = 5

[[option_grants]]
holder = "Example IR"
shares = 5_000_000
strike = 0.04
grant_date = 2024-01-02
expiry_date = 2025-01-02

[[financings]]
date = 2024-04-15
amount = 250_000
fee_rate = 0.1

[[shares_outstanding]]
date = 2023-01-03
shares = 60_000_000
"""


def yahoo_csv(path: Path, dates: pd.DatetimeIndex, close: np.ndarray, volume: np.ndarray) -> None:
    """Yahoo's export layout: Date,Open,High,Low,Close,Adj Close,Volume."""
    frame = pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Open": close, "High": close * 1.02,
                          "Low": close * 0.98, "Close": close, "Adj Close": close, "Volume": volume.astype(int)})
    frame.to_csv(path, index=False, float_format="%.6f")


def ingest(db: Path, *args) -> subprocess.CompletedProcess:
    out = subprocess.run([sys.executable, "-m", "ingest", "--db", str(db), *map(str, args)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert out.returncode == 0, out.stdout + out.stderr
    return out


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("acme")
    rng = np.random.default_rng(7)
    dates = pd.bdate_range("2023-01-03", "2024-09-30")
    market = 2000 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, len(dates))))
    stock = 0.05 * np.exp(np.cumsum(1.2 * np.diff(np.log(market), prepend=np.log(market[0]))
                                    + rng.normal(0, 0.04, len(dates))))
    volume = np.where(rng.random(len(dates)) < 0.4, 0, rng.integers(5_000, 200_000, len(dates)))
    yahoo_csv(tmp / "ACME.csv", dates, stock, volume)
    yahoo_csv(tmp / "RUT.csv", dates, market, np.full(len(dates), 1_000_000))
    (tmp / "terms.toml").write_text(TERMS)
    days = pd.bdate_range("2024-01-08", "2024-06-20", freq="10B")
    kinds = ["press_release", "broker_dealer_mailing", "market_maker_intro", "conference"]
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "type": [kinds[i % 4] for i in range(len(days))],
                  "title": [f"Activity {i + 1}" for i in range(len(days))], "cost": 250.0}
                 ).to_csv(tmp / "log.csv", index=False)
    db = tmp / "acme.duckdb"
    ingest(db, "load-csv", tmp / "ACME.csv", "--ticker", "ACME")
    ingest(db, "load-csv", tmp / "RUT.csv", "--ticker", "^RUT")
    ingest(db, "import-terms", tmp / "terms.toml")
    ingest(db, "import-activities", tmp / "log.csv", "--client", "acme")
    return db


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_a_workspace_built_with_the_cli(workspace, monkeypatch, page):
    monkeypatch.setenv("IRDASH_DB", str(workspace))
    at = open_page(page)
    text = page_text(at)
    assert "Simulated data" not in text
    assert "No engagement recorded" not in text and "No client in this workspace" not in text


def test_the_engagement_page_shows_the_imported_terms(workspace, monkeypatch):
    monkeypatch.setenv("IRDASH_DB", str(workspace))
    at = open_page("engagement")
    assert {"Contract", "Option", "Retainer paid in stock", "Costs and who gained"} <= {h.value for h in at.subheader}
    assert "Example IR" in page_text(at)
    retainer = next(f.value for f in at.dataframe if "payment_no" in f.value.columns)
    assert retainer["payment_no"].tolist() == [1, 2, 3, 4, 5, 6]  # January to June 2024
    # share counts are shown as the report writes them (analytics.answer.share_count: "358,208")
    assert (retainer["amount"] == 3500).all()
    assert (retainer["shares_issued"].str.replace(",", "").astype(float) > 0).all()


def test_the_event_study_runs_on_the_imported_activities(workspace, monkeypatch):
    monkeypatch.setenv("IRDASH_DB", str(workspace))
    at = open_page("event_impact")
    cars = next(f.value for f in at.dataframe if "car" in f.value.columns)
    assert len(cars) > 0 and cars["car"].notna().all()



def test_the_roi_report_says_what_it_found_and_what_is_missing(workspace, monkeypatch):
    monkeypatch.setenv("IRDASH_DB", str(workspace))
    text = page_text(open_page("roi_report"))
    assert "Example IR was retained from 2024-01-02" in text
    assert "12 activities were logged" in text
    assert "No reach and no shareholder inquiries are logged" in text  # outtakes: what to do, not a blank
    assert "Value around the activities:" in text and "Value over the whole engagement" in text
    assert "90% interval" in text and "Reproducibility:" in text and "data hash" in text
