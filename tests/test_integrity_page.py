"""The Integrity page (AppTest) on the demo workspace with its simulated integrity record, the report section's
HTML, and the demo record itself (idempotent, labelled simulated, windows found)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pages import ROOT, page_text

PAGE = "app/pages/integrity.py"


@pytest.fixture
def demo(demo_db, tmp_path, monkeypatch) -> Path:
    """A private copy of the demo workspace with ``write_demo_integrity`` applied, as IRDASH_DB."""
    from ingest.demo_integrity import write_demo_integrity
    from store import Store

    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_db.read_bytes())
    store = Store(copy)
    eng = store.engagements("auxer")
    write_demo_integrity(store, {"client_id": "auxer", "engagement_id": int(eng["engagement_id"].iloc[0])})
    monkeypatch.setenv("IRDASH_DB", str(copy))
    return copy


def open_integrity(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=180)
    if query:
        at.query_params.update(query)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_demo_record_is_idempotent_and_labelled(demo):
    from ingest.demo_integrity import write_demo_integrity
    from store import Store
    from store import integrity as si

    store = Store(demo)
    again = write_demo_integrity(store, {"client_id": "auxer", "engagement_id": 1})
    assert again["trades"] == {"added": 0, "updated": 0, "unchanged": 5}
    assert again["objectives"]["unchanged"] == 5 and again["disclosed_changed"] == 0
    assert again["sale_rules"] == "unchanged"
    trades = si.trades(store, "auxer")
    assert trades["notes"].str.endswith("(simulated)").all()
    assert si.objectives(store, "auxer")["notes"].str.endswith("(simulated)").all()


def test_page_shows_the_record_with_its_caveats(demo):
    at = open_integrity()
    text = page_text(at)
    assert "Simulated data" in text
    assert "This is a record of what the data show, not legal advice; whether anything is lawful is for counsel." in text
    for phrase in ("recorded without it", "fall inside a promotion window", "activity windows hold sales",
                   "run-ups reversed"):
        assert phrase in text, phrase
    assert "is lawful" not in text.replace("whether anything is lawful", "")
    assert "unlawful" not in text and "illegal" not in text
    # the disclosure text of the first communication, as of its date
    code = at.get("code")[0].value
    assert code.startswith("[Simulated demo data: not a real disclosure.] Disclosure as of 1999-01-05")
    assert "option to buy 5,000,000 shares" in code
    assert at.get("plotly_chart"), "no price/volume/holdings chart"
    spec = at.get("plotly_chart")[0].proto.spec
    assert "recorded sales" in spec and "SIMULATED DATA" in spec
    # one shaded rect per promotion and black-out window, one dotted outline per sale window (on the price row)
    import json
    shapes = json.loads(spec)["layout"].get("shapes", [])
    spans = [x for x in shapes if x.get("yref") == "paper"]
    outlines = [x for x in shapes if x.get("yref") == "y domain"]
    assert spans and outlines and len(spans) + len(outlines) == len(shapes)
    assert all(x["line"]["dash"] == "dot" for x in outlines)
    assert at.get("data_editor"), "the local demo user may edit: editors expected"


def test_period_in_the_url_limits_the_trades(demo):
    at = open_integrity({"client": "auxer", "period": "engagement"})
    text = page_text(at)
    # the engagement runs 1999-01-04 to 1999-07-03: the sale of 1999-08-16 is outside it
    assert "The trades log holds 4 trades (3 sales)" in text


def test_trade_edit_is_validated_then_saved(demo):
    from store import Store
    from store import integrity as si

    at = open_integrity()
    at.session_state["trade_editor"] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"date": "1999-02-10", "holder": "PMR", "role": "consultant", "shares": float("inf")}]}
    at.run()
    assert any("shares is not a finite number" in e.value for e in at.error)
    at.session_state["trade_editor"] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"date": "1999-02-10", "holder": "PMR", "role": "consultant", "shares": -1000.0, "price": 0.05}]}
    at.run()
    assert not at.error
    at.button(key="save_trades").click()
    at.run()
    stored = si.trades(Store(demo), "auxer")
    assert len(stored) == 6 and (stored["shares"] == -1000).any()


def test_disclosure_flag_edit_saves(demo):
    from store import Store

    at = open_integrity()
    at.session_state["disclosure_editor"] = {"edited_rows": {0: {"disclosure": "not disclosed"}}, "added_rows": [],
                                             "deleted_rows": []}
    at.run()
    at.button(key="save_disclosures").click()
    at.run()
    acts = Store(demo).activities("auxer")
    assert acts.loc[acts["date"] == pd.Timestamp("1999-01-05"), "disclosed"].iloc[0] == False  # noqa: E712


def test_report_section_html_is_amec_and_escaped(demo):
    from app import report_amec
    from analytics.amec import AmecRow

    rows = (AmecRow("objectives", "<b>x</b>", "target", "set", "a target, no sampling interval", "log"),)
    html = report_amec.amec_table_html(rows)
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    for stage in ("Objectives", "Outputs", "Outtakes", "Outcomes"):
        assert f"<h3>{stage}</h3>" in html
    assert html.count("None recorded.") == 3


def test_page_read_only_for_an_analyst(demo, monkeypatch):
    """Deploy mode with an analyst signed in (as tests/test_access_pages.py does): no editor, no save button, the
    read-only line instead; and a write below the page is refused."""
    from app import auth, loaders
    from app.views import integrity as iv
    from store import Store, access

    ws = Store(demo)
    access.add_user(ws, "analyst@pmr.example", "analyst")
    access.assign_client(ws, "analyst@pmr.example", "auxer")
    monkeypatch.setenv("IRDASH_MODE", "deploy")
    monkeypatch.setattr(auth, "providers", lambda _section: [None])
    monkeypatch.setattr(auth, "signed_in_email", lambda: "analyst@pmr.example")
    loaders.clear()
    at = open_integrity()
    text = page_text(at)
    assert "Read-only (analyst)" in text
    assert not {"save_trades", "save_objectives", "save_disclosures"} & {b.key for b in at.button}
    assert all(d.proto.editing_mode == 0 for d in at.dataframe)
    with pytest.raises(auth.AccessDenied):
        iv.apply_changes(str(demo), "trades", "auxer", iv.Changes(deleted=[1]))
    loaders.clear()


def test_consultant_edits_are_scoped_and_audited(demo, monkeypatch):
    """Deploy mode, a consultant of the client's firm: a trade is added and audited; a row of another client is
    refused even by id."""
    from app import auth, loaders
    from app.views import integrity as iv
    from store import Store, access
    from store import integrity as si

    ws = Store(demo)
    access.set_client_firm(ws, "auxer", "pmr")
    access.add_user(ws, "cons@pmr.example", "consultant", firm="pmr")
    ws.save_client("other", "Other Co", "OTHR", None)
    si.merge_trades(ws, pd.DataFrame({"client_id": ["other"], "holder": ["X"], "role": ["insider"],
                                      "date": [pd.Timestamp("1999-03-01")], "shares": [-1.0], "price": [None]}))
    other_id = int(si.trades(ws, "other")["trade_id"].iloc[0])
    monkeypatch.setenv("IRDASH_MODE", "deploy")
    monkeypatch.setattr(auth, "providers", lambda _section: [None])
    monkeypatch.setattr(auth, "signed_in_email", lambda: "cons@pmr.example")
    loaders.clear()
    row = {"date": pd.Timestamp("1999-02-10"), "holder": "PMR", "role": "consultant", "shares": -500.0,
           "price": 0.05, "notes": None}
    assert iv.apply_changes(str(demo), "trades", "auxer", iv.Changes(added=[row])) == \
        "Saved trades: 1 added, 0 updated, 0 deleted."
    assert (si.trades(ws, "auxer")["shares"] == -500).any()
    log = ws.query("SELECT action, client_id, detail FROM audit_log WHERE action = 'edit'")
    assert log["detail"].str.startswith("trades: 1 added").any()
    with pytest.raises(auth.AccessDenied):
        iv.apply_changes(str(demo), "trades", "auxer", iv.Changes(deleted=[other_id]))
    assert len(si.trades(ws, "other")) == 1
    loaders.clear()


@pytest.fixture
def plain_demo(demo_db, tmp_path, monkeypatch) -> Path:
    """The demo workspace without its integrity record (no trades, objectives or disclosure flags)."""
    from store import Store

    copy = tmp_path / "plain.duckdb"
    copy.write_bytes(demo_db.read_bytes())
    with Store(copy).transaction() as con:  # the demo build writes the record: take it out again
        for table in ("trades", "objectives", "compensation", "sale_rules"):
            con.execute(f"DELETE FROM {table}")
        con.execute("UPDATE activities SET disclosed = NULL")
    monkeypatch.setenv("IRDASH_DB", str(copy))
    return copy


def test_page_without_any_integrity_record(plain_demo):
    text = page_text(open_integrity())
    assert "No trades are recorded for this client: the sales tests have nothing to check." in text
    assert "with no record either way" in text  # no activity says whether it carried its disclosure


def test_page_on_an_empty_workspace(tmp_path, monkeypatch):
    from store import Store

    path = tmp_path / "empty.duckdb"
    Store(path).init()
    monkeypatch.setenv("IRDASH_DB", str(path))
    at = open_integrity()
    assert "No client with a loaded ticker yet." in page_text(at)


def test_trades_table_names_the_activity_a_sale_followed(demo):
    from app.views import integrity as iv
    from analytics import integrity as ig

    acc = ig.integrity_account(
        client_name="T", ticker="T", engagement=None,
        bars=pd.DataFrame({"date": pd.bdate_range("2024-01-01", periods=5), "close": 1.0, "volume": 10.0}),
        activities=pd.DataFrame({"activity_id": [1], "date": [pd.Timestamp("2024-01-02")], "type": ["press_release"],
                                 "title": ["pr"], "after_close": [False]}),
        trades=pd.DataFrame({"trade_id": [4, 5], "holder": "P", "role": "consultant",
                             "date": pd.to_datetime(["2024-01-03", "2024-01-01"]), "shares": [-1.0, -1.0],
                             "price": [1.0, 1.0], "notes": [None, None]}))
    table = iv.trades_table(acc)
    # trade 4 (01-03) is day 1 of the release's window; trade 5 (01-01) came before it
    assert table.set_index("trade_id")["sale_after_activity_of"].to_dict() == {4: "2024-01-02", 5: ""}


def test_two_fresh_builds_with_the_record_are_identical(demo, tmp_path):
    """The demo's reproducibility (tests/test_demo.py) holds with write_demo_integrity: fixed created_at and
    updated_at in every table it writes."""
    from ingest.demo import write_demo_workspace
    from ingest.demo_integrity import write_demo_integrity
    from store import Store

    fresh = Store(tmp_path / "fresh.duckdb")
    write_demo_integrity(fresh, write_demo_workspace(fresh))
    for table in ("activities", "trades", "objectives", "compensation", "sale_rules"):
        a = Store(demo).query(f"SELECT * FROM {table} ORDER BY ALL")
        b = fresh.query(f"SELECT * FROM {table} ORDER BY ALL")
        pd.testing.assert_frame_equal(a, b, obj=table)


def test_a_workspace_older_than_v4_reads_as_empty_tables(monkeypatch):
    """loaders.read_table answers an empty frame without columns for a table an older workspace lacks; the view
    turns it into the table's canonical empty frame, so the account still composes."""
    from app import loaders
    from app.views import integrity as iv

    monkeypatch.setattr(loaders, "read_table", lambda db, function, *args: pd.DataFrame())
    trades = iv._table("x.duckdb", "trades", "auxer")
    assert trades.empty and {"holder", "date", "shares", "price"} <= set(trades.columns)
    assert str(trades["date"].dtype) == "datetime64[ns]"


