"""Per-client access: who sees which clients, engagements and tickers; the user admin; the audit log.

The reference for every scope is the rule written in ``store/access.py`` applied by hand to the tiny
workspace below (the expected sets are spelled out, not computed by the code under test).
"""
from __future__ import annotations

import pandas as pd
import pytest

from store import Store
from store import access
from store.access import AccessError, User, scope_frame, scope_of

# Tiny named workspace: alpha and beta are served by two different consulting firms, gamma by none.
CLIENTS = pd.DataFrame({
    "client_id": ["alpha", "beta", "gamma"],
    "ticker": ["AAA", "BBB", "CCC"],
    "benchmark": ["^IDX", "^IDX2", None],
    "firm": ["pmr", "rival", None],
})
ASSIGNMENTS = pd.DataFrame({
    "email": ["exec@alpha.com", "analyst@x.com", "analyst@x.com", "cons@pmr.com", "exec@alpha.com"],
    "client_id": ["alpha", "alpha", "gamma", "gamma", "deleted-client"],
})
ENGAGEMENTS = pd.DataFrame({"engagement_id": [1, 2, 3], "client_id": ["alpha", "beta", "gamma"]})
SECURITIES = pd.DataFrame({"ticker": ["AAA", "BBB", "CCC", "^IDX", "^IDX2", "ZZZ"]})

SCOPES = {  # user -> (clients, engagement ids, tickers), worked out by hand from the rule
    # executive: assigned alpha only (the assignment to a client that no longer exists is ignored)
    "executive of alpha": (User("exec@alpha.com", "executive"), {"alpha"}, {"1"}, {"AAA", "^IDX"}),
    # analyst: assigned alpha and gamma; gamma has no benchmark
    "analyst of alpha and gamma": (User("analyst@x.com", "analyst"), {"alpha", "gamma"}, {"1", "3"},
                                   {"AAA", "^IDX", "CCC"}),
    # consultant of firm pmr: alpha by firm + gamma assigned; tickers of both, plus the tickers that are
    # no client's ticker (^IDX, ^IDX2, ZZZ); never BBB
    "consultant of pmr": (User("cons@pmr.com", "consultant", firm="pmr"), {"alpha", "gamma"}, {"1", "3"},
                          {"AAA", "CCC", "^IDX", "^IDX2", "ZZZ"}),
    # an analyst whose firm matches gets nothing from the firm: firms only widen consultants' scope
    "analyst with a firm": (User("other@pmr.com", "analyst", firm="pmr"), set(), set(), set()),
    # a consultant without a firm and no assignment: only unclaimed tickers
    "consultant without firm": (User("solo@x.com", "consultant"), set(), set(), {"^IDX", "^IDX2", "ZZZ"}),
    # disabled: nothing at all, even with a firm and assignments
    "disabled consultant": (User("cons@pmr.com", "consultant", firm="pmr", disabled=True), set(), set(), set()),
}


@pytest.mark.parametrize("name", SCOPES)
def test_scope_of_follows_the_role_rules(name):
    user, clients, engagements, tickers = SCOPES[name]
    scope = scope_of(user, CLIENTS, ASSIGNMENTS, ENGAGEMENTS, SECURITIES)
    assert set(scope.client_ids) == clients
    assert set(scope.engagement_ids) == engagements
    assert set(scope.tickers) == tickers
    assert not scope.everything


FRAMES = {  # name -> (frame, rows the executive of alpha keeps)
    "clients": (CLIENTS, [0]),
    "activities by client": (pd.DataFrame({"activity_id": [1, 2, 3], "client_id": ["beta", "alpha", None]}), [1]),
    "grants by engagement": (pd.DataFrame({"grant_id": [1, 2], "engagement_id": [2, 1]}), [1]),
    # a null ticker is a job with no ticker (refresh): kept
    "ingest log by ticker": (pd.DataFrame({"run_id": [1, 2, 3, 4], "ticker": ["BBB", "aaa", None, "^IDX"]}),
                             [1, 2, 3]),
    "bars": (pd.DataFrame({"ticker": ["AAA", "BBB", "AAA"], "close": [1.0, 2.0, 3.0]}), [0, 2]),
    "no key column": (pd.DataFrame({"x": [1, 2]}), [0, 1]),
}


