"""Confounding events: non-IR news inside an activity's event window.

An earnings release, a dividend, a split or other corporate news in the days around a press
release moves the stock for reasons the IR programme did not cause; crediting that move to the
activity is the classic confounding-event bias of event studies (McWilliams and Siegel 1997,
section III.C: "the most critical assumption ... is that there are no confounding effects";
MacKinlay 1997, section 9: events with other relevant news in the window are set aside or
studied separately).  This module finds them; it does not judge them.

Conventions (the same as :mod:`analytics.event_study`)
--------------------------------------------------------
* Relative days count the stock's **own trading days** (the dates given as ``trading_days``).
* **Day 0** of an activity is the first trading day on or after its date; an activity flagged
  ``after_close`` moves to the first trading day strictly after its date.
* A confounding event is placed the same way: its reaction day is the first trading day on or
  after its date, so a release on a Saturday counts on the Monday; with ``after_close`` true it
  is the first trading day strictly after its date.  When the time of day is **unknown**
  (no ``after_close`` column, or a missing value: what the store holds for earnings and news)
  the event may have come before the open or after the close, so both its reaction day and the
  next trading day count (rows ``e`` and ``e + 1``); dividends (ex-dates) and splits take
  effect at the open of their date (``after_close`` false).
* The window ``(w0, w1)`` is inclusive: activity day-0 row ``a``, event reaction rows
  ``e_lo..e_hi``, and the event confounds the activity when the two ranges overlap,
  ``e_lo <= a + w1`` and ``e_hi >= a + w0``; its ``offset`` is the first overlapping row minus
  ``a``.  Rows beyond the ends of the history are clipped; an event dated before the first or
  after the last trading day cannot be placed and never confounds; an activity after the last
  trading day has no day 0 and is reported with ``placed = False``.

Confounder kinds are :data:`CONFOUNDER_KINDS` (earnings, news, dividend, split, other).

References
----------
McWilliams, A. and Siegel, D. (1997). "Event Studies in Management Research: Theoretical and
    Empirical Issues". Academy of Management Journal 40(3), 626-657.
MacKinlay, A. C. (1997). "Event Studies in Economics and Finance". Journal of Economic
    Literature 35(1), 13-39.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np
import pandas as pd

from analytics.constants import DEFAULT_EVENT_WINDOWS

# kind code -> (label in sentences, plural label)
CONFOUNDER_KINDS: dict[str, tuple[str, str]] = {
    "earnings": ("earnings release", "earnings releases"),
    "news": ("corporate news item", "corporate news items"),
    "dividend": ("dividend (ex-date)", "dividends (ex-dates)"),
    "split": ("stock split", "stock splits"),
    "other": ("other corporate event", "other corporate events"),
}

#: The envelope of the default event windows, (-1, 1) and (0, 5): (-1, 5).
DEFAULT_CONFOUNDER_WINDOW: tuple[int, int] = (min(w[0] for w in DEFAULT_EVENT_WINDOWS),
                                              max(w[1] for w in DEFAULT_EVENT_WINDOWS))

FLAG_COLUMNS = ["day0", "window_start", "window_end", "placed", "confounded", "n_confounders",
                "confounder_kinds", "confounder_dates", "confounder_titles", "confounders"]


class ConfounderSplit(NamedTuple):
    """Activities split by :func:`split_confounded`; each frame keeps the flag columns."""

    clean: pd.DataFrame        # placed, and no confounding event in the window
    confounded: pd.DataFrame   # at least one confounding event in the window
    unplaced: pd.DataFrame     # dated after the last trading day: cannot be checked (nor studied)


def envelope_window(windows: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """The smallest window containing every window: ``(min w0, max w1)``.

    Parameters
    ----------
    windows : sequence of (int, int)
        Inclusive event windows in trading days relative to day 0, e.g. ``[(-1, 1), (0, 5)]``.

    Returns
    -------
    (int, int)
        ``(min_i w0_i, max_i w1_i)``; ``[(-1, 1), (0, 5)]`` gives ``(-1, 5)``.
    """
    windows = [tuple(int(x) for x in w) for w in windows]
    if not windows:
        raise ValueError("envelope_window needs at least one (start, end) window, e.g. [(-1, 1), (0, 5)].")
    for w0, w1 in windows:
        if w0 > w1:
            raise ValueError(f"window ({w0}, {w1}) starts after it ends: give (start, end) with start <= end.")
    return min(w[0] for w in windows), max(w[1] for w in windows)


def _calendar(trading_days) -> np.ndarray:
    days = pd.to_datetime(pd.Series(trading_days).dropna()).dt.normalize()
    cal = np.unique(days.to_numpy().astype("datetime64[D]"))
    if len(cal) == 0:
        raise ValueError("no trading days given: confounders are placed on the stock's own trading days; "
                         "load the stock's prices first.")
    return cal


def _rows(cal: np.ndarray, dates: pd.Series, after_close: np.ndarray) -> np.ndarray:
    """Row of the first trading day on or after each date (strictly after when after_close); len(cal) if none."""
    d = pd.to_datetime(dates).dt.normalize().to_numpy().astype("datetime64[D]")
    left = np.searchsorted(cal, d, side="left")
    right = np.searchsorted(cal, d, side="right")
    return np.where(after_close, right, left)


def _after_close(frame: pd.DataFrame) -> np.ndarray:
    if "after_close" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame["after_close"].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _event_rows(cal: np.ndarray, events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first, last) reaction rows of each event and whether it can be placed (see the module docstring)."""
    n = len(cal)
    d = pd.to_datetime(events["date"]).dt.normalize().to_numpy().astype("datetime64[D]")
    left = np.searchsorted(cal, d, side="left")
    right = np.searchsorted(cal, d, side="right")
    if "after_close" in events.columns:
        flag = events["after_close"].astype("boolean")
        known, after = flag.notna().to_numpy(), flag.fillna(False).to_numpy(dtype=bool)
    else:
        known, after = np.zeros(len(events), dtype=bool), np.zeros(len(events), dtype=bool)
    lo = np.where(known & after, right, left)
    hi = np.where(known, lo, right)  # unknown time of day: its day and the next trading day
    ok = (lo < n) & (d >= cal[0]) if n else np.zeros(len(events), dtype=bool)
    return lo, np.minimum(hi, n - 1), ok


