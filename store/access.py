"""Who may see what: users, their roles and clients, the scope of a signed-in user, and the audit log.

Every function takes a ``Store`` and goes through ``store.query()`` / ``store.transaction()`` (the
store stays the only code that opens the file). Tables (schema v3): ``users (email, name, role,
firm, disabled, created_at)``, ``user_clients (email, client_id)``, ``audit_log (logged_at, email,
action, client_id, detail)`` and ``clients.firm``.

Roles:

- ``consultant``: the clients of their firm (``clients.firm = users.firm``) plus the ones assigned
  to them; may edit activities and terms, upload, run loads and manage users.
- ``analyst``: read and export, assigned clients only.
- ``executive``: read only, assigned clients only (their own company).

A user's *scope* is the set of client ids, engagement ids and tickers they may read. The pure part,
:func:`scope_of` and :func:`scope_frame`, takes frames and returns frames, so it is tested without a
file. Anything keyed by ``client_id``, ``engagement_id`` or ``ticker`` is filtered by the same rule.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from store.schema import utc_now
from store.store import Store, StoreError

ROLES: dict[str, str] = {
    "consultant": "the firm's clients and assigned ones; edits, uploads, runs loads, manages users",
    "analyst": "assigned clients; reads and exports",
    "executive": "assigned clients (their own company); reads only",
}
AUDIT_ACTIONS = ("sign-in", "sign-out", "view", "export", "edit", "load", "admin", "denied")
MAX_DETAIL_CHARS = 500
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccessError(StoreError):
    """A request outside the user's rights, or a bad user/role/client given to the user admin."""


@dataclass(frozen=True)
class User:
    """A workspace user (``users`` row)."""

    email: str
    role: str
    name: str | None = None
    firm: str | None = None
    disabled: bool = False

    @property
    def can_edit(self) -> bool:
        """Edit activities and terms, upload, run loads, manage users: consultants only."""
        return self.role == "consultant" and not self.disabled

    @property
    def can_export(self) -> bool:
        """Download tables, charts and the report: every role reads its own scope, so all may."""
        return not self.disabled


@dataclass(frozen=True)
class Scope:
    """What one user may read: client ids, engagement ids and tickers (``everything``: no filter)."""

    user: User
    client_ids: frozenset = frozenset()
    engagement_ids: frozenset = frozenset()
    tickers: frozenset = frozenset()
    everything: bool = False

    def allows_client(self, client_id) -> bool:
        return self.everything or (client_id is not None and str(client_id) in self.client_ids)

    def allows_ticker(self, ticker) -> bool:
        return self.everything or (ticker is not None and str(ticker).upper() in self.tickers)


def unrestricted(user: User) -> Scope:
    """The scope of the local demo (no sign-in, loopback only): everything."""
    return Scope(user=user, everything=True)


# ---- pure scoping -----------------------------------------------------------------------------

def _clean(values) -> set[str]:
    return {str(v) for v in values if v is not None and not (isinstance(v, float) and pd.isna(v)) and str(v) != ""}


def scope_of(user: User, clients: pd.DataFrame, assignments: pd.DataFrame, engagements: pd.DataFrame,
             securities: pd.DataFrame | None = None, peers: pd.DataFrame | None = None) -> Scope:
    """The scope of ``user`` from the workspace's clients, assignments, engagements, securities and peers.

    Clients: assigned ones (``assignments.email == user.email``), plus for a consultant with a firm
    every client whose ``firm`` equals it. Engagements: those of these clients. Tickers: the clients'
    tickers and benchmarks, plus for a consultant every stored ticker that is no client's ticker
    (a benchmark, or a ticker loaded before its client was created), plus the peer tickers of these
    clients (``peers``: client_id, ticker) except a peer that is the ticker of a client outside the
    scope (a peer group never opens another client's data). A disabled user gets nothing.
    """
    if user.disabled:
        return Scope(user=user)
    mine = assignments["client_id"][assignments["email"] == user.email] if len(assignments) else []
    ids = _clean(mine)
    if user.role == "consultant" and user.firm and len(clients) and "firm" in clients:
        ids |= _clean(clients["client_id"][clients["firm"] == user.firm])
    ids &= _clean(clients["client_id"]) if len(clients) else set()
    own = clients[clients["client_id"].isin(ids)] if len(clients) else clients
    tickers = {t.upper() for t in _clean(own.get("ticker", [])) | _clean(own.get("benchmark", []))}
    if user.role == "consultant" and securities is not None and len(securities):
        claimed = {t.upper() for t in _clean(clients.get("ticker", []))}
        tickers |= {t.upper() for t in _clean(securities["ticker"])} - claimed
    if peers is not None and len(peers):
        others = clients[~clients["client_id"].isin(ids)] if len(clients) else clients
        foreign = {t.upper() for t in _clean(others.get("ticker", []))}
        tickers |= {t.upper() for t in _clean(peers["ticker"][peers["client_id"].isin(ids)])} - foreign
    eng = _clean(engagements["engagement_id"][engagements["client_id"].isin(ids)]) if len(engagements) else set()
    return Scope(user=user, client_ids=frozenset(ids), engagement_ids=frozenset(eng), tickers=frozenset(tickers))