@pytest.mark.parametrize("name", FRAMES)
def test_scope_frame_keeps_only_rows_in_scope(name):
    frame, kept = FRAMES[name]
    scope = scope_of(SCOPES["executive of alpha"][0], CLIENTS, ASSIGNMENTS, ENGAGEMENTS, SECURITIES)
    out = scope_frame(frame, scope)
    pd.testing.assert_frame_equal(out, frame.iloc[kept].reset_index(drop=True))


def test_unrestricted_scope_filters_nothing():
    scope = access.unrestricted(User("local", "consultant"))
    assert scope_frame(CLIENTS, scope) is CLIENTS
    assert scope.allows_client("beta") and scope.allows_ticker("BBB")


def test_empty_frame_passes_through():
    scope = scope_of(SCOPES["executive of alpha"][0], CLIENTS, ASSIGNMENTS, ENGAGEMENTS)
    empty = CLIENTS.iloc[:0]
    assert scope_frame(empty, scope) is empty


# ---- against a workspace file ---------------------------------------------------------------------

@pytest.fixture
def ws(empty_store: Store) -> Store:
    for cid, ticker, bench, firm in CLIENTS.astype(object).where(CLIENTS.notna(), None).itertuples(index=False):
        empty_store.save_client(cid, cid.title(), ticker, bench)
        if firm:
            access.set_client_firm(empty_store, cid, firm)
    empty_store.save_engagement(client_id="beta", start_date="2024-01-01", notes="confidential")
    return empty_store


def test_users_add_assign_list_remove(ws):
    assert access.add_user(ws, " Exec@Alpha.com ", "executive", name="Ann") == "added"
    assert access.add_user(ws, "exec@alpha.com", "analyst") == "updated"  # role change, name kept
    access.assign_client(ws, "exec@alpha.com", "alpha")
    access.assign_client(ws, "exec@alpha.com", "alpha")  # twice: one row
    listed = access.users(ws)
    assert listed[["email", "name", "role", "clients"]].to_dict("records") == [
        {"email": "exec@alpha.com", "name": "Ann", "role": "analyst", "clients": "alpha"}]
    access.assign_client(ws, "exec@alpha.com", "alpha", remove=True)
    assert access.users(ws)["clients"].tolist() == [""]
    access.remove_user(ws, "exec@alpha.com")
    assert access.users(ws).empty
    assert access.get_user(ws, "exec@alpha.com") is None


BAD_ADMIN = {  # name -> (call, message the admin sees)
    "not an e-mail": (lambda s: access.add_user(s, "bob", "analyst"), "not an e-mail address"),
    "unknown role": (lambda s: access.add_user(s, "bob@x.com", "admin"), "Unknown role 'admin': use one of"),
    "assign unknown user": (lambda s: access.assign_client(s, "nobody@x.com", "alpha"), "add them first"),
    "assign unknown client": (lambda s: (access.add_user(s, "b@x.com", "analyst"),
                                         access.assign_client(s, "b@x.com", "nope")), "No client 'nope'"),
    "remove unknown user": (lambda s: access.remove_user(s, "nobody@x.com"), "No user nobody@x.com"),
    "unknown audit action": (lambda s: access.log_event(s, "a@x.com", "hack"), "Unknown audit action"),
}


@pytest.mark.parametrize("name", BAD_ADMIN)
def test_bad_admin_input_says_what_to_do(ws, name):
    call, message = BAD_ADMIN[name]
    with pytest.raises(AccessError, match=message):
        call(ws)


def test_user_scope_from_the_file_matches_the_rule(ws):
    access.add_user(ws, "cons@pmr.com", "consultant", firm="pmr")
    access.add_user(ws, "exec@beta.com", "executive")
    access.assign_client(ws, "exec@beta.com", "beta")
    cons = access.user_scope(ws, "CONS@pmr.com")
    assert set(cons.client_ids) == {"alpha"} and cons.user.can_edit
    beta = access.user_scope(ws, "exec@beta.com")
    eng_id = str(int(ws.engagements("beta")["engagement_id"].iloc[0]))
    assert set(beta.client_ids) == {"beta"} and set(beta.engagement_ids) == {eng_id}
    assert set(beta.tickers) == {"BBB", "^IDX2"} and not beta.user.can_edit
    assert access.user_scope(ws, "stranger@x.com") is None