def test_trades_csv_upload_is_validated_and_merged(demo):
    from app.views import integrity as iv
    from store import Store
    from store import integrity as si

    ok, message = iv.import_csv(str(demo), "trades", "auxer", "t.csv", b"holder,date,shares\nPMR,1999-02-10,lots\n")
    assert not ok and "t.csv: trades log rejected" in message and "line 2: shares 'lots' is not a number" in message
    good = b"holder,date,shares,price\nPMR,1999-02-10,-700,0.05\n"
    assert iv.import_csv(str(demo), "trades", "auxer", "t.csv", good) == \
        (True, "Imported trades: 1 added, 0 updated, 0 unchanged.")
    assert iv.import_csv(str(demo), "trades", "auxer", "t.csv", good)[1].endswith("0 added, 0 updated, 1 unchanged.")
    assert len(si.trades(Store(demo), "auxer")) == 6


def test_objectives_csv_upload(demo):
    from app.views import integrity as iv

    text = b"measure,target,set_date\nAnalysts covering the stock,2,1999-01-04\n"
    assert iv.import_csv(str(demo), "objectives", "auxer", "o.csv", text) == \
        (True, "Imported objectives: 1 added, 0 updated, 0 unchanged.")


def test_objectives_are_measured_on_the_service_logs(demo):
    """The inquiries objective reads store.services' inquiry log: the inquiries received in the engagement's
    181 days (1999-01-04..1999-07-03 = 5.947 months), 31 of them added here, per month, against its target."""
    from app import loaders
    from app.state import View
    from app.views import integrity as iv
    from store import Store
    from store import services as ss

    store = Store(demo)
    days = pd.date_range("1999-01-05 10:00", periods=31, freq="5D")
    ss.merge(store, "inquiries", pd.DataFrame({"client_id": "auxer", "received_at": days, "channel": "phone",
                                               "topic": [f"q{i}" for i in range(31)],
                                               "answered_at": days + pd.Timedelta(hours=3), "answered_by": "PMR"}))
    loaders.clear()
    view = View("auxer", "Auxer Group, Inc.", "AXGI", "^SIMIDX", None, None, "all")
    scored = iv.integrity_view(str(demo), view, simulated=True).scored.set_index("measure")
    months = 181 / 30.4375
    log = ss.inquiries(store, "auxer")  # the demo's simulated log plus the 31 above, counted plainly
    received = pd.to_datetime(log["received_at"])
    n = int(((received >= "1999-01-04") & (received < "1999-07-04")).sum())
    assert n >= 31
    assert scored.loc["inquiries_per_month", "outcome"] == pytest.approx(n / months)
    target = scored.loc["inquiries_per_month", "target"]
    assert scored.loc["inquiries_per_month", "verdict"] == ("met" if n / months >= target else "not met")
    loaders.clear()


