"""A client's peer group (schema v4 ``peers``: client_id, ticker, added_at): reads and writes.

Adding a peer records the ticker and tracks it as a security (so `python -m ingest refresh` fetches it
from Yahoo); it loads no bars: a peer is loaded like any ticker, with ``load-yahoo`` or ``load-csv``.
Removing a peer keeps its security and bars (another client, or the benchmark, may use them).
"""
from __future__ import annotations

import re

import pandas as pd

from store.schema import utc_now
from store.store import Store, StoreError, canonical

PEER_COLS = {"client_id": "str", "ticker": "str", "added_at": "ts"}
COVERAGE_COLS = {"client_id": "str", "ticker": "str", "name": "str", "first_date": "date", "last_date": "date"}
# Yahoo's spelling: letters, digits, '.', '-', '=' and a leading '^' (indices); at most 20 characters
_TICKER = re.compile(r"^\^?[A-Z0-9][A-Z0-9.\-=]{0,19}$")


class PeerError(StoreError):
    """A peer the store refuses (bad ticker, the client's own ticker, unknown client or peer)."""


class UnknownClientError(PeerError):
    """The client id names no client of the workspace."""


def normalise_ticker(ticker) -> str:
    """Upper-case, trimmed symbol; PeerError when it cannot be a ticker."""
    text = str(ticker or "").strip().upper()
    if not _TICKER.match(text):
        raise PeerError(f"{ticker!r} is not a ticker: give the symbol as Yahoo spells it (letters, digits, '.', "
                        "'-', at most 20 characters), e.g. ACME or BRK-B.")
    return text


def _client(con, client_id: str) -> tuple[str | None, str | None]:
    rows = con.execute("SELECT ticker, benchmark FROM clients WHERE client_id = ?", [client_id]).fetchall()
    if not rows:
        raise UnknownClientError(f"No client {client_id!r} in this workspace: create it with `python -m ingest "
                                 "import-terms` or on the Data page first.")
    return rows[0][0], rows[0][1]


def add_peers(store: Store, client_id: str, tickers, added_at=None) -> dict:
    """Add peer tickers to a client's group, in one transaction (all or nothing).

    Returns ``{"added": [...], "unchanged": [...], "without_bars": [...]}`` (tickers already peers are
    unchanged; ``without_bars`` lists the group's new or old tickers with no stored bar, to be loaded).
    Refuses a bad symbol, the client's own ticker, and an unknown client.
    """
    client_id = str(client_id or "").strip()
    symbols = list(dict.fromkeys(normalise_ticker(t) for t in tickers))
    if not symbols:
        raise PeerError("Give at least one peer ticker.")
    now = utc_now() if added_at is None else pd.Timestamp(added_at).to_pydatetime()
    with store.transaction() as con:
        own, _benchmark = _client(con, client_id)
        if own and str(own).upper() in symbols:
            raise PeerError(f"{str(own).upper()} is {client_id}'s own ticker: the peer median leaves the client out, "
                            "so it cannot be its own peer.")
        known = {r[0] for r in con.execute("SELECT ticker FROM peers WHERE client_id = ?", [client_id]).fetchall()}
        added = [t for t in symbols if t not in known]
        for t in added:
            con.execute("INSERT INTO peers (client_id, ticker, added_at) VALUES (?, ?, ?)", [client_id, t, now])
            con.execute("INSERT INTO securities (ticker, kind, simulated, added_at) VALUES (?, 'equity', false, ?) "
                        "ON CONFLICT (ticker) DO NOTHING", [t, now])
        loaded = {r[0] for r in con.execute(
            "SELECT DISTINCT ticker FROM bars WHERE ticker IN (SELECT unnest(?::VARCHAR[]))", [symbols]).fetchall()}
    return {"added": added, "unchanged": [t for t in symbols if t in known],
            "without_bars": [t for t in symbols if t not in loaded]}


def remove_peers(store: Store, client_id: str, tickers) -> list[str]:
    """Remove peer tickers from a client's group (their securities and bars stay); returns those removed.

    A ticker that is not a peer of the client is refused, and nothing is removed.
    """
    client_id = str(client_id or "").strip()
    symbols = list(dict.fromkeys(normalise_ticker(t) for t in tickers))
    with store.transaction() as con:
        _client(con, client_id)
        known = {r[0] for r in con.execute("SELECT ticker FROM peers WHERE client_id = ?", [client_id]).fetchall()}
        unknown = [t for t in symbols if t not in known]
        if unknown:
            listed = ", ".join(sorted(known)) or "none yet"
            raise PeerError(f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a peer of {client_id} "
                            f"(its peers: {listed}).")
        con.execute("DELETE FROM peers WHERE client_id = ? AND ticker IN (SELECT unnest(?::VARCHAR[]))",
                    [client_id, symbols])
    return symbols


def read_peers(store: Store, client_id: str | None = None) -> pd.DataFrame:
    """The peer groups (client_id, ticker, added_at), by client and ticker; one client's with ``client_id``."""
    if client_id is None:
        sql, params = "SELECT client_id, ticker, added_at FROM peers ORDER BY client_id, ticker", []
    else:
        sql, params = "SELECT client_id, ticker, added_at FROM peers WHERE client_id = ? ORDER BY ticker", [client_id]
    return canonical(store.query(sql, params), PEER_COLS)


def peer_coverage(store: Store, client_id: str) -> pd.DataFrame:
    """Each peer of a client with its security name and first and last stored bar (NaT: no bar, to load)."""
    sql = """
        SELECT p.client_id, p.ticker, s.name, min(b.date) AS first_date, max(b.date) AS last_date
        FROM peers p LEFT JOIN securities s ON s.ticker = p.ticker LEFT JOIN bars b ON b.ticker = p.ticker
        WHERE p.client_id = ? GROUP BY ALL ORDER BY p.ticker"""
    out = canonical(store.query(sql, [client_id]), COVERAGE_COLS)
    out["name"] = out["name"].astype(object).where(out["name"].notna(), None)
    return out
