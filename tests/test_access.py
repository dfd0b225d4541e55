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
