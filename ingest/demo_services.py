"""The demo workspace's services logs, **simulated**: shareholder inquiries, mailings with responses, and
market-maker and analyst counts for the Auxer Group engagement.

``build_demo_services(activities, seed)`` is pure and deterministic (numpy ``default_rng(seed)``);
``write_demo_services(store, summary)`` writes it through ``store.services`` after ``ingest.demo`` has written
the activities (``summary`` is ``write_demo_workspace``'s: ``client_id``, ``activity_id_map``, ``seed``).
Everything is labelled simulated: answered_by "PMR desk (simulated)", list names and coverage sources end in
"(simulated)", and the workspace is marked simulated.

Generating process
------------------
- Inquiries: a baseline Poisson stream of ``BASELINE_PER_DAY`` a day (weekdays, 09:00-17:00) from
  1998-12-01 to 1999-07-15, plus, after each press release, broker/dealer mailing and fax/mail blast, a Poisson
  number of extra inquiries (mean ``EXTRA_INQUIRIES`` by type) whose lag from the activity is exponential
  (mean ``LAG_MEAN_DAYS``) and kept inside ``analytics.services.RESPONSE_WINDOW_DAYS`` days: so the rate ratio
  after those activities is above 1 by construction, and after the other types it is not. Response times are
  log-normal (median ``RESPONSE_MEDIAN_DAYS``, sigma 1.0); the last ``OPEN_LAST`` inquiries and two older
  ones stay open, so the page has open inquiries past the 5-day flag.
- Mailings: one per broker/dealer mailing and fax/mail blast activity, linked to it, recipients its reach,
  cost its cost; calls and meetings binomial on the recipients (``CALL_RATE``, ``MEETING_RATE`` by kind);
  inquiries the extra inquiries the mailing brought (above).
- Coverage counts: one market maker before the engagement, a second from 1999-03-04 (two weeks after the
  Jersey City introduction, as the activity log says), a third from 1999-05-18; no analyst until
  1999-05-10, one after (the site visit of 1999-04-28).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.services import RESPONSE_WINDOW_DAYS

SIMULATED = "(simulated)"
BASELINE_PER_DAY = 0.35
EXTRA_INQUIRIES = {"press_release": 3.0, "broker_dealer_mailing": 4.0, "fax_mail_blast": 6.0}
LAG_MEAN_DAYS = 1.5
RESPONSE_MEDIAN_DAYS = 1.0
OPEN_LAST = 3
CALL_RATE = {"broker_dealer_mailing": 0.06, "fax_mail_blast": 0.004}
MEETING_RATE = {"broker_dealer_mailing": 0.02, "fax_mail_blast": 0.0005}
SPAN = (pd.Timestamp("1998-12-01"), pd.Timestamp("1999-07-15"))
CHANNELS = ("phone", "e-mail", "mail", "fax")
TOPICS = ("annual report request", "acquisition news", "share price", "private placement", "how to buy shares",
          "management contact", "quarterly results", "conference follow-up")
LIST_NAMES = {"fax_mail_blast": f"PMR fax and mail list {SIMULATED}",
              "broker_dealer_mailing": f"Pre-qualified retail brokers {SIMULATED}"}
COVERAGE = (  # date, market makers, analysts (None: not recorded that day)
    ("1998-12-01", 1, 0), ("1999-01-04", 1, 0), ("1999-03-04", 2, None), ("1999-05-10", None, 1),
    ("1999-05-18", 3, None), ("1999-07-01", 3, 1))
BUILT_AT = pd.Timestamp("2000-01-03 18:00")


def _business_moment(rng, day: pd.Timestamp) -> pd.Timestamp:
    """A time between 09:00 and 17:00 on ``day`` (moved to the next weekday when it is a weekend)."""
    while day.weekday() >= 5:
        day += pd.Timedelta(days=1)
    return day + pd.Timedelta(minutes=int(rng.integers(9 * 60, 17 * 60)))


def build_demo_services(activities: pd.DataFrame, client_id: str, seed: int) -> dict[str, pd.DataFrame]:
    """The simulated inquiries, mailings and coverage counts for ``activities`` (stored ids, dates, types)."""
    rng = np.random.default_rng([int(seed), 13])
    received, brought_by = [], []
    for day in pd.date_range(*SPAN, freq="D"):
        if day.weekday() < 5:
            for _ in range(int(rng.poisson(BASELINE_PER_DAY * 7 / 5))):
                received.append(_business_moment(rng, day))
                brought_by.append(None)
    acts = activities.sort_values("date")
    for a in acts.itertuples(index=False):
        mean = EXTRA_INQUIRIES.get(a.type)
        if not mean:
            continue
        for _ in range(int(rng.poisson(mean))):
            lag = min(int(rng.exponential(LAG_MEAN_DAYS)), RESPONSE_WINDOW_DAYS - 3)  # weekend roll stays inside
            received.append(_business_moment(rng, pd.Timestamp(a.date) + pd.Timedelta(days=lag)))
            brought_by.append(int(a.activity_id))
    order = np.argsort(np.array(received, dtype="datetime64[ns]"), kind="stable")
    received = [received[i] for i in order]
    brought_by = [brought_by[i] for i in order]
    n = len(received)
    delay = np.exp(np.log(RESPONSE_MEDIAN_DAYS) + rng.normal(0.0, 1.0, n))
    answered = [r + pd.Timedelta(days=float(d)) for r, d in zip(received, delay)]
    for i in [*range(n - OPEN_LAST, n), n // 2, n // 3]:
        answered[i] = None
    inquiries = pd.DataFrame({
        "client_id": client_id, "received_at": pd.to_datetime(received).floor("min"),
        "channel": rng.choice(CHANNELS, n), "topic": rng.choice(TOPICS, n),
        "answered_at": pd.to_datetime([None if a is None else a.floor("min") for a in answered]),
        "answered_by": [None if a is None else f"PMR desk {SIMULATED}" for a in answered]})
    extra = pd.Series([b for b in brought_by if b is not None], dtype="Int64").value_counts()
    rows = []
    for a in acts[acts["type"].isin(list(CALL_RATE))].itertuples(index=False):
        recipients = int(a.reach) if pd.notna(a.reach) else 0
        inquiries_brought = int(extra.get(int(a.activity_id), 0))
        calls = int(rng.binomial(recipients, CALL_RATE[a.type]))
        meetings = int(rng.binomial(recipients, MEETING_RATE[a.type]))
        rows.append({"client_id": client_id, "activity_id": int(a.activity_id), "date": pd.Timestamp(a.date),
                     "kind": a.type, "list_name": LIST_NAMES[a.type], "recipients": recipients, "calls": calls,
                     "meetings": meetings, "inquiries": min(inquiries_brought, recipients - calls - meetings),
                     "cost": float(a.cost) if pd.notna(a.cost) else None})
    mailings = pd.DataFrame(rows)
    coverage = pd.DataFrame([{"client_id": client_id, "date": pd.Timestamp(d), "market_makers": mm,
                              "analysts": an, "source": f"OTC BB quote montage and analyst list {SIMULATED}"}
                             for d, mm, an in COVERAGE])
    return {"inquiries": inquiries, "mailings": mailings, "coverage_counts": coverage}


def write_demo_services(store, summary: dict) -> dict:
    """Write the simulated services logs of the demo client; running it twice leaves the same rows.

    Rows are merged by natural key (``store.services.merge``, write time ``BUILT_AT``), and the demo
    client's rows the generator no longer produces (another seed) are deleted. Returns the counts written.
    """
    from store import services as ss

    client_id = summary["client_id"]
    activities = store.activities(client_id)
    frames = build_demo_services(activities, client_id, int(summary.get("seed", 0) or 0))
    out = {}
    with store.transaction() as con:
        for table, frame in frames.items():
            written = ss.merge(store, table, frame, created_at=BUILT_AT)
            keep = {ss._key(table, r) for r in frame.to_dict("records")}
            stored = ss._read(store, table, client_id)
            id_col = ss.TABLES[table][0]
            stale = [r for r in stored.to_dict("records") if ss._key(table, r) not in keep]
            for r in stale:
                if id_col:
                    con.execute(f"DELETE FROM {table} WHERE {id_col} = ?", [int(r[id_col])])
                else:
                    con.execute(f"DELETE FROM {table} WHERE client_id = ? AND date = ?", [client_id, r["date"].date()])
            out[table] = {"added": written.added, "updated": written.updated, "unchanged": written.unchanged,
                          "deleted": len(stale), "rows": len(frame)}
    return out
