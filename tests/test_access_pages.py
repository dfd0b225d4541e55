"""What each role is offered on the pages (AppTest, signed-in users simulated as in test_access.py), and the
audit row a download writes.

The reference is the role table of the README ("Users and roles"): a consultant edits activities and terms,
an analyst reads and exports, an executive reads; ``store.access.User.can_export`` lets every role export.
"""
from __future__ import annotations

import pytest
from pages import open_page, page_text

from store import Store, access

USERS = {  # email -> role; every one sees the demo's only client, auxer (the consultant by firm)
    "cons@pmr.example": "consultant",
    "analyst@pmr.example": "analyst",
    "ceo@auxer.example": "executive",
}


@pytest.fixture
def signed_in(demo_db, tmp_path, monkeypatch):
    """``signed_in(email)``: a private copy of the demo in deploy mode, with ``email`` as the session's user."""
    from app import auth, loaders

    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_db.read_bytes())
    ws = Store(copy)
    access.set_client_firm(ws, "auxer", "pmr")
    for email, role in USERS.items():
        access.add_user(ws, email, role, firm="pmr" if role == "consultant" else None)
        if role != "consultant":
            access.assign_client(ws, email, "auxer")
    monkeypatch.setenv("IRDASH_DB", str(copy))
    monkeypatch.setenv("IRDASH_MODE", "deploy")
    monkeypatch.setattr(auth, "providers", lambda _section: [None])  # a configured provider; no secrets file

    def sign_in(email):
        monkeypatch.setattr(auth, "signed_in_email", lambda: email)
        loaders.clear()
        return ws
    yield sign_in
    loaders.clear()


def _edit_widgets(at) -> dict[str, bool]:
    """Which edit controls the page offers (the same names on Activities and Engagement)."""
    buttons = {b.key for b in at.button}
    return {
        "data editor": any(d.proto.editing_mode != 0 for d in at.dataframe),  # 0: READ_ONLY (st.dataframe)
        "file upload": bool(at.get("file_uploader")),
        "save activities": "save_activities" in buttons,
        "edit the terms": any(t.key == "edit_terms" for t in at.toggle),
        "terms form": bool(at.get("form")),
    }


ROLES = {  # role -> (email, offered edit controls on Activities, on Engagement)
    "consultant": ("cons@pmr.example", {"data editor", "file upload", "save activities"}, {"edit the terms"}),
    "analyst": ("analyst@pmr.example", set(), set()),
    "executive": ("ceo@auxer.example", set(), set()),
}


@pytest.mark.parametrize("role", ROLES)
def test_only_a_consultant_is_offered_edit_controls(signed_in, role):
    email, on_activities, on_engagement = ROLES[role]
    signed_in(email)
    at = open_page("activities")
    offered = {name for name, shown in _edit_widgets(at).items() if shown}
    assert offered == on_activities, offered
    text = page_text(at)
    assert ("Read-only" in text) == (role != "consultant")
    if role != "consultant":
        assert f"Read-only ({role}): ask the consultant to change the activities." in text
        assert at.dataframe, "the activities are still shown, read-only"
        assert any(b.proto.id.endswith("dl_activities_csv") for b in at.get("download_button")), \
            "every role may export (User.can_export): the CSV stays"

    at = open_page("engagement")
    offered = {name for name, shown in _edit_widgets(at).items() if shown}
    assert offered == on_engagement, offered
    if role == "consultant":  # the toggle opens the form and the upload
        at.toggle(key="edit_terms").set_value(True).run()
        assert {n for n, shown in _edit_widgets(at).items() if shown} == {"edit the terms", "terms form",
                                                                             "file upload"}
    else:
        assert "Read-only" in page_text(at) and "the engagement terms" in page_text(at)
        assert any(b.proto.id.endswith("terms_download") for b in at.get("download_button"))


