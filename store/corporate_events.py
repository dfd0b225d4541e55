"""Reads and writes of corporate events (earnings, news...), the non-IR events that confound an activity."""
from __future__ import annotations

import pandas as pd

from store.schema import utc_now
from store.store import Store, StoreError, WriteSummary, canonical

EVENT_COLS = {"ticker": "str", "date": "date", "kind": "str", "title": "str", "source": "str",
              "ingested_at": "ts"}
CONFOUNDER_COLS = {"ticker": "str", "date": "date", "kind": "str", "title": "str", "source": "str"}
_KEY = ["ticker", "date", "kind"]


def _incoming(frame: pd.DataFrame) -> pd.DataFrame:
    for col in ("ticker", "date", "kind", "source"):
        if col not in frame.columns or frame[col].isna().any():
            raise StoreError(f"corporate events: every event needs {col}; validate them with ingest.events first.")
    df = canonical(frame, {k: v for k, v in EVENT_COLS.items() if k != "ingested_at"})
    df["ticker"] = df["ticker"].str.upper()
    df["title"] = df["title"].astype(object).where(frame["title"].notna().to_numpy() if "title" in frame.columns
                                                   else False, None)
    return df.drop_duplicates(_KEY, keep="last").reset_index(drop=True)


def upsert_corporate_events(store: Store, frame: pd.DataFrame, replace_range: tuple | None = None,
                            replace_kind: str | None = None, replace_source: str | None = None,
                            ingested_at=None) -> WriteSummary:
    """Insert or update events by (ticker, date, kind); counts added, updated (title or source changed), unchanged.

    With ``replace_range=(lo, hi)``, ``replace_kind`` and ``replace_source``, the stored events of that
    kind and source for the frame's tickers dated lo..hi that the frame no longer holds are deleted
    (an estimated earnings date Yahoo has since moved); events outside the range stay. `ingested_at`
    fixes the write time (a reproducible demo); by default it is now.
    """
    df = _incoming(frame)
    now = utc_now() if ingested_at is None else pd.Timestamp(ingested_at).to_pydatetime()
    with store.transaction() as con:
        con.register("incoming_events", df)
        try:
            counts = con.execute(
                """SELECT count(*) FILTER (WHERE c.ticker IS NULL),
                          count(*) FILTER (WHERE c.ticker IS NOT NULL AND (c.title IS DISTINCT FROM i.title
                                                                     OR c.source IS DISTINCT FROM i.source)),
                          count(*) FILTER (WHERE c.ticker IS NOT NULL AND c.title IS NOT DISTINCT FROM i.title
                                                                     AND c.source IS NOT DISTINCT FROM i.source)
                   FROM incoming_events i LEFT JOIN corporate_events c
                     ON c.ticker = i.ticker AND c.date = i.date AND c.kind = i.kind""").fetchall()[0]
            if replace_range is not None and len(df):
                lo, hi = (pd.Timestamp(x).date() for x in replace_range)
                con.execute(
                    """DELETE FROM corporate_events c
                       WHERE c.kind = ? AND c.source = ? AND c.date BETWEEN ? AND ?
                         AND c.ticker IN (SELECT DISTINCT ticker FROM incoming_events)
                         AND NOT EXISTS (SELECT 1 FROM incoming_events i
                                         WHERE i.ticker = c.ticker AND i.date = c.date AND i.kind = c.kind)""",
                    [replace_kind, replace_source, lo, hi])
            con.execute(
                """INSERT INTO corporate_events (ticker, date, kind, title, source, ingested_at)
                   SELECT ticker, date, kind, title, source, ? FROM incoming_events
                   ON CONFLICT (ticker, date, kind) DO UPDATE SET title = excluded.title, source = excluded.source,
                       ingested_at = excluded.ingested_at
                   WHERE corporate_events.title IS DISTINCT FROM excluded.title
                      OR corporate_events.source IS DISTINCT FROM excluded.source""", [now])
        finally:
            con.unregister("incoming_events")
    return WriteSummary(int(counts[0]), int(counts[1]), int(counts[2]))


def read_corporate_events(store: Store, ticker: str | None = None) -> pd.DataFrame:
    """Stored corporate events (ticker, date, kind, title, source, ingested_at), by ticker and date."""
    if ticker is None:
        sql, params = "SELECT * FROM corporate_events ORDER BY ticker, date, kind", []
    else:
        sql, params = "SELECT * FROM corporate_events WHERE ticker = ? ORDER BY date, kind", [ticker.upper()]
    out = canonical(store.query(sql, params), EVENT_COLS)
    out["title"] = out["title"].astype(object).where(out["title"].notna(), None)
    return out


def confounding_events(store: Store, ticker: str) -> pd.DataFrame:
    """A ticker's confounders for analytics.confounders: its corporate events, dividends and splits.

    Columns ticker, date, kind ('earnings', 'news', 'other' as stored; 'dividend' and 'split' from those
    tables), title ("dividend $0.01 a share", "reverse split 1:10"), source, and after_close (nullable
    boolean): missing for stored corporate events, whose time of day is not kept (the analytics count
    their day and the next), false for dividends and splits (effective at the open of their date); by date.
    """
    sql = """
        SELECT ticker, date, kind, title, source, NULL::BOOLEAN AS after_close
        FROM corporate_events WHERE ticker = ?
        UNION ALL
        SELECT ticker, date, 'dividend', printf('dividend $%g a share', amount), 'dividends', false
        FROM dividends WHERE ticker = ?
        UNION ALL
        SELECT ticker, date, 'split',
               CASE WHEN ratio >= 1 THEN printf('split %g:1', ratio)
                    ELSE printf('reverse split 1:%g', round(1 / ratio, 6)) END, 'splits', false
        FROM splits WHERE ticker = ?
        ORDER BY date, kind"""
    t = ticker.upper()
    raw = store.query(sql, [t, t, t])
    out = canonical(raw, CONFOUNDER_COLS)
    out["title"] = out["title"].astype(object).where(out["title"].notna(), None)
    out["after_close"] = pd.array(raw["after_close"].tolist(), dtype="boolean")
    return out