def _check_columns(frame: pd.DataFrame, needed: Sequence[str], what: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} need column(s) {', '.join(missing)}; got {', '.join(map(str, frame.columns))}.")
    if frame["date"].isna().any():
        raise ValueError(f"{what} have empty dates (rows {list(np.flatnonzero(frame['date'].isna()))[:5]}): "
                         "every row needs a date.")


def confounding_pairs(activities: pd.DataFrame, events: pd.DataFrame, trading_days,
                      window: tuple[int, int] = DEFAULT_CONFOUNDER_WINDOW) -> pd.DataFrame:
    """Every (activity, confounding event) pair whose event falls inside the activity's window.

    Parameters
    ----------
    activities : DataFrame
        One stock's activities: ``date`` and optionally ``after_close`` (bool); any other columns
        (``activity_id``, ``type``, ``title``...) are carried along.  Index is kept.
    events : DataFrame
        Confounding events of the same stock: ``date``, ``kind`` (a :data:`CONFOUNDER_KINDS` code),
        ``title`` (may be empty) and optionally ``after_close`` (True / False / missing = time of
        day unknown: its reaction day and the next one count).
    trading_days : array-like of dates
        The stock's trading days (the dates of its price rows).
    window : (int, int)
        Inclusive window in trading days relative to day 0 (default ``(-1, 5)``, the envelope of
        the default event windows; see :func:`envelope_window`).

    Returns
    -------
    DataFrame
        One row per pair, ordered by activity then event date: ``activity`` (the activity's index
        label), ``offset`` (the event's first reaction row inside the window minus the activity's
        day-0 row, in trading days), ``date``, ``kind``, ``title`` of the event.

    Notes
    -----
    With ``a`` the activity's day-0 row and ``e_lo..e_hi`` the event's reaction rows in the
    stock's calendar (one row, or two when its time of day is unknown), the pair is kept when
    ``e_lo <= a + w1`` and ``e_hi >= a + w0`` (both placed inside the history).
    See the module docstring for the day-0 convention (MacKinlay 1997) and why confounders
    matter (McWilliams and Siegel 1997).
    """
    w0, w1 = envelope_window([window])
    _check_columns(activities, ["date"], "activities")
    _check_columns(events, ["date", "kind"], "confounding events")
    cal = _calendar(trading_days)
    n = len(cal)
    a = _rows(cal, activities["date"], _after_close(activities))
    ev_dates = pd.to_datetime(events["date"]).dt.normalize()
    # an event dated before the first trading day would land on row 0 without being there: not placed
    e_lo, e_hi, e_ok = _event_rows(cal, events)
    a_ok = a < n
    start, end = a[:, None] + w0, a[:, None] + w1
    inside = (e_lo[None, :] <= end) & (e_hi[None, :] >= start) & a_ok[:, None] & e_ok[None, :]
    offset = np.maximum(e_lo[None, :], start) - a[:, None]
    ai, ei = np.nonzero(inside)
    titles = events["title"] if "title" in events.columns else pd.Series([None] * len(events), index=events.index)
    out = pd.DataFrame({
        "activity": activities.index.to_numpy()[ai],
        "offset": offset[ai, ei].astype("int64"),
        "date": ev_dates.to_numpy()[ei],
        "kind": events["kind"].astype(object).to_numpy()[ei],
        "title": np.array([t if isinstance(t, str) else None for t in titles], dtype=object)[ei],
        "_pos": ai,
    })
    return out.sort_values(["_pos", "date", "kind"], kind="stable").drop(columns="_pos").reset_index(drop=True)


