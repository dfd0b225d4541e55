"""Who is using the dashboard and what they may do: the two ways to run, sign-in, the write guard, audit.

Two modes, chosen by ``IRDASH_MODE``:

- ``demo`` (the default, ``make demo``): no sign-in, one implicit local user who sees everything;
  allowed only on a loopback address, and every page says "local demo, no sign-in, only this
  machine can open it".
- ``deploy`` (``make serve``): sign-in with ``st.login`` (OIDC, the provider in the ``[auth]``
  section of ``.streamlit/secrets.toml``); a signed-in address must be a user of the workspace
  (``python -m ingest users add``), and reads and writes are scoped to that user's clients
  (``store.access``). Without an ``[auth]`` section it refuses to serve.

``app.loaders`` asks :func:`current_scope` for the scope of every read and wraps every store it
hands out (the writers in ``app.actions`` get theirs from ``loaders.open_store``) in
:class:`ScopedStore`, whose writes call :func:`require_write`. ``python -m app.auth serve`` is the
launcher that refuses to start on a non-loopback address without sign-in.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import streamlit as st

from app import memo
from store import Store, access
from store.access import AccessError, Scope, User

LOG = logging.getLogger("irdash.auth")
MODE_ENV = "IRDASH_MODE"
DEMO, DEPLOY = "demo", "deploy"
MODES = (DEMO, DEPLOY)
DEMO_LINE = "local demo, no sign-in, only this machine can open it"
LOCAL_USER = User(email="local-demo", role="consultant", name="Local demo")
SCOPE_TTL_SECONDS = 30
_AUTH_KEYS = ("redirect_uri", "cookie_secret")
_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


class AccessDenied(AccessError):
    """The signed-in user may not do this (message in words, safe to show)."""


# ---- mode, address, provider configuration ----------------------------------------------------

def mode() -> str:
    """``demo`` or ``deploy`` from ``IRDASH_MODE`` (default demo); anything else is refused by name."""
    value = (os.environ.get(MODE_ENV) or DEMO).strip().lower()
    if value not in MODES:
        raise ValueError(f"{MODE_ENV}={value!r}: use 'demo' (no sign-in, this machine only) or 'deploy' (sign-in).")
    return value


def is_loopback(address: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``; an empty address means every interface (False)."""
    text = (address or "").strip().strip("[]")
    if text.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def providers(auth_section) -> list[str | None]:
    """Configured OIDC providers: ``None`` for the unnamed one in ``[auth]``, else ``[auth.<name>]`` names."""
    section = dict(auth_section or {})
    if not all(section.get(k) for k in _AUTH_KEYS):
        return []
    named = [k for k, v in section.items() if hasattr(v, "keys") and all(v.get(p) for p in _PROVIDER_KEYS)]
    default = [None] if all(section.get(p) for p in _PROVIDER_KEYS) else []
    return default + sorted(named)


def startup_problem(run_mode: str, address: str | None, provider_names: list) -> str | None:
    """Why the dashboard must not serve in this configuration (None when it may)."""
    where = address or "every network interface"
    if run_mode == DEMO and not is_loopback(address):
        return (f"Refusing to serve the demo on {where}: it has no sign-in, so anyone who can reach that address "
                "would see and edit every client. Bind it to 127.0.0.1 (the default in .streamlit/config.toml), "
                f"or run with {MODE_ENV}=deploy and a sign-in provider (README, 'Sign-in and deployment').")
    if run_mode == DEPLOY and not provider_names:
        return ("Refusing to serve in deploy mode without sign-in: .streamlit/secrets.toml has no complete [auth] "
                "section (redirect_uri, cookie_secret, client_id, client_secret, server_metadata_url). Copy "
                ".streamlit/secrets.toml.example and fill in your provider.")
    return None


def _auth_section():
    try:
        return st.secrets.get("auth", {})
    except Exception:  # no secrets file at all, or one that does not parse: no provider
        LOG.warning("no readable .streamlit/secrets.toml: sign-in is not configured")
        return {}


# ---- who is signed in -------------------------------------------------------------------------

def signed_in_email() -> str | None:
    """The e-mail of the signed-in user (deploy mode), lower-cased; None when signed out."""
    try:
        if not st.user.is_logged_in:
            return None
        email = st.user.get("email")
    except (AttributeError, KeyError):
        return None
    return str(email).strip().lower() if email else None


@memo.read(ttl=SCOPE_TTL_SECONDS, max_entries=256)
def _scope(db: str, email: str) -> Scope | None:
    store = Store(db)
    if not store.exists():
        return None
    return access.user_scope(store, email)