def test_audit_log_rows_and_their_scope(ws):
    access.add_user(ws, "cons@pmr.com", "consultant", firm="pmr")
    access.add_user(ws, "exec@beta.com", "executive")
    access.add_user(ws, "exec@alpha.com", "executive", firm="pmr")
    access.log_event(ws, "exec@beta.com", "sign-in")
    access.log_event(ws, "exec@beta.com", "view", "beta", "engagement")
    access.log_event(ws, "exec@alpha.com", "export", "alpha", "x" * 2000)
    access.log_event(ws, "cons@pmr.com", "edit", "alpha", "activities: 1 added")
    everything = access.audit_log(ws)
    assert everything["action"].tolist() == ["edit", "export", "view", "sign-in"]  # newest first
    assert len(everything["detail"].iloc[1]) == access.MAX_DETAIL_CHARS
    cons = access.user_scope(ws, "cons@pmr.com")
    seen = access.audit_log(ws, cons)
    # the pmr consultant sees alpha's rows; beta's view and the beta executive's sign-in are not theirs
    assert seen[["email", "action"]].values.tolist() == [["cons@pmr.com", "edit"], ["exec@alpha.com", "export"]]


# ---- python -m ingest users ----------------------------------------------------------------------

def _cli(ws: Store, *argv: str) -> int:
    from ingest.__main__ import main

    return main(["--db", str(ws.path), "users", *argv])


def test_users_cli_add_assign_list_remove(ws, capsys):
    assert _cli(ws, "add", "Exec@Beta.com", "--role", "executive", "--name", "Bea", "--client", "beta") == 0
    assert _cli(ws, "add", "cons@pmr.com", "--role", "consultant", "--firm", "pmr") == 0
    assert _cli(ws, "assign", "cons@pmr.com", "gamma") == 0
    capsys.readouterr()
    assert _cli(ws, "list") == 0
    listed = capsys.readouterr().out
    assert "exec@beta.com" in listed and "executive" in listed and "cons@pmr.com" in listed
    assert access.users(ws)[["email", "clients"]].values.tolist() == [["cons@pmr.com", "gamma"],
                                                                       ["exec@beta.com", "beta"]]
    assert _cli(ws, "unassign", "cons@pmr.com", "gamma") == 0
    assert _cli(ws, "firm", "gamma", "pmr") == 0
    assert set(access.user_scope(ws, "cons@pmr.com").client_ids) == {"alpha", "gamma"}
    assert _cli(ws, "remove", "exec@beta.com") == 0
    assert access.get_user(ws, "exec@beta.com") is None


CLI_REJECTED = {  # argv -> words of the message; every one exits 3 (input rejected) and writes nothing
    "unknown client on add": (["add", "x@y.com", "--role", "analyst", "--client", "nope"], "No client 'nope'"),
    "not an address": (["add", "bob", "--role", "analyst"], "not an e-mail address"),
    "remove a stranger": (["remove", "nobody@y.com"], "No user nobody@y.com"),
    "assign a stranger": (["assign", "nobody@y.com", "alpha"], "add them first"),
}


@pytest.mark.parametrize("name", CLI_REJECTED)
def test_users_cli_rejects_bad_input_with_exit_3(ws, capsys, name):
    argv, words = CLI_REJECTED[name]
    assert _cli(ws, *argv) == 3
    assert words in capsys.readouterr().err
    assert access.users(ws).empty  # the add with an unknown client left no user behind


# ---- enforced below the pages: app.loaders and the guarded store --------------------------------

@pytest.fixture
def signed_in(ws, monkeypatch):
    """``signed_in(email)`` makes ``email`` the session's user (deploy mode) for app.loaders."""
    from app import auth, loaders

    access.add_user(ws, "cons@pmr.com", "consultant", firm="pmr")
    access.add_user(ws, "exec@beta.com", "executive")
    access.assign_client(ws, "exec@beta.com", "beta")
    access.add_user(ws, "analyst@beta.com", "analyst")
    access.assign_client(ws, "analyst@beta.com", "beta")
    ws.add_activities(pd.DataFrame({"client_id": ["alpha", "beta"], "date": pd.to_datetime(["2024-02-01"] * 2),
                                    "type": ["press_release", "press_release"], "title": ["a", "secret b"]}))
    monkeypatch.setenv("IRDASH_MODE", "deploy")

    def sign_in(email):
        monkeypatch.setattr(auth, "signed_in_email", lambda: email)
        loaders.clear()
        return str(ws.path)
    yield sign_in
    loaders.clear()