@pytest.fixture
def deferred(monkeypatch) -> dict:
    """file id -> the ``data=`` callable of every deferred download rendered (AppTest drops its media manager
    after each run, so the callables are kept here to be built as the browser's click builds them)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    kept: dict = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, *a, **kw):
        file_id = original(self, data_callable, *a, **kw)
        kept[file_id] = data_callable
        return file_id
    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return kept


def _click_download(at, deferred: dict, key_suffix: str):
    """Build the file of the download button whose key ends with ``key_suffix``, as a click does."""
    button = next(b for b in at.get("download_button") if b.proto.id.endswith(key_suffix))
    file_id = button.proto.deferred_file_id
    assert file_id, "the file is built on click (a callable), not at every render"
    return deferred[file_id]()


EXPORTS = {  # page, button key suffix, the file name's part -> the audit row's detail contains it
    "activities CSV": ("activities", "dl_activities_csv", "activities"),
    "report HTML": ("roi_report", "dl_report_html", "roi-report"),
    "Engagement chart SVG": ("engagement", "dl_costs_svg", "costs"),
    "stored terms TOML": ("engagement", "terms_download", "engagement-terms"),
}


@pytest.mark.parametrize("name", EXPORTS)
def test_an_analysts_download_writes_an_export_audit_row(signed_in, deferred, name):
    page, suffix, part = EXPORTS[name]
    ws = signed_in("analyst@pmr.example")
    at = open_page(page)
    before = len(access.audit_log(ws))
    built = _click_download(at, deferred, suffix)
    assert len(built) > 0
    rows = access.audit_log(ws)
    assert len(rows) == before + 1
    row = rows.iloc[0]
    assert (row["email"], row["action"], row["client_id"]) == ("analyst@pmr.example", "export", "auxer")
    assert part in row["detail"]


def test_the_local_demo_keeps_every_control_and_its_downloads_work(demo_db, tmp_path, monkeypatch, deferred):
    """No sign-in: everything as before, and the audit wrapper builds the file without writing a row."""
    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_db.read_bytes())
    monkeypatch.setenv("IRDASH_DB", str(copy))
    monkeypatch.delenv("IRDASH_MODE", raising=False)
    at = open_page("activities")
    assert {n for n, shown in _edit_widgets(at).items() if shown} == {"data editor", "file upload",
                                                                       "save activities"}
    assert "Read-only" not in page_text(at)
    header = _click_download(at, deferred, "dl_activities_csv").split(b"\r\n")[0].split(b",")
    assert b"title" in header and header[-1] == b"data"  # the log as CSV, labelled simulated
    assert access.audit_log(Store(copy)).empty  # the demo has nobody to name: README, "audit log: not written"


def test_a_role_that_may_not_export_is_offered_no_download(signed_in, monkeypatch):
    """Every role may export today; were executives refused (``User.can_export``), their pages offer no file."""
    from store.access import User

    monkeypatch.setattr(User, "can_export", property(lambda self: self.role != "executive"))
    for email, offered in (("ceo@auxer.example", False), ("analyst@pmr.example", True)):
        signed_in(email)
        for page in ("activities", "engagement"):
            buttons = len(open_page(page).get("download_button"))
            assert (buttons > 0) == offered, (email, page, buttons)


@pytest.mark.parametrize("email, offered", [("analyst@pmr.example", False), ("cons@pmr.example", True)])
def test_a_client_without_terms_offers_the_form_to_the_consultant_only(signed_in, email, offered):
    ws = signed_in(email)
    ws.save_client("newco", "Newco", "NEWC")
    access.set_client_firm(ws, "newco", "pmr")
    access.assign_client(ws, "analyst@pmr.example", "newco")
    at = open_page("engagement", {"client": "newco"})
    assert any("No engagement recorded for Newco" in i.value for i in at.info)
    assert bool(at.get("form")) == offered and bool(at.get("file_uploader")) == offered
    assert ("ask the consultant to change the engagement terms" in page_text(at)) == (not offered)


def test_each_page_view_writes_one_view_row_even_when_the_page_stops_early(signed_in):
    """A view row per (page, client) a signed-in session opens; the Peers page of a client without peers
    stops early (st.stop), after which no st.* call works: its row is written where the client is chosen."""
    ws = signed_in("ceo@auxer.example")
    with ws.transaction() as con:
        con.execute("DELETE FROM peers")
    at = open_page("overview")
    at.run()  # a rerun of the same page and client writes no second row
    at.switch_page("app/pages/peers.py")
    at.run()
    assert not at.exception
    views = access.audit_log(ws)
    views = views[views["action"] == "view"]
    assert sorted(zip(views["detail"], views["client_id"])) == [("Overview", "auxer"), ("Peers", "auxer")]
    assert (views["email"] == "ceo@auxer.example").all()
