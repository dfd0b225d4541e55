"""Event impact's view: the answer's event study for the page's settings, shaped by ``analytics.impact``.

The study, its tests and the activities not studied are the answer's own objects
(:func:`app.views.common.study`, the object the report and the CSV's answer is composed on); the
merged-campaign study, the overlaps, the stock placebo and the campaign placebo are computed in
``analytics.impact`` and cached here per data hash and settings.
"""
from __future__ import annotations

import streamlit as st

from analytics import impact
from app.views import common

OVERLAP_NOTE = impact.OVERLAP_NOTE
group_options = impact.group_options
group_label = impact.group_label


def overlaps(db: str, view, window):
    """Chains of the view's activities whose ``window`` overlaps, labelled; None without a ticker.

    Cached per data hash, window and the signed-in user's scope (70-790 ms a run otherwise)."""
    if not view.ticker:
        return None
    key = common.view_key(view)
    if key is None:  # a ticker without a client: nothing to hash the view by, computed as it is
        return _overlap_table(db, view, window)
    return _overlaps(common.data_hash(db, key), tuple(int(d) for d in window), common._scope_token(db),
                     _db=db, _view=view)


def _overlap_table(db: str, view, window):
    acts = common.activities_in(db, view.client_id, view.start, view.end)
    return impact.overlap_table(acts, common.prices(db, view.ticker), view.ticker, window)


@st.cache_data(ttl=common.TTL_SECONDS, max_entries=32, show_spinner=False)
def _overlaps(data_hash: str, window: tuple, scope_token: tuple, *, _db: str, _view):
    return _overlap_table(_db, _view, window)


def activity_types_present(db: str, view) -> set[str]:
    acts = common.activities_in(db, view.client_id, view.start, view.end)
    return set() if acts.empty else set(acts["type"])


def study(db: str, view, settings, *, merge: bool = False) -> dict | None:
    """The page's study for ``settings``: ``error, curves, events, tests, skipped, warnings, thin_note, windows,
    merged, campaign_note, study`` (:func:`app.views.common.study`'s object), or None without a client and ticker.

    Not merged, every frame is the answer's: ``tests`` is ``study.tests`` (the answer's ``tests``, which the
    report's per-type table reads) and the per-event table and curves come from ``study.result``.
    """
    ps = common.study(db, view, settings)
    if ps is None:
        return None
    out = {"error": None, "merged": merge, "windows": settings.windows, "campaign_note": "", "study": ps,
           "thin_note": ps.thin_trading_words}
    if not merge:
        if ps.result is None:
            return out | {"error": ps.error or "No activity could be studied.", "skipped": ps.skipped}
        return out | impact.study_tables(ps.result, ps.tests, ps.skipped)
    key = common.view_key(view)
    m = _merged(common.data_hash(db, key), common.settings_key(settings), _db=db, _key=key)
    out.update({"windows": m["windows"], "thin_note": m["thin_note"], "skipped": m["skipped"]})
    if m["error"]:
        return out | {"error": m["error"]}
    out["campaign_note"] = impact.campaign_note(settings.windows, m["windows"], m["max_span"])
    return out | impact.study_tables(m["res"], m["tests"], m["skipped"], merged=True)


@st.cache_data(ttl=common.TTL_SECONDS, max_entries=8, show_spinner="Studying the merged campaigns...")
def _merged(data_hash: str, settings_items: tuple, *, _db: str, _key) -> dict:
    from analytics.answer import _activities_in
    from analytics.settings import parse_settings

    s = parse_settings(dict(settings_items)).settings
    inputs = common.answer_inputs(_db, _key)
    acts = _activities_in(inputs.activities, inputs.start, inputs.end)
    return impact.merged_study(inputs.prices, inputs.market, acts, inputs.ticker, s,
                               inputs.shares_outstanding, inputs.splits)


def _study_result(db: str, view, settings, merge: bool):
    """The EventStudyResult the page shows (the answer's, or the merged campaigns'), and the inputs."""
    key = common.view_key(view)
    inputs = common.answer_inputs(db, key)
    if merge:
        m = _merged(common.data_hash(db, key), common.settings_key(settings), _db=db, _key=key)
        return m["res"], inputs
    ps = common.study(db, view, settings)
    return (None if ps is None else ps.result), inputs


def stock_placebo(db: str, view, settings, *, group=None, merge: bool = False) -> dict | None:
    """The per-event stock placebo of ``group`` (:func:`analytics.impact.stock_placebo`), or None."""
    if common.view_key(view) is None:
        return None
    return _stock_placebo(common.data_hash(db, view), common.settings_key(settings), group or "all", merge,
                          _db=db, _view=view, _settings=settings)


@st.cache_data(ttl=common.TTL_SECONDS, max_entries=32, show_spinner="Drawing the stock placebo...")
def _stock_placebo(data_hash, settings_items, group, merge, *, _db, _view, _settings):
    res, _inputs = _study_result(_db, _view, _settings, merge)
    return None if res is None else impact.stock_placebo(res, group)


def campaign_placebo(db: str, view, settings, *, groups=("all",), merge: bool = False) -> dict | None:
    """The campaign placebo and CAAR band of ``groups`` (:func:`analytics.impact.campaign_placebo`), or None."""
    if common.view_key(view) is None:
        return None
    return _campaign_placebo(common.data_hash(db, view), common.settings_key(settings), tuple(groups), merge,
                             _db=db, _view=view, _settings=settings)


@st.cache_data(ttl=common.TTL_SECONDS, max_entries=32, show_spinner="Moving the whole campaign (placebo)...")
def _campaign_placebo(data_hash, settings_items, groups, merge, *, _db, _view, _settings):
    res, inputs = _study_result(_db, _view, _settings, merge)
    if res is None:
        return None
    px, mkt = impact.study_frames(inputs.prices, inputs.market, inputs.ticker)
    return impact.campaign_placebo(res, px, mkt, groups)