def flag_confounded(activities: pd.DataFrame, events: pd.DataFrame, trading_days,
                    window: tuple[int, int] = DEFAULT_CONFOUNDER_WINDOW) -> pd.DataFrame:
    """The activities with, for each, the confounding events in its window.

    Parameters
    ----------
    activities, events, trading_days, window
        As in :func:`confounding_pairs`.

    Returns
    -------
    DataFrame
        ``activities`` (same index and columns) plus :data:`FLAG_COLUMNS`: ``day0`` (its trading
        day 0, NaT when after the history), ``window_start`` / ``window_end`` (the trading days the
        window covers, clipped to the history), ``placed`` (has a day 0), ``confounded`` (bool),
        ``n_confounders``, ``confounder_kinds`` / ``confounder_dates`` / ``confounder_titles``
        (lists, in date order) and ``confounders`` (one readable string, "" when none:
        ``"earnings release 1999-02-10 (Q4 results); dividend (ex-date) 1999-02-12"``).

    Notes
    -----
    Day 0 and the window follow :mod:`analytics.event_study` (MacKinlay 1997): first trading day
    on or after the date, the next one when ``after_close``; window rows ``a + w0 .. a + w1``
    clipped to the history.  An activity is confounded when :func:`confounding_pairs` has at
    least one pair for it.
    """
    w0, w1 = envelope_window([window])
    pairs = confounding_pairs(activities, events, trading_days, (w0, w1))
    cal = _calendar(trading_days)
    n = len(cal)
    a = _rows(cal, activities["date"], _after_close(activities))
    placed = a < n
    nat = np.datetime64("NaT", "D")
    out = activities.copy()
    out["day0"] = pd.to_datetime(np.where(placed, cal[np.minimum(a, n - 1)], nat)).astype("datetime64[ns]")
    out["window_start"] = pd.to_datetime(np.where(placed, cal[np.clip(a + w0, 0, n - 1)], nat)).astype(
        "datetime64[ns]")
    out["window_end"] = pd.to_datetime(np.where(placed, cal[np.clip(a + w1, 0, n - 1)], nat)).astype(
        "datetime64[ns]")
    out["placed"] = placed
    grouped = {key: g for key, g in pairs.groupby("activity", sort=False)} if len(pairs) else {}
    kinds, dates, titles, texts = [], [], [], []
    for label in activities.index:
        g = grouped.get(label)
        if g is None:
            kinds.append([]), dates.append([]), titles.append([]), texts.append("")
            continue
        kinds.append(g["kind"].tolist())
        dates.append(list(pd.to_datetime(g["date"])))
        titles.append([t if isinstance(t, str) else None for t in g["title"]])
        texts.append("; ".join(_describe(k, d, t) for k, d, t in zip(g["kind"], g["date"], g["title"])))
    out["n_confounders"] = np.array([len(k) for k in kinds], dtype="int64")
    out["confounded"] = out["n_confounders"].to_numpy() > 0
    out["confounder_kinds"] = pd.Series(kinds, index=out.index, dtype=object)
    out["confounder_dates"] = pd.Series(dates, index=out.index, dtype=object)
    out["confounder_titles"] = pd.Series(titles, index=out.index, dtype=object)
    out["confounders"] = pd.Series(texts, index=out.index, dtype=object)
    return out