def current_scope(db: str) -> Scope | None:
    """What the person using this session may read: everything in the demo, their scope when signed in."""
    if mode() == DEMO:
        return access.unrestricted(LOCAL_USER)
    email = signed_in_email()
    return None if email is None else _scope(db, email)


def current_user(db: str) -> User | None:
    scope = current_scope(db)
    return None if scope is None else scope.user


def audit(db: str, action: str, client_id: str | None = None, detail: str | None = None) -> None:
    """Record who did what (deploy mode; the local demo has nobody to name). Never breaks the page."""
    if mode() == DEMO:
        return
    try:
        access.log_event(Store(db), signed_in_email(), action, client_id, detail)
    except Exception:  # a busy workspace must not turn a page view into an error; the log line says so
        LOG.exception("audit row not written: %s %s %s", action, client_id, detail)


def audit_view(db: str, page: str | None, client_id: str | None) -> None:
    """One ``view`` row per page and client a signed-in session opens (again only when either changes).

    Called where the page's client is known (``app.ui.sidebar_view``) and, for pages without a client
    selector, by dashboard.py after the page ran: after a page's ``st.stop()`` no ``st.*`` call works,
    so the row cannot wait for the end of the run.
    """
    import streamlit as st

    scope = current_scope(db)
    if scope is None or scope.everything:
        return
    viewed = (page, client_id)
    if st.session_state.get("_audited_view") != viewed:
        st.session_state["_audited_view"] = viewed
        audit(db, "view", client_id, page)


def audited(db: str, build, name: str, client_id: str | None = None):
    """Wrap a download's ``data=`` callable so the click writes an ``export`` audit row."""
    def run():
        audit(db, "export", client_id, name)
        return build()
    return run


def require_write(db: str, client_id: str | None = None, what: str = "change this") -> User:
    """The signed-in consultant allowed to write (``client_id``: to that client); AccessDenied otherwise."""
    scope = current_scope(db)
    if scope is None:
        raise AccessDenied("Sign in to make changes.")
    if not scope.user.can_edit:
        audit(db, "denied", client_id, f"{scope.user.role} tried to {what}")
        raise AccessDenied(f"Your role ({scope.user.role}) is read-only: only a consultant can {what}.")
    if client_id is not None and not scope.allows_client(client_id):
        audit(db, "denied", None, f"tried to {what} for a client outside their scope")
        raise AccessDenied("That client is not available to your account.")
    return scope.user


# ---- the store as a user sees it --------------------------------------------------------------