def test_loaders_show_an_executive_only_their_client(signed_in):
    from app import loaders

    db = signed_in("exec@beta.com")
    assert loaders.clients(db)["client_id"].tolist() == ["beta"]
    assert loaders.activities(db)["title"].tolist() == ["secret b"]
    assert loaders.activities(db, "alpha").empty
    assert loaders.engagements(db)["client_id"].tolist() == ["beta"]
    db = signed_in("cons@pmr.com")
    assert loaders.clients(db)["client_id"].tolist() == ["alpha"]
    assert loaders.activities(db)["title"].tolist() == ["a"]


def test_nobody_signed_in_reads_nothing(signed_in):
    from app import auth, loaders

    db = signed_in(None)
    with pytest.raises(auth.AccessDenied, match="Sign in"):
        loaders.clients(db)


WRITES = {  # name -> (user, write through loaders.open_store, message)
    "executive adds an activity": ("exec@beta.com", lambda s: s.add_activities(pd.DataFrame(
        {"client_id": ["beta"], "date": pd.to_datetime(["2024-03-01"]), "type": ["press_release"]})),
        r"role \(executive\) is read-only"),
    "analyst edits an activity": ("analyst@beta.com", lambda s: s.update_activity(2, title="x"),
                                  r"role \(analyst\) is read-only"),
    "analyst saves a client": ("analyst@beta.com", lambda s: s.save_client("beta", "Beta"), "read-only"),
    "analyst runs a load": ("analyst@beta.com", lambda s: s.upsert_bars(pd.DataFrame()), "read-only"),
    "analyst calls any other writer": ("analyst@beta.com", lambda s: s.log_start("refresh"), "read-only"),
    "consultant edits another firm's activity": ("cons@pmr.com", lambda s: s.delete_activities([2]),
                                                 "not available to your account"),
    "consultant overwrites another firm's client": ("cons@pmr.com", lambda s: s.save_client("beta", "Mine"),
                                                    "not available to your account"),
    "consultant records terms for another firm's client": (
        "cons@pmr.com", lambda s: s.save_terms({"client_id": "beta", "start_date": "2024-01-01"}),
        "not available to your account"),
}


@pytest.mark.parametrize("name", WRITES)
def test_writes_outside_the_role_or_scope_are_refused_and_audited(signed_in, ws, name):
    from app import auth, loaders

    email, write, message = WRITES[name]
    db = signed_in(email)
    before = ws.activities()
    with pytest.raises(auth.AccessDenied, match=message):
        write(loaders.open_store(db))
    pd.testing.assert_frame_equal(ws.activities(), before)
    assert ws.clients().set_index("client_id")["name"].to_dict()["beta"] == "Beta"
    denied = access.audit_log(ws)
    assert denied["action"].tolist()[:1] == ["denied"] and denied["email"].tolist()[:1] == [email]


def test_a_consultant_writes_their_clients_and_it_is_audited(signed_in, ws):
    from app import loaders

    db = signed_in("cons@pmr.com")
    store = loaders.open_store(db)
    store.update_activity(1, title="edited")
    store.save_client("alpha", "Alpha Renamed", "AAA", "^IDX")  # re-saving keeps the firm
    store.save_client("delta", "Delta", "DDD")  # a new client belongs to the consultant's firm
    firms = ws.query("SELECT client_id, firm FROM clients ORDER BY client_id")
    assert dict(zip(firms["client_id"], firms["firm"]))["alpha"] == "pmr"
    assert dict(zip(firms["client_id"], firms["firm"]))["delta"] == "pmr"
    rows = access.audit_log(ws)
    assert rows[["action", "client_id"]].values.tolist()[:3] == [["edit", "delta"], ["edit", "alpha"],
                                                                 ["edit", "alpha"]]
    assert rows["email"].iloc[0] == "cons@pmr.com"


