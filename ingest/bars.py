"""The canonical price bar and its validation at the ingest boundary (see docs/architecture.md)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from store import bar_flags

BAR_COLUMNS: list[str] = ["ticker", "date", "open", "high", "low", "close", "adj_close", "volume", "source"]
FLAG_COLUMNS: list[str] = ["zero_volume", "stale_close"]
PRICE_COLUMNS = ["open", "high", "low", "close", "adj_close"]
OHLC_TOLERANCE = 1e-6  # relative slack for float rounding, the same as the store's end-of-load check
MAX_LISTED_PROBLEMS = 10


class BarValidationError(ValueError):
    """Bars that break the contract; `problems` lists (ticker, date or row, problem)."""

    def __init__(self, problems: list[tuple[str, str, str]], total: int | None = None):
        self.problems = problems
        total = total if total is not None else len(problems)
        shown = "; ".join(f"{t} {d}: {p}" for t, d, p in problems[:MAX_LISTED_PROBLEMS])
        more = f" (and {total - MAX_LISTED_PROBLEMS} more)" if total > MAX_LISTED_PROBLEMS else ""
        super().__init__(f"{total} invalid bar(s), nothing was stored: {shown}{more}. "
                         "Fix the source data (or drop those rows) and load again.")


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
    problems = _problems(df, today)
    if problems:
        raise BarValidationError(problems[:MAX_LISTED_PROBLEMS], total=len(problems))
    zero, stale = bar_flags(df)
    df["zero_volume"] = zero
    df["stale_close"] = stale
    return df


def _naive_dates(values) -> np.ndarray:
    s = pd.to_datetime(pd.Series(values), errors="coerce")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)  # keep the exchange's local calendar day, not the UTC one
    return s.dt.normalize().astype("datetime64[ns]").to_numpy()


def _problems(df: pd.DataFrame, today) -> list[tuple[str, str, str]]:
    today = pd.Timestamp.today().normalize() if today is None else pd.Timestamp(today)
    o, h, l, c, a, v = (df[k].to_numpy() for k in ("open", "high", "low", "close", "adj_close", "volume"))
    tol = 1 + OHLC_TOLERANCE
    checks = [
        (df["ticker"].isin(["", "NAN", "NONE"]).to_numpy(), "ticker is empty"),
        (df["date"].isna().to_numpy(), "date is missing or not a date"),
        (np.isnan(o) | np.isnan(h) | np.isnan(l) | np.isnan(c) | np.isnan(a), "price is missing"),
        (np.isnan(v), "volume is missing"),
        (~np.isfinite(np.nan_to_num(o + h + l + c + a + v, nan=0.0)), "value is not finite"),
        ((o <= 0) | (h <= 0) | (l <= 0) | (c <= 0) | (a <= 0), "price is not positive"),
        (v < 0, "volume is negative"),
        (h * tol < l, "high is below low"),
        ((o > h * tol) | (o * tol < l), "open is outside low..high"),
        ((c > h * tol) | (c * tol < l), "close is outside low..high"),
        (df.duplicated(["ticker", "date"], keep=False).to_numpy() & df["date"].notna().to_numpy(),
         "duplicate date"),
        ((df["date"] > today).to_numpy(), "date is in the future"),
    ]
    bad = np.zeros(len(df), dtype=bool)
    for mask, _ in checks:
        bad |= mask
    out = []
    for i in np.flatnonzero(bad):
        row = df.iloc[i]
        what = ", ".join(msg for mask, msg in checks if mask[i])
        day = row["date"].date().isoformat() if pd.notna(row["date"]) else f"row {i + 1}"
        out.append((row["ticker"], day, what))
    return out