class ScopedStore:
    """A ``Store`` seen through a scope: reads are filtered, writes are guarded (and audited).

    Unknown methods are treated as writes: only a consultant reaches them.
    """

    READS = frozenset({"securities", "bars", "coverage", "last_bars", "splits", "dividends", "shares_outstanding",
                       "clients", "engagements", "option_grants", "financings", "activities", "ingest_log", "query"})
    PLAIN = frozenset({"exists", "workspace_info", "schema_version", "path"})

    def __init__(self, store: Store, scope: Scope, db: str | None = None):
        self._store, self._scope, self._db = store, scope, db or str(store.path)

    def __repr__(self) -> str:
        return f"ScopedStore({self._store!r}, {self._scope.user.email})"

    def __getattr__(self, name):
        target = getattr(self._store, name)
        if name in self.PLAIN or not callable(target):
            return target
        if name in self.READS:
            return lambda *a, **kw: access.scope_frame(target(*a, **kw), self._scope)

        def guarded(*a, **kw):
            self._writer(None, name.replace("_", " "))
            return target(*a, **kw)
        return guarded

    # ---- guards
    def _writer(self, client_id: str | None, what: str) -> None:
        user = self._scope.user
        if not user.can_edit:
            audit(self._db, "denied", client_id, f"{user.role} tried to {what}")
            raise AccessDenied(f"Your role ({user.role}) is read-only: only a consultant can {what}.")
        if client_id is not None and not self._scope.allows_client(client_id):
            audit(self._db, "denied", None, f"tried to {what} for a client outside their scope")
            raise AccessDenied("That client is not available to your account.")

    def _owners(self, ids) -> list[str]:
        ids = [int(i) for i in ids]
        if not ids:
            return []
        rows = self._store.query("SELECT DISTINCT client_id FROM activities WHERE activity_id IN "
                                 "(SELECT unnest(?::INTEGER[]))", [ids])
        return list(rows["client_id"])

    def _existing_client(self, client_id: str) -> pd.DataFrame:
        return self._store.query("SELECT client_id, firm FROM clients WHERE client_id = ?", [client_id])

    def _claim_client(self, client_id: str, what: str):
        """Check a client save: a client outside the scope is refused (new ones are this firm's); returns its firm."""
        existing = self._existing_client(client_id)
        if existing.empty:
            self._writer(None, what)
            return self._scope.user.firm
        self._writer(client_id, what)
        firm = existing["firm"].iloc[0]
        return None if pd.isna(firm) else firm

    # ---- writes a page can reach
    def add_activities(self, frame: pd.DataFrame):
        for cid in sorted({str(c) for c in frame.get("client_id", pd.Series(dtype=object)).dropna()}) or [None]:
            self._writer(cid, "add activities")
        ids = self._store.add_activities(frame)
        for cid in sorted({str(c) for c in frame.get("client_id", pd.Series(dtype=object)).dropna()}):
            audit(self._db, "edit", cid, f"activities: {int((frame['client_id'] == cid).sum())} added")
        return ids

    def update_activity(self, activity_id: int, **fields):
        owners = self._owners([activity_id]) or [None]
        for cid in owners:
            self._writer(cid, "edit activities")
        if owners == [None]:
            raise AccessDenied(f"No activity with id {activity_id} is available to your account.")
        self._store.update_activity(activity_id, **fields)
        audit(self._db, "edit", owners[0], f"activity {activity_id}: {', '.join(sorted(fields))} changed")

    def delete_activities(self, ids):
        ids = list(ids)
        owners = self._owners(ids)
        for cid in owners or [None]:
            self._writer(cid, "delete activities")
        n = self._store.delete_activities(ids)
        for cid in owners:
            audit(self._db, "edit", cid, f"activities deleted: {', '.join(str(i) for i in ids)}")
        return n

    def save_client(self, client_id: str, name: str, ticker: str | None = None, benchmark: str | None = None):
        firm = self._claim_client(client_id, "save a client")
        with self._store.transaction():
            out = self._store.save_client(client_id, name, ticker, benchmark)
            access.set_client_firm(self._store, client_id, firm)  # save_client replaces the row: keep its firm
        audit(self._db, "edit", client_id, f"client saved (ticker {ticker or '-'}, benchmark {benchmark or '-'})")
        return out

    def save_engagement(self, **fields):
        self._writer(fields.get("client_id"), "edit the engagement")
        out = self._store.save_engagement(**fields)
        audit(self._db, "edit", fields.get("client_id"), f"engagement {out} saved")
        return out

    def _engagement_client(self, engagement_id) -> str | None:
        rows = self._store.query("SELECT client_id FROM engagements WHERE engagement_id = ?", [int(engagement_id)])
        return None if rows.empty else rows["client_id"].iloc[0]

    def save_option_grant(self, **fields):
        self._writer(self._engagement_client(fields.get("engagement_id", -1)) or "", "edit option grants")
        return self._store.save_option_grant(**fields)

    def save_financing(self, **fields):
        self._writer(self._engagement_client(fields.get("engagement_id", -1)) or "", "edit financings")
        return self._store.save_financing(**fields)

    def save_terms(self, engagement: dict, *, client: dict | None = None, **kw):
        cid = (client or {}).get("client_id") or engagement.get("client_id")
        if client is not None:
            firm = self._claim_client(cid, "record engagement terms")
        else:
            self._writer(cid, "record engagement terms")
            firm = None
        if engagement.get("engagement_id") is not None:
            owner = self._engagement_client(engagement["engagement_id"])
            if owner is not None:
                self._writer(owner, "record engagement terms")
        with self._store.transaction():
            out = self._store.save_terms(engagement, client=client, **kw)
            if client is not None:
                access.set_client_firm(self._store, cid, firm)
        audit(self._db, "edit", cid, f"engagement {out.get('engagement_id')} terms: {out.get('option_grants')} "
                                     f"grant(s), {out.get('financings')} financing(s)")
        return out

    def _load(self, method: str, *a, **kw):
        self._writer(None, "load prices")
        out = getattr(self._store, method)(*a, **kw)
        audit(self._db, "load", None, f"{method.replace('_', ' ')}: {getattr(out, 'added', '')} added".strip())
        return out

    def upsert_bars(self, *a, **kw):
        return self._load("upsert_bars", *a, **kw)

    def load_bars(self, *a, **kw):
        return self._load("load_bars", *a, **kw)


# ---- user admin from the Data page -------------------------------------------------------------