def test_activities_page_flags_the_promotional_activities_without_a_disclosure(demo):
    """The demo records 2 promotional activities as not disclosed and 4 with no record (demo_integrity):
    the Activities grid says so per row and the page says it once above the grid."""
    from pages import open_page
    from store import Store

    acts = Store(demo).activities("auxer")
    from analytics.integrity import disclosure_status

    status = disclosure_status(acts)
    missing, unknown = int((status["status"] == "not disclosed").sum()), int((status["status"] == "not recorded").sum())
    at = open_page("activities", {"period": "all"})
    text = page_text(at)
    assert f"{missing} recorded as not carrying it" in text and f"{unknown} with no record either way" in text
    grid = at.get("arrow_data_frame")[0].value if at.get("arrow_data_frame") else None
    if grid is None:  # the local demo edits: the grid is a data editor
        grid = at.get("arrow_data_editor")[0].value if at.get("arrow_data_editor") else at.data_editor[0].value
    by_id = dict(zip(grid["activity_id"], grid["disclosure"]))
    for row in status.itertuples(index=False):
        assert by_id[row.activity_id] == {"disclosed": "carried", "not disclosed": "NOT carried",
                                          "not recorded": "not recorded"}[row.status]
    others = set(acts["activity_id"]) - set(status["activity_id"])
    assert others and all(by_id[i] == "" for i in others if i in by_id)