def test_the_demo_mode_scope_is_everything(ws, monkeypatch):
    from app import auth, loaders

    monkeypatch.delenv("IRDASH_MODE", raising=False)
    loaders.clear()
    assert loaders.clients(str(ws.path))["client_id"].tolist() == ["alpha", "beta", "gamma"]
    assert not isinstance(loaders.open_store(str(ws.path)), auth.ScopedStore)


STARTUP = {  # (mode, address, providers) -> refused?
    "demo on loopback": (("demo", "127.0.0.1", []), None),
    "demo on localhost": (("demo", "localhost", []), None),
    "demo on ::1": (("demo", "::1", []), None),
    "demo on every interface": (("demo", "0.0.0.0", []), "Refusing to serve the demo on 0.0.0.0"),
    "demo with no address": (("demo", "", []), "every network interface"),
    "demo on a LAN address even with a provider": (("demo", "192.168.1.5", [None]), "has no sign-in"),
    "deploy without a provider": (("deploy", "0.0.0.0", []), "without sign-in"),
    "deploy on loopback without a provider": (("deploy", "127.0.0.1", []), "without sign-in"),
    "deploy with a provider": (("deploy", "0.0.0.0", [None]), None),
}


@pytest.mark.parametrize("name", STARTUP)
def test_startup_refuses_an_open_demo_or_a_deploy_without_sign_in(name):
    from app import auth

    args, refused = STARTUP[name]
    problem = auth.startup_problem(*args)
    assert (problem is None) if refused is None else (refused in problem)


PROVIDERS = {  # [auth] section -> providers st.login can use
    "none": ({}, []),
    "unnamed": ({"redirect_uri": "r", "cookie_secret": "c", "client_id": "i", "client_secret": "s",
                 "server_metadata_url": "m"}, [None]),
    "named": ({"redirect_uri": "r", "cookie_secret": "c",
               "google": {"client_id": "i", "client_secret": "s", "server_metadata_url": "m"},
               "okta": {"client_id": "i", "client_secret": "s"}}, ["google"]),  # okta lacks its metadata url
    "no cookie secret": ({"redirect_uri": "r", "client_id": "i", "client_secret": "s",
                          "server_metadata_url": "m"}, []),
}


@pytest.mark.parametrize("name", PROVIDERS)
def test_providers_are_the_complete_sections(name):
    from app import auth

    section, expected = PROVIDERS[name]
    assert auth.providers(section) == expected


def test_serve_refuses_to_start_the_demo_on_every_interface(tmp_path, monkeypatch, capsys):
    from app import auth

    monkeypatch.delenv("IRDASH_MODE", raising=False)
    assert auth._serve(["--address", "0.0.0.0", "--secrets", str(tmp_path / "none.toml")]) == 2
    assert "Refusing to serve the demo on 0.0.0.0" in capsys.readouterr().err
    monkeypatch.setenv("IRDASH_MODE", "deploy")
    assert auth._serve(["--address", "0.0.0.0", "--secrets", str(tmp_path / "none.toml")]) == 2
    assert "without sign-in" in capsys.readouterr().err


ADMIN = {  # name -> (signed-in user, call, message) for the Data page's user admin
    "executive manages users": ("exec@beta.com", lambda db, a: a.save_user(db, "n@x.com", "analyst", None, None, []),
                                r"read-only"),
    "consultant hands out another firm": ("cons@pmr.com", lambda db, a: a.save_user(
        db, "n@x.com", "consultant", None, "rival", []), "your own firm"),
    "consultant assigns another firm's client": ("cons@pmr.com", lambda db, a: a.save_user(
        db, "n@x.com", "analyst", None, None, ["beta"]), "not available to your account"),
    "consultant takes over another firm's user": ("cons@pmr.com", lambda db, a: a.save_user(
        db, "exec@beta.com", "executive", None, None, []), "managed by another firm"),
    "consultant removes another firm's user": ("cons@pmr.com", lambda db, a: a.delete_user(db, "exec@beta.com"),
                                               "not a user you manage"),
    "consultant removes themselves": ("cons@pmr.com", lambda db, a: a.delete_user(db, "cons@pmr.com"),
                                      "your own account"),
}