def save_user(db: str, email: str, role: str, name: str | None, firm: str | None, clients: list[str]) -> str:
    """Add or update a user and set their assigned clients (a consultant: within their own scope and firm)."""
    user = require_write(db, None, "manage users")
    scope = current_scope(db)
    store = Store(db)
    email = access.normalise_email(email)
    firm = (firm or "").strip() or None
    if not scope.everything:
        if firm not in (None, user.firm):
            raise AccessDenied(f"You can add users of your own firm ({user.firm or 'none set'}) only.")
        outside = [c for c in clients if not scope.allows_client(c)]
        if outside:
            raise AccessDenied("One of those clients is not available to your account.")
        known = access.get_user(store, email)
        if known is not None and email not in set(access.visible_users(store, scope)["email"]):
            raise AccessDenied(f"{email} is managed by another firm.")
    with store.transaction():
        verb = access.add_user(store, email, role, name=name, firm=firm)
        current = store.query("SELECT client_id FROM user_clients WHERE email = ?", [email])["client_id"]
        for cid in set(current) - set(clients):
            if scope.allows_client(cid):  # assignments to other firms' clients are not this consultant's to drop
                access.assign_client(store, email, cid, remove=True)
        for cid in clients:
            access.assign_client(store, email, cid)
    audit(db, "admin", None, f"user {email} {verb}: {role}, clients {', '.join(clients) or 'none'}")
    return f"{verb.capitalize()} {email} as {role}" + (f" with {', '.join(clients)}." if clients else ".")


def set_client_firm(db: str, client_id: str, firm: str | None) -> str:
    """Record the consulting firm serving a client (a consultant may only name their own firm)."""
    user = require_write(db, client_id, "set a client's firm")
    firm = (firm or "").strip() or None
    if not current_scope(db).everything and firm not in (None, user.firm):
        raise AccessDenied(f"You can give a client to your own firm ({user.firm or 'none set'}) only.")
    access.set_client_firm(Store(db), client_id, firm)
    audit(db, "admin", client_id, f"firm set to {firm or 'none'}")
    return f"{client_id} is served by {firm or 'no firm'}."


def delete_user(db: str, email: str) -> str:
    """Remove a user the consultant manages (never themselves)."""
    user = require_write(db, None, "manage users")
    scope = current_scope(db)
    store = Store(db)
    email = access.normalise_email(email)
    if email == user.email:
        raise AccessDenied("You cannot remove your own account; ask another consultant.")
    if not scope.everything and email not in set(access.visible_users(store, scope)["email"]):
        raise AccessDenied(f"{email} is not a user you manage.")
    access.remove_user(store, email)
    audit(db, "admin", None, f"user {email} removed")
    return f"Removed {email}."


# ---- the launcher: `python -m app.auth serve` ---------------------------------------------------

def _serve(argv: list[str]) -> int:
    """Check the mode, address and provider, then exec ``streamlit run dashboard.py`` (or refuse, exit 2)."""
    import argparse
    import tomllib

    parser = argparse.ArgumentParser(prog="python -m app.auth serve",
                                     description="Start the dashboard after checking that it may serve here.")
    parser.add_argument("--address", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", default="8501")
    parser.add_argument("--secrets", default=".streamlit/secrets.toml", help="secrets file with the [auth] section")
    args, extra = parser.parse_known_args(argv)
    try:
        run_mode = mode()
    except ValueError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 2
    section = {}
    path = Path(args.secrets)
    if path.exists():
        try:
            section = tomllib.loads(path.read_text()).get("auth", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            print(f"serve: {path} does not parse ({exc}); fix it or copy .streamlit/secrets.toml.example.",
                  file=sys.stderr)
            return 2
    problem = startup_problem(run_mode, args.address, providers(section))
    if problem:
        print(f"serve: {problem}", file=sys.stderr)
        return 2
    root = Path(__file__).resolve().parents[1]
    cmd = [sys.executable, "-m", "streamlit", "run", str(root / "dashboard.py"), "--server.address", args.address,
           "--server.port", str(args.port), "--secrets.files", str(path.resolve()), *extra]
    print(f"serve: {run_mode} mode on http://{args.address}:{args.port}"
          + (" (sign-in required)" if run_mode == DEPLOY else f" ({DEMO_LINE})"), file=sys.stderr)
    return subprocess.call(cmd)


if __name__ == "__main__":
    if sys.argv[1:2] != ["serve"]:
        print("usage: python -m app.auth serve [--address A] [--port P] [--secrets FILE] [streamlit options]",
              file=sys.stderr)
        sys.exit(2)
    sys.exit(_serve(sys.argv[2:]))
