"""The reads every page shares: prices, the client's terms and activities, and the programme's one answer.

Cached reads through ``app.loaders`` (scoped to the signed-in user) and the answer of
:func:`analytics.answer.programme_answer`, computed once per view, method settings and user scope and
reused while the data it read is unchanged (:mod:`app.memo`). No layout here; no maths either
(``analytics/``).
"""
from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

import pandas as pd
import streamlit as st

from app import loaders, memo

TTL_SECONDS = loaders.TTL_SECONDS
VIEW_TTL_SECONDS = 600  # a view is recomputed at least this often, even on unchanged data (dates move on)
scoped = loaders.scope_of_db  # memo.view(scope=scoped): the first argument is the workspace


def page_view(max_entries: int = 32, *, spinner: str | None = None):
    """Memoise a page's computation on ``(db, ids, dates, settings)`` and the user's scope (:func:`app.memo.view`)."""
    return memo.view(ttl=VIEW_TTL_SECONDS, max_entries=max_entries, spinner=spinner, scope=scoped)


def ts(v):
    """``pd.Timestamp(v)``, or None."""
    return None if v is None else pd.Timestamp(v)


@page_view()
def prices(db: str, ticker: str | None, start=None, end=None) -> pd.DataFrame:
    """``date, open, high, low, close, adj_close, volume, zero_volume, stale_close`` of one ticker."""
    if not ticker:
        return pd.DataFrame(columns=["date", "close", "adj_close", "volume"])
    frame = loaders.bars(db, (ticker,), ts(start), ts(end))
    if frame.empty:
        return pd.DataFrame(columns=["date", "close", "adj_close", "volume"])
    return frame.sort_values("date").reset_index(drop=True)


def price_span(db: str, ticker: str | None):
    """First and last stored bar date of ``ticker`` (None, None when nothing is stored)."""
    px = prices(db, ticker)
    if px.empty:
        return None, None
    return pd.Timestamp(px["date"].iloc[0]), pd.Timestamp(px["date"].iloc[-1])


@page_view()
def client_engagement(db: str, client_id: str | None) -> dict:
    """The client's engagements, option grants and financings (frames, possibly empty)."""
    empty = pd.DataFrame()
    if not client_id:
        return {"engagements": empty, "grants": empty, "financings": empty}
    eng = loaders.engagements(db, client_id)
    if eng.empty:
        return {"engagements": eng, "grants": empty, "financings": empty}
    grants = pd.concat([loaders.option_grants(db, e) for e in eng["engagement_id"]], ignore_index=True)
    fins = pd.concat([loaders.financings(db, e) for e in eng["engagement_id"]], ignore_index=True)
    return {"engagements": eng, "grants": grants, "financings": fins}


@page_view()
def activities_in(db: str, client_id: str | None, start=None, end=None) -> pd.DataFrame:
    """The client's activities dated inside [start, end]."""
    if not client_id:
        return pd.DataFrame(columns=["activity_id", "date", "type", "title"])
    acts = loaders.activities(db, client_id)
    if acts.empty:
        return acts
    dates = pd.to_datetime(acts["date"])
    keep = pd.Series(True, index=acts.index)
    if start is not None:
        keep &= dates >= pd.Timestamp(start)
    if end is not None:
        keep &= dates <= pd.Timestamp(end)
    return acts[keep].sort_values("date").reset_index(drop=True)


@page_view()
def activity_markers(db: str, view) -> pd.DataFrame:
    """``activity_id, date, type, title`` of the view's activities (chart markers, from the store alone)."""
    acts = activities_in(db, view.client_id, view.start, view.end)
    cols = ["activity_id", "date", "type", "title"]
    return acts[cols].copy() if not acts.empty else pd.DataFrame(columns=cols)


def option_status(db: str, view, grants: pd.DataFrame):
    """Status of the first grant still relevant at the view's end (analytics.options), or None."""
    from analytics import options

    if grants.empty or not view.ticker:
        return None
    full = prices(db, view.ticker, None, view.end)
    if full.empty:
        return None
    splits = loaders.splits(db, view.ticker)
    grant = grants.sort_values("expiry_date").iloc[0]
    return options.option_status_as_of(grant, full[["date", "close"]], as_of=full["date"].iloc[-1],
                                       splits=splits if not splits.empty else None)


# --- the one answer (analytics.answer): every headline figure comes from it ------------------------

def view_settings(view):
    """The view's method settings (the sidebar read them from the URL through analytics.settings)."""
    from analytics.settings import DEFAULTS

    return getattr(view, "settings", None) or DEFAULTS


