"""The demo's promotion-integrity record (simulated, labelled so): the consultant's trades, objectives, disclosures.

``write_demo_integrity(store, summary)`` runs after :func:`ingest.demo.write_demo_workspace` with its
summary. Every row is simulated and says so (trade and compensation notes end in "(simulated)", the
insider is "Director (simulated)"). Assumptions, chosen so the Integrity page has something honest to
find:

- The consultant sells part of each retainer tranche, three times within two trading days after a
  press release (1999-01-05, 1999-01-27 and 1999-03-29), once well after the engagement
  (1999-08-16); a director buys during the black-out before the first-quarter results of 1999-05-17.
- Objectives were set on 1999-01-04, the day before the first activity (1999-01-05), except one set
  on 1999-02-15, after the campaign had begun.
- The promotional activities of the log record their 17(b) disclosure, except the fax blasts of
  1999-02-22 and 1999-06-08 (recorded as not disclosed) and the conference and IR-website entries
  (not recorded either way).
- The contract pays in free-trading (registered) shares: no Rule 144 holding period; PMR is not an
  affiliate; AXGI is quoted over the counter.
- One manual payment: $1,200 of conference travel paid in cash on 1999-03-16.

Running it twice leaves the same rows (merges by natural key; fixed created_at).
"""
from __future__ import annotations

import pandas as pd

from ingest.demo import BUILT_AT, CLIENT_ID, CONSULTANT, TICKER

SIMULATED = "(simulated)"
DEMO_TRADES = (  # date, holder, role, shares (signed), notes
    ("1999-01-07", CONSULTANT, "consultant", -60_000, "sale two days after the retainer press release"),
    ("1999-01-29", CONSULTANT, "consultant", -40_000, "sale after the letter-of-intent press release"),
    ("1999-03-31", CONSULTANT, "consultant", -50_000, "sale after the distribution-agreement press release"),
    ("1999-05-13", "Director (simulated)", "insider", 25_000, "open-market purchase before the Q1 results"),
    ("1999-08-16", CONSULTANT, "consultant", -80_000, "sale after the engagement ended"),
)
DEMO_OBJECTIVES = (  # measure, target, direction, set_date, due_date, notes
    ("share_days_traded", 0.60, "at_least", "1999-01-04", None, "trade on at least 3 days in 5"),
    ("avg_daily_dollar_volume", 2_000.0, "at_least", "1999-01-04", None, "average daily dollar volume"),
    ("market_makers", 3, "at_least", "1999-01-04", "1999-06-30", "three market makers quoting AXGI"),
    ("inquiries_per_month", 20.0, "at_least", "1999-01-04", None, "shareholder inquiries a month"),
    ("turnover", 0.0005, "at_least", "1999-02-15", None, "set after the campaign began"),
)
NOT_DISCLOSED = ("1999-02-22", "1999-06-08")
NOT_RECORDED_TYPES = ("conference", "ir_website")


def demo_trades(bars: pd.DataFrame) -> pd.DataFrame:
    """The simulated trades, each at the day's close (the closes are simulated too)."""
    close = bars.set_index(pd.to_datetime(bars["date"]))["close"]
    rows = [{"client_id": CLIENT_ID, "holder": holder, "role": role, "date": pd.Timestamp(d), "shares": float(n),
             "price": float(close.asof(pd.Timestamp(d))), "notes": f"{note} {SIMULATED}", "created_at": BUILT_AT}
            for d, holder, role, n, note in DEMO_TRADES]
    return pd.DataFrame(rows)


def demo_objectives() -> pd.DataFrame:
    """The simulated objectives."""
    return pd.DataFrame([{"client_id": CLIENT_ID, "measure": m, "target": float(t), "direction": d,
                          "set_date": pd.Timestamp(s), "due_date": pd.Timestamp(u) if u else None,
                          "notes": f"{n} {SIMULATED}", "created_at": BUILT_AT}
                         for m, t, d, s, u, n in DEMO_OBJECTIVES])


def write_demo_integrity(store, summary: dict) -> dict:
    """Write the simulated integrity record into the demo workspace; returns what was written."""
    from analytics.integrity import PROMOTIONAL_TYPES
    from store import integrity as si

    client_id = summary.get("client_id", CLIENT_ID)
    eng_id = int(summary["engagement_id"])
    bars = store.bars([TICKER])
    out = {"trades": si.merge_trades(store, demo_trades(bars)).__dict__.copy()}
    out["objectives"] = si.merge_objectives(store, demo_objectives()).__dict__.copy()
    comp = pd.DataFrame([{"engagement_id": eng_id, "client_id": client_id, "date": pd.Timestamp("1999-03-16"),
                          "payer": "Auxer Group, Inc.", "recipient": CONSULTANT, "kind": "cash", "amount": 1200.0,
                          "shares": None, "notes": f"conference travel, Las Vegas {SIMULATED}",
                          "created_at": BUILT_AT}])
    out["compensation"] = si.merge_compensation(store, comp).__dict__.copy()
    out["sale_rules"] = si.save_sale_rules(store, eng_id, reporting_issuer=True, registered_shares=True,
                                           affiliate=False, otc=True)
    acts = store.activities(client_id)
    flags = {}
    for a in acts[acts["type"].isin(PROMOTIONAL_TYPES)].itertuples(index=False):
        day = f"{pd.Timestamp(a.date):%Y-%m-%d}"
        want = False if day in NOT_DISCLOSED else None if a.type in NOT_RECORDED_TYPES else True
        have = None if pd.isna(a.disclosed) else bool(a.disclosed)
        if want != have:  # only a change is written; stamped BUILT_AT so two fresh builds are identical
            flags[int(a.activity_id)] = want
    out["disclosed_changed"] = si.record_disclosures(store, flags, BUILT_AT)
    return out