def scope_frame(frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """The rows of ``frame`` that ``scope`` may read: every ``client_id``, ``engagement_id`` and
    ``ticker`` column present must be in the scope (a null ``ticker`` passes: jobs without one)."""
    if scope.everything or frame is None or not isinstance(frame, pd.DataFrame) or frame.empty:
        return frame
    keep = pd.Series(True, index=frame.index)
    if "client_id" in frame:
        keep &= frame["client_id"].astype("string").isin(scope.client_ids).fillna(False).astype(bool)
    if "engagement_id" in frame:
        ids = pd.to_numeric(frame["engagement_id"], errors="coerce").astype("Int64").astype("string")
        keep &= ids.isin(scope.engagement_ids).fillna(False).astype(bool)
    if "ticker" in frame:
        t = frame["ticker"].astype("string")
        keep &= (t.isna() | t.str.upper().isin(scope.tickers)).fillna(False).astype(bool)
    return frame[keep.to_numpy()].reset_index(drop=True)


# ---- users ------------------------------------------------------------------------------------

def normalise_email(email) -> str:
    """Lower-case, trimmed e-mail address; AccessError when it is not one."""
    text = str(email or "").strip().lower()
    if not _EMAIL.match(text) or len(text) > 254:
        raise AccessError(f"{email!r} is not an e-mail address: give the address the user signs in with, "
                          "e.g. jane@example.com.")
    return text


def _role(role) -> str:
    text = str(role or "").strip().lower()
    if text not in ROLES:
        raise AccessError(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.")
    return text


def _client_ids(store: Store) -> set[str]:
    return _clean(store.query("SELECT client_id FROM clients")["client_id"])


def add_user(store: Store, email, role, *, name: str | None = None, firm: str | None = None) -> str:
    """Add a user or change their role, name and firm; returns ``"added"`` or ``"updated"``."""
    email, role = normalise_email(email), _role(role)
    firm = (firm or "").strip() or None
    name = (name or "").strip() or None
    with store.transaction() as con:
        found = con.execute("SELECT count(*) FROM users WHERE email = ?", [email]).fetchall()[0][0]
        if found:
            con.execute("UPDATE users SET role = ?, name = coalesce(?, name), firm = ?, disabled = false "
                        "WHERE email = ?", [role, name, firm, email])
        else:
            con.execute("INSERT INTO users (email, name, role, firm, disabled, created_at) VALUES (?, ?, ?, ?, false, ?)",
                        [email, name, role, firm, utc_now()])
    return "updated" if found else "added"


def remove_user(store: Store, email) -> None:
    """Delete a user and their client assignments (their audit rows stay)."""
    email = normalise_email(email)
    with store.transaction() as con:
        if not con.execute("SELECT count(*) FROM users WHERE email = ?", [email]).fetchall()[0][0]:
            raise AccessError(f"No user {email} in this workspace (`python -m ingest users list` lists them).")
        con.execute("DELETE FROM user_clients WHERE email = ?", [email])
        con.execute("DELETE FROM users WHERE email = ?", [email])


def assign_client(store: Store, email, client_id: str, *, remove: bool = False) -> None:
    """Give a user access to a client (``remove=True`` takes it away)."""
    email = normalise_email(email)
    client_id = str(client_id or "").strip()
    with store.transaction() as con:
        if not con.execute("SELECT count(*) FROM users WHERE email = ?", [email]).fetchall()[0][0]:
            raise AccessError(f"No user {email} in this workspace: add them first (`python -m ingest users add`).")
        if not con.execute("SELECT count(*) FROM clients WHERE client_id = ?", [client_id]).fetchall()[0][0]:
            raise AccessError(f"No client {client_id!r} in this workspace: create it on the Data page or with "
                              "`python -m ingest import-terms` first.")
        con.execute("DELETE FROM user_clients WHERE email = ? AND client_id = ?", [email, client_id])
        if not remove:
            con.execute("INSERT INTO user_clients (email, client_id) VALUES (?, ?)", [email, client_id])


def set_client_firm(store: Store, client_id: str, firm: str | None) -> None:
    """Record which consultant firm serves a client (its consultants see it)."""
    with store.transaction() as con:
        if not con.execute("SELECT count(*) FROM clients WHERE client_id = ?", [client_id]).fetchall()[0][0]:
            raise AccessError(f"No client {client_id!r} in this workspace.")
        con.execute("UPDATE clients SET firm = ? WHERE client_id = ?", [(firm or "").strip() or None, client_id])


def get_user(store: Store, email) -> User | None:
    """The user signed in as ``email`` (None when unknown or not an e-mail address)."""
    try:
        email = normalise_email(email)
    except AccessError:
        return None
    rows = store.query("SELECT email, role, name, firm, disabled FROM users WHERE email = ?", [email])
    if rows.empty:
        return None
    r = rows.iloc[0]
    return User(email=r["email"], role=r["role"], name=None if pd.isna(r["name"]) else r["name"],
                firm=None if pd.isna(r["firm"]) else r["firm"], disabled=bool(r["disabled"]))


def users(store: Store) -> pd.DataFrame:
    """Every user with their assigned clients (comma-separated), ordered by e-mail."""
    return store.query(
        "SELECT u.email, u.name, u.role, u.firm, u.disabled, u.created_at, "
        "coalesce(string_agg(c.client_id, ', ' ORDER BY c.client_id), '') AS clients "
        "FROM users u LEFT JOIN user_clients c USING (email) "
        "GROUP BY ALL ORDER BY u.email")


def user_scope(store: Store, email) -> Scope | None:
    """The scope of the user signed in as ``email``; None when they are not a user of this workspace."""
    user = get_user(store, email)
    if user is None:
        return None
    return scope_of(user, store.query("SELECT client_id, ticker, benchmark, firm FROM clients"),
                    store.query("SELECT email, client_id FROM user_clients WHERE email = ?", [user.email]),
                    store.query("SELECT engagement_id, client_id FROM engagements"),
                    store.query("SELECT ticker FROM securities") if user.role == "consultant" else None,
                    _peer_groups(store))


def _peer_groups(store: Store) -> pd.DataFrame | None:
    """Every client's peer tickers for :func:`scope_of` (None in a workspace older than the peers table)."""
    try:
        return store.query("SELECT client_id, ticker FROM peers")
    except StoreError:
        return None


def visible_users(store: Store, scope: Scope) -> pd.DataFrame:
    """The users a consultant manages: same firm, assigned to one of their clients, or themselves."""
    frame = users(store)
    if scope.everything or frame.empty:
        return frame
    assigned = store.query("SELECT email, client_id FROM user_clients")
    near = set(assigned["email"][assigned["client_id"].isin(scope.client_ids)])
    firm = scope.user.firm
    keep = frame["email"].isin(near | {scope.user.email}) | (frame["firm"] == firm if firm else False)
    return frame[keep].reset_index(drop=True)


# ---- audit log --------------------------------------------------------------------------------

def log_event(store: Store, email: str | None, action: str, client_id: str | None = None,
              detail: str | None = None) -> None:
    """Append one audit row (who, when, what); ``detail`` is capped at MAX_DETAIL_CHARS."""
    if action not in AUDIT_ACTIONS:
        raise AccessError(f"Unknown audit action {action!r}: use one of {', '.join(AUDIT_ACTIONS)}.")
    text = None if detail is None else str(detail)[:MAX_DETAIL_CHARS]
    with store.transaction() as con:
        con.execute("INSERT INTO audit_log (logged_at, email, action, client_id, detail) VALUES (?, ?, ?, ?, ?)",
                    [utc_now(), email, action, client_id, text])


def audit_log(store: Store, scope: Scope | None = None, limit: int = 200) -> pd.DataFrame:
    """Newest audit rows first; with a ``scope``, only rows about its clients or by users it manages."""
    frame = store.query("SELECT logged_at, email, action, client_id, detail FROM audit_log "
                        "ORDER BY logged_at DESC LIMIT ?", [int(limit) if scope is None or scope.everything
                                                           else 20 * int(limit)])
    if scope is None or scope.everything or frame.empty:
        return frame.head(limit)
    who = set(visible_users(store, scope)["email"])
    cid = frame["client_id"].astype("string")
    keep = cid.isin(scope.client_ids).fillna(False) | (cid.isna() & frame["email"].isin(who))
    return frame[keep.to_numpy(dtype=bool)].head(limit).reset_index(drop=True)
