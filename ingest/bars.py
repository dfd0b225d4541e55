"""The canonical price bar and its validation at the ingest boundary (see docs/architecture.md)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.settings import MAX_YEAR, MIN_YEAR
from store import bar_flags
from store.bar_rules import OHLC_TOLERANCE, BarValidationError, frame_problems  # noqa: F401

BAR_COLUMNS: list[str] = ["ticker", "date", "open", "high", "low", "close", "adj_close", "volume", "source"]
FLAG_COLUMNS: list[str] = ["zero_volume", "stale_close"]
PRICE_COLUMNS = ["open", "high", "low", "close", "adj_close"]
# The rules and their messages are written once, as SQL, in store.bar_rules (also used by the bulk load
# and the store's end-of-load check).


def validate_bars(frame: pd.DataFrame, *, today: pd.Timestamp | None = None) -> pd.DataFrame:
    """Return `frame` as canonical bars sorted by ticker and date with zero_volume/stale_close flags.

    Raises BarValidationError (whole frame rejected) on missing columns, nulls, non-positive prices,
    negative volume, high below low, open/close outside low..high, duplicate keys or future dates.
    A missing adj_close is taken as close.
    """
    missing = [c for c in BAR_COLUMNS if c not in frame.columns and c != "adj_close"]
    if missing:
        raise BarValidationError([("", "", f"missing columns {missing}")])
    df = pd.DataFrame({
        "ticker": frame["ticker"].astype("str").str.strip().str.upper().to_numpy(),
        "date": _naive_dates(frame["date"]),
        **{c: pd.to_numeric(frame[c], errors="coerce").astype("float64").to_numpy()
           for c in ("open", "high", "low", "close", "volume")},
        "adj_close": pd.to_numeric(frame["adj_close"] if "adj_close" in frame.columns else frame["close"],
                                   errors="coerce").astype("float64").to_numpy(),
        "source": frame["source"].astype("str").to_numpy(),
    })[BAR_COLUMNS]
    df = df.sort_values(["ticker", "date"], kind="stable").reset_index(drop=True)
    lo, hi = np.datetime64(f"{MIN_YEAR}-01-01", "ns"), np.datetime64(f"{MAX_YEAR}-12-31", "ns")
    dates = df["date"].to_numpy()
    outside = ~np.isnat(dates) & ((dates < lo) | (dates > hi))
    if outside.any():
        rows = np.flatnonzero(outside)
        raise BarValidationError([(df["ticker"].iat[i], str(dates[i])[:10],
                                   f"date outside {MIN_YEAR}-01-01..{MAX_YEAR}-12-31") for i in rows[:10]],
                                 total=len(rows))
    today = pd.Timestamp.today().normalize() if today is None else pd.Timestamp(today)
    problems, total = frame_problems(df, today)
    if problems:
        raise BarValidationError(problems, total=total)
    zero, stale = bar_flags(df)
    df["zero_volume"] = zero
    df["stale_close"] = stale
    return df


def _naive_dates(values) -> np.ndarray:
    s = pd.to_datetime(pd.Series(values), errors="coerce")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)  # keep the exchange's local calendar day, not the UTC one
    return s.dt.normalize().astype("datetime64[ns]").to_numpy()