@pytest.mark.parametrize("name", ADMIN)
def test_user_admin_stays_within_the_consultants_scope(signed_in, ws, name):
    from app import auth

    email, call, message = ADMIN[name]
    db = signed_in(email)
    before = access.users(ws)
    with pytest.raises(auth.AccessDenied, match=message):
        call(db, auth)
    pd.testing.assert_frame_equal(access.users(ws), before)


def test_user_admin_adds_an_executive_of_the_consultants_client(signed_in, ws):
    from app import auth, loaders

    db = signed_in("cons@pmr.com")
    assert auth.save_user(db, "Exec@Alpha.com", "executive", "Al", "", ["alpha"]) == \
        "Added exec@alpha.com as executive with alpha."
    assert set(access.user_scope(ws, "exec@alpha.com").client_ids) == {"alpha"}
    # the consultant manages them now (assigned to one of their clients), and the change is audited
    assert "exec@alpha.com" in set(loaders.users(db)["email"])
    assert "exec@beta.com" not in set(loaders.users(db)["email"])
    assert loaders.audit_log(db)[["action", "email"]].values.tolist()[0] == ["admin", "cons@pmr.com"]
    assert auth.delete_user(db, "exec@alpha.com") == "Removed exec@alpha.com."


def test_data_page_shows_users_and_audit_log_to_the_demos_consultant(ws, monkeypatch):
    from pages import open_page, page_text

    access.add_user(ws, "cons@pmr.com", "consultant", firm="pmr")
    access.log_event(ws, "cons@pmr.com", "sign-in")
    monkeypatch.setenv("IRDASH_DB", str(ws.path))
    at = open_page("data")
    text = page_text(at)
    assert "Users and access" in text and "Audit log" in text
    assert "local demo, no sign-in, only this machine can open it" in text


def test_a_failing_page_shows_a_friendly_message_and_logs_the_error_when_details_are_off(tmp_path, monkeypatch,
                                                                                          caplog):
    import logging

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from pages import ROOT

    bad = tmp_path / "not-a-workspace.duckdb"
    bad.write_text("not a database")  # every read fails: the page cannot be drawn
    monkeypatch.setenv("IRDASH_DB", str(bad))
    st.config.set_option("client.showErrorDetails", "none")  # as .streamlit/config.toml serves visitors
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    with caplog.at_level(logging.ERROR, logger="irdash"):
        at.run()
    assert not at.exception  # no traceback, type or path for the visitor
    shown = " ".join(e.value for e in at.error)
    assert "Something went wrong on this page" in shown and "server's log" in shown
    assert str(bad) not in shown
    assert any("page Overview failed" in r.getMessage() and r.exc_info for r in caplog.records)


def test_an_unknown_client_in_the_url_is_not_available_and_named_nowhere(demo_db, monkeypatch):
    from pages import open_page, page_text

    monkeypatch.setenv("IRDASH_DB", str(demo_db))
    text = page_text(open_page("overview", {"client": "zephyr"}))
    assert "not available to your account" in text
    assert "zephyr" not in text.lower() and "Auxer" not in text  # neither the asked-for id nor another client