def _describe(kind, date, title) -> str:
    label = CONFOUNDER_KINDS.get(kind, (str(kind), ""))[0]
    text = f"{label} {pd.Timestamp(date).date().isoformat()}"
    return f"{text} ({title})" if isinstance(title, str) and title.strip() else text


def split_confounded(flagged: pd.DataFrame) -> ConfounderSplit:
    """Split the output of :func:`flag_confounded` into clean, confounded and unplaced activities.

    Parameters
    ----------
    flagged : DataFrame
        The result of :func:`flag_confounded` (needs ``placed`` and ``confounded``).

    Returns
    -------
    ConfounderSplit
        ``clean`` (placed and not confounded), ``confounded``, ``unplaced`` (no day 0 in the
        history); the three partition the rows, each keeps the original order and index.
    """
    missing = [c for c in ("placed", "confounded") if c not in flagged.columns]
    if missing:
        raise ValueError(f"split_confounded takes the result of flag_confounded; column(s) {missing} are missing.")
    placed = flagged["placed"].to_numpy(dtype=bool)
    confounded = flagged["confounded"].to_numpy(dtype=bool)
    return ConfounderSplit(flagged[placed & ~confounded], flagged[confounded], flagged[~placed])


def confounded_sentence(split: ConfounderSplit) -> str:
    """One sentence for the verdict: how many activities had which confounders, and that they are shown apart.

    Parameters
    ----------
    split : ConfounderSplit
        From :func:`split_confounded`.

    Returns
    -------
    str
        ``""`` when nothing is confounded; else e.g. "2 of 9 activities had an earnings release or
        a dividend (ex-date) in their event window: their results are shown separately, because
        that news, not the IR work, may have moved the stock."
    """
    n_conf = len(split.confounded)
    if n_conf == 0:
        return ""
    total = len(split.clean) + n_conf
    seen: list[str] = []
    for kinds in split.confounded["confounder_kinds"]:
        for k in kinds:
            if k not in seen:
                seen.append(k)
    order = list(CONFOUNDER_KINDS)
    seen.sort(key=lambda k: order.index(k) if k in order else len(order))
    labels = [CONFOUNDER_KINDS.get(k, (str(k), ""))[0] for k in seen]
    article = [("an " if lab[0] in "aeiou" else "a ") + lab for lab in labels]
    what = article[0] if len(article) == 1 else ", ".join(article[:-1]) + " or " + article[-1]
    noun = "activity" if total == 1 else "activities"
    return (f"{n_conf} of {total} {noun} had {what} in their event window: their results are shown "
            "separately, because that news, not the IR work, may have moved the stock.")
