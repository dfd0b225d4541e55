"""The Services page (AppTest) on the demo workspace with its simulated services logs: the figures shown are
recomputed here by hand from the stored rows (plain pandas / numpy / statsmodels, not analytics.services)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pages import open_page, page_text
from statsmodels.stats.proportion import proportion_confint

from store import Store, access
from store import services as ss

START, END = pd.Timestamp("1999-01-04"), pd.Timestamp("1999-07-03")   # the demo engagement (period=engagement)


@pytest.fixture
def services_db(demo_db, tmp_path, monkeypatch):
    """A private copy of the demo workspace with ``write_demo_services`` applied (as ingest.demo will call it)."""
    from app import loaders
    from ingest.demo_services import write_demo_services

    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_db.read_bytes())
    store = Store(copy)
    write_demo_services(store, {"client_id": "auxer", "seed": 19990104})
    monkeypatch.setenv("IRDASH_DB", str(copy))
    loaders.clear()
    yield store
    loaders.clear()


def _metric(at, label: str):
    return next(m for m in at.get("metric") if m.label == label)


def _frame(at, first_columns: list[str]) -> pd.DataFrame:
    return next(d.value for d in at.get("dataframe") if list(d.value.columns[:len(first_columns)]) == first_columns)


def test_the_shown_figures_match_a_hand_computation(services_db):
    at = open_page("services", {"period": "engagement", "open_days": "5"})
    text = page_text(at)
    assert "Simulated data." in text and "Demo workspace" in text
    q = ss.inquiries(services_db, "auxer")
    inside = q[(q["received_at"] >= START) & (q["received_at"] < END + pd.Timedelta(days=1))]
    assert _metric(at, "Inquiries received").value == str(len(inside))
    days = ((inside["answered_at"] - inside["received_at"]).dt.total_seconds() / 86400).dropna().to_numpy()
    assert _metric(at, "Median response time").value == f"{np.median(days):.1f} days"
    assert _metric(at, "90th-percentile response time").value == f"{np.quantile(days, 0.9):.1f} days"
    # open at the end of 1999-07-03 (ages counted at 1999-07-04 00:00) and received more than 5 days before
    at_end = END + pd.Timedelta(days=1)
    still_open = q[(q["received_at"] < at_end)
                   & (q["answered_at"].isna() | (q["answered_at"] >= at_end))]
    old = ((at_end - still_open["received_at"]).dt.total_seconds() / 86400 > 5).sum()
    assert _metric(at, "Open over 5 days").value == str(int(old)) and old >= 1
    # the first mailing of the period: responses / recipients and its Wilson interval (statsmodels)
    m = ss.mailings(services_db, "auxer").sort_values("date").iloc[0]
    responses = int(m["calls"] + m["meetings"] + m["inquiries"])
    shown = _frame(at, ["date", "kind", "recipients"]).iloc[0]
    assert shown["responses"] == responses and shown["response_rate"] == round(responses / m["recipients"], 5)
    lo, hi = proportion_confint(responses, int(m["recipients"]), alpha=0.10, method="wilson")
    assert shown["rate_interval"] == f"{100 * lo:.2f}% to {100 * hi:.2f}%"
    assert shown["cost_per_response"] == round(m["cost"] / responses, 2)
    assert shown["list_name"].endswith("(simulated)")
    # the AMEC rows are on the page, every one with its uncertainty
    for stage in ("Outputs. Mailings sent", "Outtakes. Responses to the mailings", "Outcomes. Market makers"):
        assert stage in text
    assert f"Outtakes. Shareholder inquiries received: {len(inside)} inquiries (" in text
    # the charts carry the simulated mark
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    assert len(specs) >= 3 and all("SIMULATED DATA" in s for s in specs)


def test_the_url_carries_n_and_a_bad_value_is_refused_in_words(services_db):
    at = open_page("services", {"period": "engagement", "open_days": "400"})
    assert "open_days=400 is outside 0..365: 5 is used." in page_text(at)
    at = open_page("services", {"period": "engagement", "open_days": "200"})
    assert _metric(at, "Open over 200 days").value == "0"
    assert at.query_params["open_days"] == ["200"] or at.query_params["open_days"] == "200"


def test_empty_logs_say_how_to_fill_them(demo_db, tmp_path, monkeypatch):
    from app import loaders

    from store import Store

    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_db.read_bytes())
    with Store(copy).transaction() as con:  # the demo build writes the logs: take them out again
        for table in ("inquiries", "mailings", "coverage_counts"):
            con.execute(f"DELETE FROM {table}")
    monkeypatch.setenv("IRDASH_DB", str(copy))
    loaders.clear()
    text = page_text(open_page("services", {"period": "engagement"}))
    assert "python -m ingest import-inquiries FILE --client auxer" in text
    assert "received_at,channel,topic,answered_at,answered_by" in text
    assert "python -m ingest import-mailings FILE --client auxer" in text
    assert "python -m ingest import-coverage FILE --client auxer" in text
    loaders.clear()


def test_a_count_added_in_the_editor_is_stored(services_db):
    from app import loaders

    at = open_page("services", {"period": "engagement"})
    before = ss.coverage_counts(services_db, "auxer")
    at.session_state["svc_edit_coverage_counts"] = {
        "edited_rows": {}, "deleted_rows": [],
        "added_rows": [{"date": "1999-06-15", "market_makers": 4, "analysts": 1, "source": "test"}]}
    at.run()
    at.button(key="svc_edit_coverage_counts_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    after = ss.coverage_counts(services_db, "auxer")
    assert len(after) == len(before) + 1
    assert after.set_index("date").loc[pd.Timestamp("1999-06-15"), "market_makers"] == 4
    loaders.clear()


def test_an_invalid_edit_is_refused_with_its_reason(services_db):
    at = open_page("services", {"period": "engagement"})
    at.session_state["svc_edit_mailings"] = {
        "edited_rows": {}, "deleted_rows": [],
        "added_rows": [{"date": "1999-06-15", "kind": "fax_mail_blast", "recipients": 3, "calls": 5}]}
    at.run()
    errors = [e.value for e in at.get("error")]
    assert any("5 responses for 3 recipients" in e for e in errors), errors
    assert at.button(key="svc_edit_mailings_save").disabled


def test_an_analyst_sees_no_editor(services_db, monkeypatch):
    from app import auth, loaders

    access.set_client_firm(services_db, "auxer", "pmr")
    access.add_user(services_db, "analyst@pmr.example", "analyst")
    access.assign_client(services_db, "analyst@pmr.example", "auxer")
    monkeypatch.setenv("IRDASH_MODE", "deploy")
    monkeypatch.setattr(auth, "providers", lambda _section: [None])
    monkeypatch.setattr(auth, "signed_in_email", lambda: "analyst@pmr.example")
    loaders.clear()
    at = open_page("services", {"period": "engagement"})
    assert "Read-only (analyst)" in page_text(at)
    assert not any(b.key and b.key.startswith("svc_edit_") for b in at.button)
    loaders.clear()


def test_a_second_count_for_a_stored_date_is_refused(services_db):
    at = open_page("services", {"period": "engagement"})
    at.session_state["svc_edit_coverage_counts"] = {
        "edited_rows": {}, "deleted_rows": [],
        "added_rows": [{"date": "1999-01-04", "market_makers": 4}]}   # the demo records 1999-01-04 already
    at.run()
    errors = [e.value for e in at.get("error")]
    assert any("same date as stored row 2" in e for e in errors), errors
    assert at.button(key="svc_edit_coverage_counts_save").disabled


def test_another_clients_user_reads_none_of_the_logs(services_db, monkeypatch):
    from app import auth, loaders

    db = str(services_db.path)
    assert len(loaders.read_table(db, "store.services:inquiries", "auxer")) > 0   # the local demo sees them
    services_db.save_client("other", "Other Co", "OTHR", None)
    access.add_user(services_db, "ceo@other.example", "executive")
    access.assign_client(services_db, "ceo@other.example", "other")
    monkeypatch.setenv("IRDASH_MODE", "deploy")
    monkeypatch.setattr(auth, "signed_in_email", lambda: "ceo@other.example")
    loaders.clear()
    for log in ("inquiries", "mailings", "coverage_counts"):
        assert loaders.read_table(db, f"store.services:{log}", "auxer").empty
        assert loaders.read_table(db, f"store.services:{log}").empty   # every client's rows asked for: none of auxer's
    loaders.clear()


def test_the_rate_ratio_counts_only_days_the_inquiry_log_was_kept(services_db):
    import re

    # period "all" runs over the whole price history (1998-06-01..1999-12-31), but the log runs from its first to
    # its last inquiry: the window days plus the baseline days are that span, not the 579 days of bars
    text = page_text(open_page("services", {"period": "all"}))
    m = re.search(r"\((\d+) days in all\).* on the other (\d+) days", text)
    q = ss.inquiries(services_db, "auxer")["received_at"].dt.normalize()
    assert int(m.group(1)) + int(m.group(2)) == (q.max() - q.min()).days + 1


def test_an_uploaded_csv_is_imported_like_the_cli_job(services_db):
    from app import loaders
    from app.views import services as views

    text = b"date,market_makers,analysts,source\n1999-06-20,5,2,upload\n1999-01-04,1,0,OTC BB quote montage\n"
    before = ss.coverage_counts(services_db, "auxer")
    ok, message = views.import_csv(str(services_db.path), "coverage_counts", "auxer", "counts.csv", text)
    assert ok and "1 added, 1 updated, 0 unchanged" in message   # 1999-01-04 is stored with another source
    assert len(ss.coverage_counts(services_db, "auxer")) == len(before) + 1
    ok, message = views.import_csv(str(services_db.path), "coverage_counts", "auxer", "bad.csv",
                                   b"date,market_makers\n1999-06-21,-2\n")
    assert not ok and "line 2: market_makers -2 is negative" in message and "nothing was stored" in message
    log = services_db.ingest_log(5)
    assert {"ok", "failed"} <= set(log.loc[log["job"] == "import-coverage", "status"])
    loaders.clear()