def test_the_demo_served_on_every_interface_shows_only_the_refusal(demo_db, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from pages import ROOT, page_text

    monkeypatch.setenv("IRDASH_DB", str(demo_db))
    before = st.get_option("server.address")
    st.config.set_option("server.address", "0.0.0.0")
    try:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
        at.run()
    finally:
        st.config.set_option("server.address", before)
    text = page_text(at)
    assert "Refusing to serve the demo on 0.0.0.0" in text
    assert "Auxer" not in text and "AXGI" not in text


LOADER_READS = {  # every loader a page reads through -> how to call it
    "clients": lambda L, db: L.clients(db),
    "engagements": lambda L, db: L.engagements(db),
    "engagements of alpha": lambda L, db: L.engagements(db, "alpha"),
    "activities": lambda L, db: L.activities(db),
    "activities of alpha": lambda L, db: L.activities(db, "alpha"),
    "option grants": lambda L, db: L.option_grants(db),
    "financings": lambda L, db: L.financings(db),
    "securities": lambda L, db: L.securities(db),
    "coverage": lambda L, db: L.coverage(db),
    "bars of both": lambda L, db: L.bars(db, ("AAA", "BBB")),
    "splits": lambda L, db: L.splits(db),
    "shares outstanding": lambda L, db: L.shares_outstanding(db),
    "ingest log": lambda L, db: L.ingest_log(db),
    "audit log": lambda L, db: L.audit_log(db),
    "users": lambda L, db: L.users(db),
}
ALPHA_WORDS = {"alpha", "AAA", "^IDX", "secret alpha", "cons@pmr.com"}  # beta's executive must meet none


@pytest.fixture
def two_clients_with_data(signed_in, ws):
    """alpha and beta each with bars, a split, shares, an engagement with a grant and a financing, a log row."""
    from factories import make_bars

    for ticker in ("AAA", "BBB", "^IDX2"):
        ws.upsert_bars(make_bars(ticker))
        ws.replace_splits(ticker, pd.DataFrame({"ticker": [ticker], "date": pd.to_datetime(["1999-01-05"]),
                                                "ratio": [2.0]}))
        ws.upsert_shares_outstanding(pd.DataFrame({"ticker": [ticker], "date": pd.to_datetime(["1999-01-05"]),
                                                   "shares": [1e6], "source": ["test"]}))
        ws.log_run("load-csv", ticker, pd.Timestamp("2024-01-01"), "ok", added=4)
    for cid in ("alpha", "beta"):
        eng = ws.save_engagement(client_id=cid, start_date="1999-01-04", notes=f"secret {cid}")
        ws.save_option_grant(engagement_id=eng, holder=f"secret {cid}", shares=1.0, strike=1.0)
        ws.save_financing(engagement_id=eng, date="1999-02-01", amount=1.0, description=f"secret {cid}")
    access.log_event(ws, "cons@pmr.com", "edit", "alpha", "secret alpha")
    return signed_in


@pytest.mark.parametrize("name", LOADER_READS)
def test_no_loader_shows_an_executive_another_clients_rows(two_clients_with_data, name):
    from app import loaders

    db = two_clients_with_data("exec@beta.com")
    frame = LOADER_READS[name](loaders, db)
    cells = {str(v) for v in frame.astype(str).to_numpy().ravel()} if len(frame) else set()
    assert not (cells & ALPHA_WORDS), f"{name} shows {cells & ALPHA_WORDS}"
    # and the consultant of alpha's firm does see alpha's rows through the same loader (the filter is not empty-all)
    if name not in ("users",):
        seen = LOADER_READS[name](loaders, two_clients_with_data("cons@pmr.com"))
        cells = {str(v) for v in seen.astype(str).to_numpy().ravel()} if len(seen) else set()
        assert cells & ALPHA_WORDS, f"{name}: the consultant sees none of alpha's rows"


def test_a_client_goes_to_the_consultants_own_firm_only(signed_in, ws):
    from app import auth

    db = signed_in("cons@pmr.com")
    assert auth.set_client_firm(db, "alpha", "pmr") == "alpha is served by pmr."
    with pytest.raises(auth.AccessDenied, match="your own firm"):
        auth.set_client_firm(db, "alpha", "rival")
    with pytest.raises(auth.AccessDenied, match="not available"):
        auth.set_client_firm(db, "beta", "pmr")  # another firm's client cannot be taken over
    assert dict(zip(*ws.query("SELECT client_id, firm FROM clients").to_dict("list").values()))["beta"] == "rival"


def test_re_saving_a_client_keeps_its_firm(tmp_path):
    """import-terms re-saves the client: it must not take the client away from its firm's consultants."""
    from store import Store
    from store.access import set_client_firm

    st = Store(tmp_path / "ws.duckdb")
    st.init()
    st.save_client("acme", "Acme", "ACME", None)
    set_client_firm(st, "acme", "pmr")
    st.save_client("acme", "Acme Inc.", "ACME", "^RUT")
    row = st.query("SELECT name, benchmark, firm FROM clients WHERE client_id = 'acme'").iloc[0]
    assert (row["name"], row["benchmark"], row["firm"]) == ("Acme Inc.", "^RUT", "pmr")
