"""The Activities page's view: the client's log in the view's period with each activity's reaction (the answer's)."""
from __future__ import annotations

import pandas as pd

from app.views import common

ACTIVITY_COLUMNS = ["activity_id", "date", "end_date", "type", "title", "channel", "reach", "cost",
                    "after_close", "notes", "link"]


def activity_table(db: str, view, types: tuple[str, ...] = ()) -> pd.DataFrame:
    """The client's activities in the view's period (optionally of some types) with their reaction (the view's
    memoised answer's)."""
    return _activity_table(db, view, tuple(types))


@common.page_view()
def _activity_table(db: str, view, types: tuple[str, ...]) -> pd.DataFrame:
    bounds = (None, None) if view.period == "all" else (view.start, view.end)  # "all": every logged activity
    acts = common.activities_in(db, view.client_id, *bounds)
    if acts.empty:
        return pd.DataFrame(columns=ACTIVITY_COLUMNS + ["car", "p_value", "abnormal_volume"])
    if types:
        acts = acts[acts["type"].isin(types)]
    acts = acts[[c for c in ACTIVITY_COLUMNS if c in acts.columns]].copy()
    for col in ("date", "end_date"):
        acts[col] = pd.to_datetime(acts[col]).dt.date
    reaction = activity_reactions(db, view)
    if reaction is not None and not reaction.empty:
        acts = acts.merge(reaction, on="activity_id", how="left")
    for col in ("car", "p_value", "abnormal_volume"):
        if col not in acts:
            acts[col] = float("nan")
    acts["disclosure"] = disclosure_words(common.activities_in(db, view.client_id, *bounds), acts["activity_id"])
    return acts.reset_index(drop=True)


DISCLOSURE_WORDS = {"disclosed": "carried", "not disclosed": "NOT carried", "not recorded": "not recorded"}


def disclosure_words(activities: pd.DataFrame, ids: pd.Series) -> list[str]:
    """Per activity id: whether a communication that describes the security carried its compensation
    disclosure (``analytics.integrity.disclosure_status``); empty for the other activity types."""
    from analytics.integrity import disclosure_status

    status = disclosure_status(activities) if len(activities) else pd.DataFrame(columns=["activity_id", "status"])
    words = dict(zip(status["activity_id"], status["status"].map(DISCLOSURE_WORDS)))
    return [words.get(i, "") for i in ids]


def disclosure_flags(log: pd.DataFrame) -> str | None:
    """One sentence on the promotional activities without a recorded disclosure (None when every one has it)."""
    if "disclosure" not in log or log.empty:
        return None
    missing = int((log["disclosure"] == DISCLOSURE_WORDS["not disclosed"]).sum())
    unknown = int((log["disclosure"] == DISCLOSURE_WORDS["not recorded"]).sum())
    if not missing and not unknown:
        return None
    parts = ([f"{missing} recorded as not carrying it"] if missing else []) + \
            ([f"{unknown} with no record either way"] if unknown else [])
    return ("Of the activities shown that describe the security, " + " and ".join(parts) + " (the compensation "
            "disclosure of Section 17(b)): see **Promotion integrity**, where the text each should carry is generated.")


def activity_reactions(db: str, view, ans=None):
    """``activity_id, car, p_value, abnormal_volume`` over the first event window (the answer's), or None."""
    ans = ans if ans is not None else common.answer(db, view)
    if ans is None or ans.cars is None or ans.cars.empty:
        return None
    first = ans.cars.sort_values(["event_id", "window_start"]).drop_duplicates("event_id")
    out = first[["event_id", "car", "p_value"]].rename(columns={"event_id": "activity_id"})
    vol = ans.abnormal_volume
    if vol is not None and not vol.empty:
        out = out.merge(vol, on="activity_id", how="left")
    return out


def reaction_note(db: str, view, ans=None) -> str:
    """What the reaction columns are, under the view's settings (or why they are empty)."""
    from analytics.settings import MODELS, format_window

    ans = ans if ans is not None else common.answer(db, view)
    if ans is None or ans.cars is None:
        return "No reactions yet: " + (ans.error if ans is not None and ans.error else "no activity was studied.")
    s = ans.settings
    w = s.windows[0]
    return (f"CAR: cumulative abnormal return over days {w[0]} to {w[1]} ({MODELS[s.model].lower()}, estimation "
            f"window {format_window(s.est)}); p: two-sided p-value. Abnormal volume: mean abnormal log turnover "
            "over the same window.")
