"""Event impact's view: the answer's event study for the page's settings, shaped by ``analytics.impact``.

The study, its tests and the activities not studied are the answer's own objects
(:func:`app.views.common.study`, the object the report and the CSV's answer is composed on); the
merged-campaign study, the overlaps, the stock placebo and the campaign placebo are computed in
``analytics.impact`` and memoised here per view and settings (``app.memo``).
"""
from __future__ import annotations

from analytics import impact
from app.views import common

OVERLAP_NOTE = impact.OVERLAP_NOTE
group_options = impact.group_options
group_label = impact.group_label


def overlaps(db: str, view, window):
    """Chains of the view's activities whose ``window`` overlaps, labelled; None without a ticker.

    Memoised per view, window and the signed-in user's scope (70-790 ms a run otherwise)."""
    if not view.ticker:
        return None
    return _overlaps(db, view.client_id, view.ticker, common.ts(view.start), common.ts(view.end),
                     tuple(int(d) for d in window))


@common.page_view()
def _overlaps(db: str, client_id, ticker: str, start, end, window: tuple):
    acts = common.activities_in(db, client_id, start, end)
    return impact.overlap_table(acts, common.prices(db, ticker), ticker, window)


def activity_types_present(db: str, view) -> set[str]:
    acts = common.activities_in(db, view.client_id, view.start, view.end)
    return set() if acts.empty else set(acts["type"])


def study(db: str, view, settings, *, merge: bool = False) -> dict | None:
    """The page's study for ``settings``: ``error, curves, events, tests, skipped, warnings, thin_note, windows,
    merged, campaign_note, study`` (:func:`app.views.common.study`'s object), or None without a client and ticker.

    Not merged, every frame is the answer's: ``tests`` is ``study.tests`` (the answer's ``tests``, which the
    report's per-type table reads) and the per-event table and curves come from ``study.result``.
    """
    key = common.view_key(view)
    if key is None:
        return None
    return _page_study(db, key, common.settings_key(settings), bool(merge))


@common.page_view(16)
def _page_study(db: str, key, settings_items: tuple, merge: bool) -> dict:
    settings = common.settings_of(settings_items)
    ps = common.study(db, key, settings)
    out = {"error": None, "merged": merge, "windows": settings.windows, "campaign_note": "", "study": ps,
           "thin_note": ps.thin_trading_words}
    if not merge:
        if ps.result is None:
            return out | {"error": ps.error or "No activity could be studied.", "skipped": ps.skipped}
        return out | impact.study_tables(ps.result, ps.tests, ps.skipped)
    m = _merged(db, key, settings_items)
    out.update({"windows": m["windows"], "thin_note": m["thin_note"], "skipped": m["skipped"]})
    if m["error"]:
        return out | {"error": m["error"]}
    out["campaign_note"] = impact.campaign_note(settings.windows, m["windows"], m["max_span"])
    return out | impact.study_tables(m["res"], m["tests"], m["skipped"], merged=True)


@common.page_view(8, spinner="Studying the merged campaigns...")
def _merged(db: str, key, settings_items: tuple) -> dict:
    from analytics.answer import _activities_in

    s = common.settings_of(settings_items)
    inputs = common.answer_inputs(db, key)
    acts = _activities_in(inputs.activities, inputs.start, inputs.end)
    return impact.merged_study(inputs.prices, inputs.market, acts, inputs.ticker, s,
                               inputs.shares_outstanding, inputs.splits)


def _study_result(db: str, key, settings_items: tuple, merge: bool):
    """The EventStudyResult the page shows (the answer's, or the merged campaigns'), and the inputs."""
    inputs = common.answer_inputs(db, key)
    if merge:
        return _merged(db, key, settings_items)["res"], inputs
    ps = common.study(db, key, common.settings_of(settings_items))
    return (None if ps is None else ps.result), inputs


def stock_placebo(db: str, view, settings, *, group=None, merge: bool = False) -> dict | None:
    """The per-event stock placebo of ``group`` (:func:`analytics.impact.stock_placebo`), or None."""
    key = common.view_key(view)
    if key is None:
        return None
    return _stock_placebo(db, key, common.settings_key(settings), group or "all", bool(merge))


@common.page_view(32, spinner="Drawing the stock placebo...")
def _stock_placebo(db: str, key, settings_items: tuple, group, merge: bool):
    res, _inputs = _study_result(db, key, settings_items, merge)
    return None if res is None else impact.stock_placebo(res, group)


def campaign_placebo(db: str, view, settings, *, groups=("all",), merge: bool = False) -> dict | None:
    """The campaign placebo and CAAR band of ``groups`` (:func:`analytics.impact.campaign_placebo`), or None."""
    key = common.view_key(view)
    if key is None:
        return None
    return _campaign_placebo(db, key, common.settings_key(settings), tuple(groups), bool(merge))


@common.page_view(32, spinner="Moving the whole campaign (placebo)...")
def _campaign_placebo(db: str, key, settings_items: tuple, groups: tuple, merge: bool):
    res, inputs = _study_result(db, key, settings_items, merge)
    if res is None:
        return None
    px, mkt = impact.study_frames(inputs.prices, inputs.market, inputs.ticker)
    return impact.campaign_placebo(res, px, mkt, groups)