class ViewKey(NamedTuple):
    """What of a view the answer depends on (hashable: a cache key)."""

    client_id: str
    client_name: str | None
    ticker: str
    benchmark: str | None
    period: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None


def view_key(view) -> ViewKey | None:
    """The view's :class:`ViewKey`, or None without a client and ticker."""
    if not view.client_id or not view.ticker:
        return None
    return ViewKey(view.client_id, view.client_name, view.ticker, view.benchmark or None, view.period,
                   ts(view.start), ts(view.end))


def answer_inputs(db: str, view):
    """The answer's inputs for the view, read through the scoped loaders (None without a client and ticker)."""
    from analytics.answer import AnswerInputs

    key = view if isinstance(view, ViewKey) else view_key(view)
    if key is None:
        return None
    eng = client_engagement(db, key.client_id)
    # "all history" has no bounds of its own: activities dated before or after the prices are listed, not cut
    start, end = (None, None) if key.period == "all" else (key.start, key.end)
    return AnswerInputs(client_id=key.client_id, client_name=key.client_name, ticker=key.ticker,
                        benchmark=key.benchmark, prices=prices(db, key.ticker),
                        market=prices(db, key.benchmark) if key.benchmark else pd.DataFrame(),
                        activities=loaders.activities(db, key.client_id), engagements=eng["engagements"],
                        grants=eng["grants"], financings=eng["financings"],
                        shares_outstanding=loaders.shares_outstanding(db, key.ticker),
                        splits=loaders.splits(db, key.ticker),
                        confounding=loaders.confounding_events(db, key.ticker),
                        start=start, end=end, simulated=bool(loaders.workspace_info(db).get("simulated")))


def computed_settings(settings):
    """The settings that change the computation: the activity types *shown* on a chart do not."""
    return replace(settings, types=())


def settings_key(settings) -> tuple:
    return tuple(sorted(computed_settings(settings).query(all_keys=True).items()))


def settings_of(settings_items: tuple):
    """The settings a :func:`settings_key` stands for (a memoised view is keyed by the key, computes with these)."""
    from analytics.settings import parse_settings

    return parse_settings(dict(settings_items)).settings


def answer(db: str, view, settings=None, *, with_study: bool = False):
    """The programme's answer for the view and settings (:func:`analytics.answer.programme_answer`), or None.

    Computed once per view, settings and user scope, and reused while the data it read is unchanged (the
    types shown on a chart are not part of the key: the answer states them but does not depend on them).
    ``with_study`` keeps the event study object (``answer.study``, Event impact lays it out); the other
    pages get the same answer without it (``study=None``).
    """
    key = view_key(view)
    if key is None:
        return None
    s = settings or view_settings(view)
    ans = _answer(db, key, settings_key(s))
    if not with_study:
        ans = replace(ans, study=None)
    return ans if ans.settings == s else replace(ans, settings=s)


@page_view(16, spinner="Computing the programme's answer...")
def _answer(db: str, key: ViewKey, settings_items: tuple):
    """The answer for one view and settings. Its event study is :func:`study`'s object: one computation for both."""
    from analytics.answer import programme_answer

    ans = programme_answer(answer_inputs(db, key), settings_of(settings_items), study=_study(db, key, settings_items))
    return replace(ans, version=f"{ans.version}, {software_commit()}")


def study(db: str, view, settings=None):
    """The event-study part of the view's answer (:func:`analytics.answer.programme_study`), or None.

    :func:`answer` composes the rest of the programme's answer on this very object, so Event impact
    (which shows only the study) does not wait for the account (costs, persistence, the value over the
    engagement) on a widget change, and the figures it shows are the answer's.
    """
    key = view if isinstance(view, ViewKey) else view_key(view)
    if key is None:
        return None
    s = settings or view_settings(view)
    return _study(db, key, settings_key(s))


@page_view(16, spinner="Running the event study...")
def _study(db: str, key: ViewKey, settings_items: tuple):
    from analytics.answer import programme_study

    return programme_study(answer_inputs(db, key), settings_of(settings_items))


@st.cache_resource(show_spinner=False)
def software_commit() -> str:
    """``commit abc1234`` of the running code (git), or ``commit not recorded`` outside a git checkout."""
    import subprocess
    from pathlib import Path

    try:
        out = subprocess.run(["git", "-C", str(Path(__file__).resolve().parents[2]), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return "commit not recorded"
    sha = out.stdout.strip()
    return f"commit {sha}" if out.returncode == 0 and sha else "commit not recorded"
