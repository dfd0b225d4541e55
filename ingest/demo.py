"""The demo workspace: the Auxer Group / PMR and Associates engagement with simulated AXGI prices.

No public price history of AXGI (OTC Bulletin Board, 1999) can be downloaded, so the demo
combines the contract's real terms (the reference engagement, see the README: retainer $3,500/month in
free-trading stock, three-month minimum, an option on 5,000,000 shares at $0.04 granted
1999-01-04 and expiring 1999-02-15, a finder's fee on financings) with **simulated** prices,
volumes and a plausible schedule of the services A-J. Everything simulated is labelled so:
security names end in "(simulated)", bars carry ``source = "demo-simulated"`` and the workspace
info has ``simulated = True``.

``build_demo_frames(seed)`` is pure and deterministic (numpy ``default_rng(seed)``; the activity
schedule and contract terms do not depend on the seed, prices and volumes do). Besides the
canonical frames it returns the ground truth: ``injected_effects`` (every injected abnormal return
and volume multiplier by activity and trading day), ``retainer_payments`` and ``truth`` (beta ...).

``write_demo_workspace(store, seed, progress)`` writes the frames through the Store API. Running it
twice leaves the same rows: bars are upserted, the engagement, option grant and financing are
matched on natural keys (client + consultant + signed date; holder + grant date; date) and
replaced in place, and the demo client's activity log is deleted and re-added only when it
differs from the generated one (so ids and ``created_at`` survive a rebuild). The write-time stamps
are fixed too, so two fresh builds are identical in every column: activities keep the frame's
``created_at`` (the evening of the activity), bars get ``ingested_at`` and securities ``added_at`` =
``BUILT_AT`` (the first trading day after the simulated history).

Assumptions beyond the contract (also in the engagement's ``notes``)
--------------------------------------------------------------------
- The contract fixes only a three-month minimum; the demo assumes it was renewed month to month
  for six monthly periods, 1999-01-04 to 1999-07-03 (``end_date``).
- Retainer paid in advance on the monthly anniversary of the start (1999-01-04, 02-04, 03-04,
  04-05, 05-04, 06-04; rolled forward to the next trading day), in free-trading shares priced at
  the average close of the 5 trading days before the payment date (``avg_close_prior_n``, N=5).
  Shares issued = round(3,500 / price); they are in ``retainer_payments`` and raise
  ``shares_outstanding`` on the payment date.
- Financing: a $250,000 private placement closed 1999-04-20 at 80% of the 5-day average close
  (rounded down to the tick), arranged by PMR for a 10% finder's fee ($25,000).
- The option is not assumed exercised (no shares are added for it).

Generating process (all returns are log returns; ``t`` indexes trading days)
------------------------------------------------------------------------------
Calendar: US weekdays from 1998-06-01 to 1999-12-31 without the NYSE holidays of 1998-1999
(``NYSE_HOLIDAYS``).

Market factor ``^SIMIDX`` (a simulated index, base 100.00 on 1998-06-01, quoted to the cent)::

    r_m[t] = mu[t] + sigma[t] * z[t],  z ~ N(0, 1)
    mu, sigma = +0.04%, 1.0% normally; -0.40%, 1.8% from 1998-07-20 to 1998-10-08 (a drawdown
                like the small caps' in 1998); +0.20%, 1.3% from 1998-10-09 to 1998-12-31.

AXGI latent ("efficient") log price::

    log p*[t] = c + BETA * (log M[t] - log M[0]) + u[t] + E[t]
    u[t] = (1 - KAPPA) * u[t-1] + e[t],  e = IDIO_SD * t(4) / sqrt(2)   (fat-tailed, sd IDIO_SD)
    BETA = 1.2, KAPPA = 0.02 (idiosyncratic level mean-reverts, half-life ~35 days), IDIO_SD = 4%

so the latent return is ``BETA * r_m + (u[t] - u[t-1]) + (E[t] - E[t-1])``: a market model with
beta 1.2 holds exactly for the latent price. The constant ``c`` puts the latent price on the
signing date (1999-01-04) at $0.034 whatever the seed, so the option (strike $0.04) starts a little
out of the money and the price stays in the few-cent range. ``E[t]`` is the sum of the injected event effects
up to ``t`` (below). The latent price is clipped to [2 ticks, $0.25] (it almost never binds).

Quotes: the tick is 1/256 of a dollar ($0.00390625). In 1999 US quotes were still fractions
(decimals came in 2001) and sub-dollar OTCBB stocks were quoted in 1/32 to 1/256; at 3-6 cents
only 1/256 leaves more than a handful of price levels, so one tick is ~7-12% of the price.
The tick grid is exact in binary floating point.

- Trading days follow a two-state Markov chain (trade -> trade 0.64, no trade -> trade 0.40;
  about 47% zero-volume days without events, 34-49% over the whole history across seeds 0-199,
  44% with the default seed). Event days raise the chance of a trade (below).
- On a day with a trade, close = latent price rounded to the tick (at least one tick); open lies
  between the previous close and the close (rounded); high/low add 0-2 ticks beyond max/min(open,
  close), low >= one tick. Volume = lognormal (median 40,000 shares, log sd 0.9) x the event
  volume multiplier x an unrelated spike (3% of days, x4-x12), rounded to 100 shares.
- On a zero-volume day open = high = low = close = the previous close, except on exactly
  ``N_STALE_CLOSE`` = 5 randomly chosen zero-volume days where the quote is moved to the rounded
  latent price (at least one tick): the store flags these as ``stale_close``.
So quoted returns are the latent returns seen through rounding and non-trading; the injected
effects are in the latent price, and event days nearly always trade, so they show in the quotes.

Injected event effects (``TRUE_EFFECTS``; the truth is in ``DemoWorkspace.injected_effects``)
-------------------------------------------------------------------------------------------
Day 0 is the activity's date (the next trading day when ``after_close``). For each activity of
an effective type, a reaction CAR ~ N(car_mean, car_sd) (seeded) is spread over days 0.. by the
type's profile, and the volume on those days is multiplied by the type's multipliers. For press
releases and market-maker introductions 30% of the reaction reverses evenly over days 6-65 (a
pump that partly fades), which the persistence checks can find; the other reactions are
permanent. A conference spreads its reaction over its days plus the next one.

====================== ======== ====== ======================= ================== ========
type                   car_mean car_sd return profile (days)   volume multipliers reversal
====================== ======== ====== ======================= ================== ========
press_release            +10%     4%   0.6, 0.3, 0.1 (0..2)    8, 4, 2              30%
market_maker_intro        +6%     3%   0.5, 0.3, 0.2 (0..2)    5, 3, 2              30%
conference                +4%     2%   even over its days + 1  3 each day            0
broker_dealer_mailing     +4%     2%   0, 0.4, 0.4, 0.2 (0..3) 1, 2.5, 2.5, 1.5      0
fax_mail_blast            +2%   1.5%   0.7, 0.3 (0..1)         2, 1.5                0
investor_outreach         +1%     1%   0.5, 0.5 (0..1)         1.3, 1.3              0
analyst_intro, ir_package, ir_website, shareholder_inquiry, other: no effect at all
====================== ======== ====== ======================= ================== ========

The schedule is dense (35 activities in six months), so event windows overlap and the reversal
drift of earlier pumps lowers later windows' abnormal returns: the true return of any window is
the sum of ``injected_effects.abnormal_return`` over its dates (``injected_window_return``), and
``injected_car`` gives one activity's own effect. Thin trading also biases an OLS beta on quoted
returns towards zero (about 0.8 against the true 1.2), as it does with real penny stocks.

With a volume multiplier >= 2 a day trades with probability 0.97; with a smaller multiplier m > 1
the no-trade probability is divided by m.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Callable

import numpy as np
import pandas as pd

from analytics.constants import ACTIVITY_TYPE_CODES, DEFAULT_SEED

SOURCE = "demo-simulated"
CLIENT_ID = "auxer"
TICKER = "AXGI"
BENCHMARK = "^SIMIDX"
ENGAGEMENT_ID = 1
TICK = 1.0 / 256.0
WORKSPACE_NAME = "Demo: Auxer Group (AXGI) / PMR and Associates, 1999 - simulated prices"

START = pd.Timestamp("1998-06-01")
END = pd.Timestamp("1999-12-31")
BUILT_AT = pd.Timestamp("2000-01-03 18:00")  # the demo's fixed ingested_at/added_at (reproducible builds)

# NYSE full-day closures in the demo's range (Independence Day 1998 observed on Friday 3 July;
# 1999: Independence Day observed Monday 5 July, Christmas observed Friday 24 December).
NYSE_HOLIDAYS: tuple[str, ...] = (
    "1998-01-01", "1998-01-19", "1998-02-16", "1998-04-10", "1998-05-25", "1998-07-03",
    "1998-09-07", "1998-11-26", "1998-12-25",
    "1999-01-01", "1999-01-18", "1999-02-15", "1999-04-02", "1999-05-31", "1999-07-05",
    "1999-09-06", "1999-11-25", "1999-12-24",
)

# Generating-process parameters (see the module docstring).
ANCHOR_PRICE = 0.034
BETA = 1.2
KAPPA = 0.02
IDIO_SD = 0.04
PRICE_CAP = 0.25
P_TRADE_AFTER_TRADE = 0.64
P_TRADE_AFTER_NONE = 0.40
P_TRADE_EVENT = 0.97
VOLUME_MEDIAN = 40_000.0
VOLUME_LOG_SD = 0.9
SPIKE_PROB = 0.03
SPIKE_RANGE = (4.0, 12.0)
N_STALE_CLOSE = 5
REVERSAL_DAYS = (6, 65)
MARKET_REGIMES: tuple[tuple[str, str, float, float], ...] = (
    # start, end, daily drift, daily sd
    ("1998-06-01", "1999-12-31", 0.0004, 0.010),
    ("1998-07-20", "1998-10-08", -0.0040, 0.018),
    ("1998-10-09", "1998-12-31", 0.0020, 0.013),
)

# type -> (car_mean, car_sd, return profile over days 0.., volume multipliers over days 0..,
#          share of the reaction that reverses over REVERSAL_DAYS)
TRUE_EFFECTS: dict[str, tuple[float, float, tuple[float, ...], tuple[float, ...], float]] = {
    "press_release": (0.10, 0.04, (0.6, 0.3, 0.1), (8.0, 4.0, 2.0), 0.3),
    "market_maker_intro": (0.06, 0.03, (0.5, 0.3, 0.2), (5.0, 3.0, 2.0), 0.3),
    "conference": (0.04, 0.02, (), (), 0.0),  # profile set by the conference's length
    "broker_dealer_mailing": (0.04, 0.02, (0.0, 0.4, 0.4, 0.2), (1.0, 2.5, 2.5, 1.5), 0.0),
    "fax_mail_blast": (0.02, 0.015, (0.7, 0.3), (2.0, 1.5), 0.0),
    "investor_outreach": (0.01, 0.01, (0.5, 0.5), (1.3, 1.3), 0.0),
}
CONFERENCE_VOLUME_MULTIPLIER = 3.0

# Contract terms (engagement.md) and the demo's stated assumptions.
CONSULTANT = "PMR and Associates (Patrick M. Rost)"
SIGNED = pd.Timestamp("1999-01-04")
ENGAGEMENT_END = pd.Timestamp("1999-07-03")
RETAINER = 3500.0
MINIMUM_MONTHS = 3
RETAINER_MONTHS = 6
PRICE_RULE = "avg_close_prior_n"
PRICE_DAYS = 5
OPTION_SHARES = 5_000_000.0
OPTION_STRIKE = 0.04
OPTION_EXPIRY = pd.Timestamp("1999-02-15")
FINANCING_DATE = pd.Timestamp("1999-04-20")
FINANCING_AMOUNT = 250_000.0
FINANCING_FEE = 0.10
FINANCING_DISCOUNT = 0.80
SHARES_START = 58_400_000.0
SHARES_1998_ISSUE = (pd.Timestamp("1998-10-15"), 1_500_000.0)

SECURITY_COLUMNS = ["ticker", "name", "kind", "simulated"]
BAR_COLUMNS = ["ticker", "date", "open", "high", "low", "close", "adj_close", "volume", "source"]
SPLIT_COLUMNS = ["ticker", "date", "ratio"]
DIVIDEND_COLUMNS = ["ticker", "date", "amount"]
SHARES_COLUMNS = ["ticker", "date", "shares", "source"]
CLIENT_COLUMNS = ["client_id", "name", "ticker", "benchmark"]
ENGAGEMENT_COLUMNS = [
    "engagement_id", "client_id", "consultant", "signed_date", "start_date", "end_date",
    "retainer_amount", "retainer_frequency", "minimum_months", "retainer_price_rule",
    "retainer_price_days", "notes",
]
GRANT_COLUMNS = ["grant_id", "engagement_id", "holder", "shares", "strike", "grant_date", "expiry_date"]
FINANCING_COLUMNS = ["financing_id", "engagement_id", "date", "amount", "fee_rate", "description"]
ACTIVITY_COLUMNS = [
    "activity_id", "client_id", "date", "end_date", "type", "title", "channel", "reach", "cost",
    "after_close", "notes", "link", "created_at",
]
EFFECT_COLUMNS = [
    "activity_id", "type", "day0", "offset", "date", "phase", "abnormal_return", "volume_multiplier",
]
PAYMENT_COLUMNS = ["engagement_id", "date", "amount", "price", "shares"]

# The schedule of services over the engagement (fixed; not seeded):
# date, type, title, channel, reach, cost, after_close, end_date, notes
_SCHEDULE: tuple[tuple, ...] = (
    ("1999-01-05", "press_release", "Auxer Group retains PMR and Associates for investor relations",
     "wire service", None, 450.0, False, None, "Announces the engagement signed 1999-01-04."),
    ("1999-01-06", "shareholder_inquiry", "Shareholder calls after the PMR announcement (8)",
     "phone", 8, None, False, None, ""),
    ("1999-01-08", "ir_package", "IR package finished: fact sheet, corporate profile, recent releases",
     "print", None, 1850.0, False, None, "Printing of 500 packages."),
    ("1999-01-12", "fax_mail_blast", "Broadcast fax: corporate profile to the PMR fax list",
     "fax", 1800, 270.0, False, None, ""),
    ("1999-01-19", "broker_dealer_mailing", "IR packages mailed to 120 pre-qualified retail brokers",
     "mail", 120, 540.0, False, None, ""),
    ("1999-01-21", "market_maker_intro", "Introduced AXGI to a Jersey City market maker",
     "phone", 1, None, False, None, ""),
    ("1999-01-27", "press_release", "Auxer Group signs letter of intent for a regional acquisition",
     "wire service", None, 450.0, True, None, "Released after the close."),
    ("1999-02-01", "ir_website", "Investor relations pages go live on the company web site",
     "web", None, 1200.0, False, None, ""),
    ("1999-02-03", "investor_outreach", "Calls to individual investors on the PMR list (40 contacts)",
     "phone", 40, None, False, None, ""),
    ("1999-02-08", "press_release", "Chairman's letter to shareholders",
     "wire service", None, 450.0, False, None, ""),
    ("1999-02-10", "shareholder_inquiry", "Answered shareholder inquiries, week of 8 February (11)",
     "phone/e-mail", 11, None, False, None, ""),
    ("1999-02-17", "analyst_intro", "Introduced management to a small-cap research analyst",
     "meeting", 1, 120.0, False, None, "Lunch meeting, San Diego."),
    ("1999-02-22", "fax_mail_blast", "Broadcast fax and mailing of the chairman's letter",
     "fax/mail", 2300, 410.0, False, None, ""),
    ("1999-03-01", "press_release", "Auxer Group reports 1998 year-end results",
     "wire service", None, 450.0, True, None, "Released after the close."),
    ("1999-03-04", "market_maker_intro", "Second market maker begins quoting AXGI",
     "phone", 1, None, False, None, ""),
    ("1999-03-10", "broker_dealer_mailing", "Follow-up packages to 85 brokers who asked for more",
     "mail", 85, 380.0, False, None, ""),
    ("1999-03-15", "conference", "Microcap investor conference, Las Vegas: presentation and booth",
     "in person", 300, 2400.0, False, "1999-03-17", "Three days; presented on the second day."),
    ("1999-03-19", "other", "Monthly activity report to the board",
     "e-mail", None, None, False, None, ""),
    ("1999-03-23", "shareholder_inquiry", "Shareholder inquiries after the conference (14)",
     "phone/e-mail", 14, None, False, None, ""),
    ("1999-03-29", "press_release", "Auxer Group subsidiary signs distribution agreement",
     "wire service", None, 450.0, False, None, ""),
    ("1999-04-06", "investor_outreach", "Presentation to a San Diego investment club",
     "in person", 35, 150.0, False, None, ""),
    ("1999-04-12", "ir_website", "Web site adds a press-release archive and e-mail alerts",
     "web", None, 400.0, False, None, ""),
    ("1999-04-14", "fax_mail_blast", "Broadcast fax: distribution agreement and first-quarter outlook",
     "fax", 2500, 430.0, False, None, ""),
    ("1999-04-22", "press_release", "Auxer Group closes $250,000 private placement",
     "wire service", None, 450.0, False, None, "Placement arranged by PMR (finder's fee 10%)."),
    ("1999-04-28", "analyst_intro", "Analyst site visit to the company's facilities",
     "meeting", 2, 300.0, False, None, ""),
    ("1999-05-04", "market_maker_intro", "Introduced AXGI to a third market maker",
     "phone", 1, None, False, None, ""),
    ("1999-05-11", "broker_dealer_mailing", "IR packages to 140 brokers on the West Coast list",
     "mail", 140, 620.0, False, None, ""),
    ("1999-05-17", "press_release", "Auxer Group reports first-quarter 1999 results",
     "wire service", None, 450.0, True, None, "Released after the close."),
    ("1999-05-20", "shareholder_inquiry", "Answered shareholder inquiries, week of 17 May (9)",
     "phone/e-mail", 9, None, False, None, ""),
    ("1999-05-24", "investor_outreach", "Briefing with a microcap newsletter editor",
     "phone", 1, None, False, None, ""),
    ("1999-06-02", "conference", "Orange County small-cap forum",
     "in person", 150, 1100.0, False, "1999-06-03", "Two days."),
    ("1999-06-08", "fax_mail_blast", "Mailing: shareholder update to 3,100 holders and the fax list",
     "fax/mail", 3100, 980.0, False, None, ""),
    ("1999-06-14", "press_release", "Auxer Group names a new independent director",
     "wire service", None, 450.0, False, None, ""),
    ("1999-06-22", "press_release", "Auxer Group updates shareholders on the acquisition",
     "wire service", None, 450.0, False, None, ""),
    ("1999-06-29", "other", "Six-month program review with the chairman",
     "meeting", None, None, False, None, ""),
)


@dataclass
class DemoWorkspace:
    """The demo's canonical frames (docs/architecture.md) plus the simulation's ground truth."""

    info: dict
    securities: pd.DataFrame
    bars: pd.DataFrame
    splits: pd.DataFrame
    dividends: pd.DataFrame
    shares_outstanding: pd.DataFrame
    clients: pd.DataFrame
    engagements: pd.DataFrame
    option_grants: pd.DataFrame
    financings: pd.DataFrame
    activities: pd.DataFrame
    injected_effects: pd.DataFrame  # long: one row per activity and trading day it moves
    retainer_payments: pd.DataFrame
    truth: dict = field(default_factory=dict)  # market-model parameters of the latent price

    def frames(self) -> dict[str, pd.DataFrame]:
        """Every DataFrame field by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if isinstance(getattr(self, f.name), pd.DataFrame)}


def trading_days(start: pd.Timestamp = START, end: pd.Timestamp = END) -> pd.DatetimeIndex:
    """US weekdays between start and end without the NYSE holidays of 1998-1999."""
    days = pd.bdate_range(start, end)
    return days[~days.isin(pd.DatetimeIndex(NYSE_HOLIDAYS))].astype("datetime64[ns]")


def _dates(values) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]")


def _to_tick(price: np.ndarray | float, floor: bool = False) -> np.ndarray:
    """Round to the 1/256 grid (down when `floor`), at least one tick."""
    ticks = np.floor(np.asarray(price) / TICK) if floor else np.round(np.asarray(price) / TICK)
    return np.maximum(ticks, 1.0) * TICK


def _activities() -> pd.DataFrame:
    rows = []
    for i, (date, kind, title, channel, reach, cost, after_close, end, notes) in enumerate(_SCHEDULE, 1):
        if kind not in ACTIVITY_TYPE_CODES:
            raise ValueError(f"demo schedule: unknown activity type {kind!r}")
        d = pd.Timestamp(date)
        rows.append({
            "activity_id": i, "client_id": CLIENT_ID, "date": d,
            "end_date": pd.Timestamp(end) if end else pd.NaT, "type": kind, "title": title,
            "channel": channel, "reach": reach, "cost": cost, "after_close": after_close,
            "notes": notes or None, "link": None,
            # Logged the evening of the activity: fixed, so the demo is reproducible.
            "created_at": d + pd.Timedelta(hours=18),
        })
    out = pd.DataFrame(rows, columns=ACTIVITY_COLUMNS)
    out["date"] = out["date"].astype("datetime64[ns]")
    out["end_date"] = out["end_date"].astype("datetime64[ns]")
    out["created_at"] = out["created_at"].astype("datetime64[ns]")
    out["reach"] = out["reach"].astype("Int64")
    out["cost"] = out["cost"].astype("float64")
    out["after_close"] = out["after_close"].astype(bool)
    out["activity_id"] = out["activity_id"].astype("int64")
    return out


def _injected_effects(activities: pd.DataFrame, days: pd.DatetimeIndex,
                      rng: np.random.Generator) -> pd.DataFrame:
    """Draw each effective activity's reaction and lay it (and its reversal) on trading days."""
    rows = []
    for act in activities.itertuples(index=False):
        if act.type not in TRUE_EFFECTS:
            continue
        car_mean, car_sd, profile, vol, reversal = TRUE_EFFECTS[act.type]
        pos0 = int(days.searchsorted(act.date, side="right" if act.after_close else "left"))
        if act.type == "conference":
            last = int(days.searchsorted(act.end_date, side="right")) - 1
            n = last - pos0 + 2  # the conference days and the day after
            profile, vol = (1.0 / n,) * n, (CONFERENCE_VOLUME_MULTIPLIER,) * n
        car = float(rng.normal(car_mean, car_sd))
        for k, (share, mult) in enumerate(zip(profile, vol)):
            rows.append((act.activity_id, act.type, days[pos0], k, days[pos0 + k], "reaction",
                         car * share, mult))
        lo, hi = REVERSAL_DAYS
        step = -reversal * car / (hi - lo + 1)
        for k in range(lo, hi + 1) if reversal else ():
            if pos0 + k < len(days):
                rows.append((act.activity_id, act.type, days[pos0], k, days[pos0 + k], "reversal",
                             step, 1.0))
    out = pd.DataFrame(rows, columns=EFFECT_COLUMNS)
    for col in ("day0", "date"):
        out[col] = out[col].astype("datetime64[ns]")
    return out


def injected_car(effects: pd.DataFrame, start: int = 0, end: int = 5) -> pd.Series:
    """True cumulative injected abnormal (log) return over day offsets start..end, by activity_id."""
    window = effects[(effects["offset"] >= start) & (effects["offset"] <= end)]
    return window.groupby("activity_id")["abnormal_return"].sum().rename("true_car")


def injected_window_return(effects: pd.DataFrame, dates) -> float:
    """Sum of every activity's injected abnormal (log) return on `dates` (overlaps included)."""
    return float(effects.loc[effects["date"].isin(pd.DatetimeIndex(dates)), "abnormal_return"].sum())


def _market(days: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
    mu = np.zeros(len(days))
    sd = np.zeros(len(days))
    for start, end, drift, vol in MARKET_REGIMES:  # later regimes override the base one
        mask = (days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))
        mu[mask], sd[mask] = drift, vol
    r = mu + sd * rng.standard_normal(len(days))
    r[0] = 0.0
    return r


def _benchmark_bars(days: pd.DatetimeIndex, r_m: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    close = np.round(100.0 * np.exp(np.cumsum(r_m)), 2)
    prev = np.concatenate([[close[0]], close[:-1]])
    open_ = np.round(prev * np.exp(rng.normal(0.0, 0.003, len(days))), 2)
    high = np.maximum(np.round(np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.004, len(days)))), 2),
                      np.maximum(open_, close))
    low = np.minimum(np.round(np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.004, len(days)))), 2),
                     np.minimum(open_, close))
    volume = np.round(np.exp(rng.normal(np.log(6e8), 0.25, len(days))), -5)
    return pd.DataFrame({
        "ticker": BENCHMARK, "date": days, "open": open_, "high": high, "low": low, "close": close,
        "adj_close": close, "volume": volume, "source": SOURCE,
    })


def _stock_bars(days: pd.DatetimeIndex, r_m: np.ndarray, effects: pd.DataFrame,
                rng: np.random.Generator) -> pd.DataFrame:
    n = len(days)
    pos = days.get_indexer(effects["date"])
    event_ret = np.bincount(pos, weights=effects["abnormal_return"].to_numpy(), minlength=n)
    vol_mult = np.ones(n)
    np.multiply.at(vol_mult, pos, effects["volume_multiplier"].to_numpy())

    # Latent price: market factor + mean-reverting fat-tailed idiosyncratic level + events.
    e = IDIO_SD * rng.standard_t(4, n) / np.sqrt(2.0)
    e[0] = 0.0
    u = np.zeros(n)
    for t in range(1, n):
        u[t] = (1.0 - KAPPA) * u[t - 1] + e[t]
    log_p = BETA * np.cumsum(r_m) + u + np.cumsum(event_ret)
    # Shift the level so the latent price on the signing date is ANCHOR_PRICE whatever the seed.
    log_p += np.log(ANCHOR_PRICE) - log_p[days.searchsorted(SIGNED)]
    latent = np.clip(np.exp(log_p), 2 * TICK, PRICE_CAP)

    # Which days trade: a sticky chain, pushed towards trading by events.
    draws = rng.random(n)
    traded = np.zeros(n, dtype=bool)
    traded[0] = True
    for t in range(1, n):
        p = P_TRADE_AFTER_TRADE if traded[t - 1] else P_TRADE_AFTER_NONE
        if vol_mult[t] >= 2.0:
            p = max(p, P_TRADE_EVENT)
        elif vol_mult[t] > 1.0:
            p = 1.0 - (1.0 - p) / vol_mult[t]
        traded[t] = draws[t] < p
    idle = np.flatnonzero(~traded)
    stale = set(rng.choice(idle, size=min(N_STALE_CLOSE, len(idle)), replace=False).tolist())

    quote = _to_tick(latent)
    open_frac = rng.uniform(0.0, 0.6, n)
    extra_hi = rng.choice([0, 1, 2], size=n, p=[0.55, 0.35, 0.10])
    extra_lo = rng.choice([0, 1, 2], size=n, p=[0.55, 0.35, 0.10])
    base_vol = np.exp(rng.normal(np.log(VOLUME_MEDIAN), VOLUME_LOG_SD, n))
    spike = np.where(rng.random(n) < SPIKE_PROB, rng.uniform(*SPIKE_RANGE, n), 1.0)

    o = np.empty(n); h = np.empty(n); lo = np.empty(n); c = np.empty(n); v = np.zeros(n)
    prev = quote[0]
    for t in range(n):
        if traded[t]:
            c[t] = quote[t]
            o[t] = _to_tick(prev + open_frac[t] * (c[t] - prev))
            h[t] = max(o[t], c[t]) + extra_hi[t] * TICK
            lo[t] = max(min(o[t], c[t]) - extra_lo[t] * TICK, TICK)
            v[t] = max(np.round(base_vol[t] * vol_mult[t] * spike[t], -2), 100.0)
        else:
            if t in stale:  # the quote moved without a trade
                new = quote[t] if quote[t] != prev else prev + (TICK if latent[t] >= prev else -TICK)
                c[t] = max(new, TICK)
            else:
                c[t] = prev
            o[t] = h[t] = lo[t] = c[t]
        prev = c[t]
    return pd.DataFrame({
        "ticker": TICKER, "date": days, "open": o, "high": h, "low": lo, "close": c,
        "adj_close": c, "volume": v, "source": SOURCE,
    })


def _payment_dates(days: pd.DatetimeIndex) -> list[pd.Timestamp]:
    """Monthly anniversaries of the start, rolled forward to the next trading day."""
    out = []
    for k in range(RETAINER_MONTHS):
        due = SIGNED + pd.DateOffset(months=k)
        out.append(days[days.searchsorted(due)])
    return out


def _avg_close_prior(bars: pd.DataFrame, date: pd.Timestamp, n: int = PRICE_DAYS) -> float:
    prior = bars.loc[bars["date"] < date, "close"].tail(n)
    return float(prior.mean())


def build_demo_frames(seed: int = DEFAULT_SEED) -> DemoWorkspace:
    """Build the demo workspace's frames from `seed` (pure and deterministic)."""
    rng = np.random.default_rng(seed)
    days = trading_days()
    activities = _activities()
    effects = _injected_effects(activities, days, rng)
    r_m = _market(days, rng)
    bench = _benchmark_bars(days, r_m, rng)
    stock = _stock_bars(days, r_m, effects, rng)
    bars = pd.concat([stock, bench], ignore_index=True)
    bars["date"] = bars["date"].astype("datetime64[ns]")
    bars["volume"] = bars["volume"].astype("float64")

    payments = []
    for date in _payment_dates(days):
        price = _avg_close_prior(stock, date)
        payments.append((ENGAGEMENT_ID, date, RETAINER, price, float(round(RETAINER / price))))
    payments = pd.DataFrame(payments, columns=PAYMENT_COLUMNS)
    payments["date"] = payments["date"].astype("datetime64[ns]")

    placement_price = float(_to_tick(FINANCING_DISCOUNT * _avg_close_prior(stock, FINANCING_DATE), floor=True))
    placement_shares = float(round(FINANCING_AMOUNT / placement_price))

    issues = [(START, SHARES_START), SHARES_1998_ISSUE]
    issues += list(zip(payments["date"], payments["shares"]))
    issues.append((FINANCING_DATE, placement_shares))
    issues.sort(key=lambda x: x[0])
    shares = pd.DataFrame({
        "ticker": TICKER, "date": _dates([d for d, _ in issues]),
        "shares": np.cumsum([s for _, s in issues]).astype("float64"), "source": SOURCE,
    })

    notes = (
        "Terms from the signed proposal of 1999-01-04: $3,500 a month, three-month minimum, paid in "
        "free-trading common stock; option on 5,000,000 shares at $0.04 expiring 1999-02-15; finder's "
        "fee on financings under a separate agreement. Demo assumptions: renewed month to month for six "
        "monthly periods (1999-01-04 to 1999-07-03); each payment in advance on the monthly anniversary "
        "of the start (next trading day), priced at the average close of the 5 trading days before the "
        "payment date. Prices and volumes are simulated."
    )
    engagements = pd.DataFrame([{
        "engagement_id": ENGAGEMENT_ID, "client_id": CLIENT_ID, "consultant": CONSULTANT,
        "signed_date": SIGNED, "start_date": SIGNED, "end_date": ENGAGEMENT_END,
        "retainer_amount": RETAINER, "retainer_frequency": "monthly", "minimum_months": MINIMUM_MONTHS,
        "retainer_price_rule": PRICE_RULE, "retainer_price_days": PRICE_DAYS, "notes": notes,
    }], columns=ENGAGEMENT_COLUMNS)
    for col in ("signed_date", "start_date", "end_date"):
        engagements[col] = engagements[col].astype("datetime64[ns]")

    grants = pd.DataFrame([{
        "grant_id": 1, "engagement_id": ENGAGEMENT_ID, "holder": "Patrick M. Rost or his assigns",
        "shares": OPTION_SHARES, "strike": OPTION_STRIKE, "grant_date": SIGNED,
        "expiry_date": OPTION_EXPIRY,
    }], columns=GRANT_COLUMNS)
    for col in ("grant_date", "expiry_date"):
        grants[col] = grants[col].astype("datetime64[ns]")

    financings = pd.DataFrame([{
        "financing_id": 1, "engagement_id": ENGAGEMENT_ID, "date": FINANCING_DATE,
        "amount": FINANCING_AMOUNT, "fee_rate": FINANCING_FEE,
        "description": (
            f"Private placement of {placement_shares:,.0f} restricted shares at ${placement_price:.5f} "
            f"(80% of the 5-day average close) arranged by PMR and Associates; "
            f"{FINANCING_FEE:.0%} finder's fee (${FINANCING_AMOUNT * FINANCING_FEE:,.0f}). Simulated."
        ),
    }], columns=FINANCING_COLUMNS)
    financings["date"] = financings["date"].astype("datetime64[ns]")

    securities = pd.DataFrame([
        {"ticker": TICKER, "name": "Auxer Group, Inc. - AXGI (simulated)", "kind": "equity", "simulated": True},
        {"ticker": BENCHMARK, "name": "Market index, base 100 (simulated)", "kind": "index", "simulated": True},
    ], columns=SECURITY_COLUMNS)
    clients = pd.DataFrame([{
        "client_id": CLIENT_ID, "name": "Auxer Group, Inc.", "ticker": TICKER, "benchmark": BENCHMARK,
    }], columns=CLIENT_COLUMNS)
    splits = pd.DataFrame({"ticker": pd.Series(dtype="str"), "date": pd.Series(dtype="datetime64[ns]"),
                           "ratio": pd.Series(dtype="float64")})
    dividends = pd.DataFrame({"ticker": pd.Series(dtype="str"), "date": pd.Series(dtype="datetime64[ns]"),
                              "amount": pd.Series(dtype="float64")})

    return DemoWorkspace(
        info={"name": WORKSPACE_NAME, "simulated": True, "seed": int(seed)},
        securities=securities, bars=bars, splits=splits, dividends=dividends,
        shares_outstanding=shares, clients=clients, engagements=engagements, option_grants=grants,
        financings=financings, activities=activities, injected_effects=effects,
        retainer_payments=payments,
        truth={"beta": BETA, "alpha": 0.0, "idio_sd": IDIO_SD, "kappa": KAPPA, "tick": TICK,
               "market": BENCHMARK, "reversal_days": REVERSAL_DAYS},
    )


def simulate_bars(ticker: str, start=None, end=None, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The demo's simulated bars of `ticker` (AXGI or ^SIMIDX) from start to end, both inclusive.

    The same bars as ``build_demo_frames(seed).bars``; raises TickerNotFoundError for any other ticker
    and EmptyDataError when the range holds no simulated trading day (never an empty frame).
    """
    from ingest.providers.errors import EmptyDataError, TickerNotFoundError

    symbol = str(ticker).strip().upper()
    if symbol not in (TICKER, BENCHMARK):
        raise TickerNotFoundError(
            f"The demo simulates only {TICKER} and {BENCHMARK}, not {symbol}: load real tickers with "
            f"`python -m ingest load-yahoo {symbol}` (or load-csv).")
    bars = build_demo_frames(seed).bars
    keep = (bars["ticker"] == symbol).to_numpy().copy()
    if start is not None:
        keep &= (bars["date"] >= pd.Timestamp(start)).to_numpy()
    if end is not None:
        keep &= (bars["date"] <= pd.Timestamp(end)).to_numpy()
    if not keep.any():
        raise EmptyDataError(
            f"The demo has no simulated bars of {symbol} between {start} and {end}: it covers "
            f"{START.date()} to {END.date()}.")
    return bars[keep].reset_index(drop=True)


# ---- writing the workspace through the Store API ----------------------------------------------
# Activity columns compared to decide whether the stored demo log is already the generated one.
_ACTIVITY_KEY = ["date", "end_date", "type", "title", "channel", "reach", "cost", "after_close",
                 "notes", "link"]


def _activity_key(frame: pd.DataFrame) -> list[tuple]:
    """Order-independent comparable rows of an activity frame (missing values as None)."""
    out = []
    for row in frame[_ACTIVITY_KEY].itertuples(index=False):
        out.append(tuple(None if (not isinstance(v, str) and pd.isna(v)) or v == "" else
                         (pd.Timestamp(v).normalize() if isinstance(v, (pd.Timestamp, np.datetime64)) else
                          (float(v) if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) else v))
                         for v in row))
    return sorted(out, key=repr)


def _existing_id(frame: pd.DataFrame, id_col: str, **match) -> int | None:
    """Id of the first stored row whose columns equal `match`, else None (a new row)."""
    hit = frame
    for col, value in match.items():
        hit = hit[hit[col] == value]
    return int(hit[id_col].iloc[0]) if len(hit) else None


def _row(frame: pd.DataFrame, drop: tuple[str, ...] = ()) -> dict:
    """The single row of `frame` as plain Python values (NaT/NaN -> None)."""
    rec = frame.drop(columns=list(drop)).iloc[0].to_dict()
    return {k: (None if not isinstance(v, str) and pd.isna(v) else
                v.item() if isinstance(v, np.generic) else v) for k, v in rec.items()}


# Simulated quarterly earnings releases of AXGI (non-IR events that confound the activities around them);
# the year-end (1999-03-01) and first-quarter (1999-05-17) results are also logged as press releases of
# the activity log, as issue 10 found on real data.
DEMO_EARNINGS = (("1998-08-14", "Q2 1998 results"), ("1998-11-13", "Q3 1998 results"),
                 ("1999-03-01", "1998 year-end results"), ("1999-05-17", "Q1 1999 results"),
                 ("1999-08-13", "Q2 1999 results"), ("1999-11-12", "Q3 1999 results"))


def _write_corporate_events(store) -> None:
    """Upsert the simulated earnings releases (labelled simulated, source demo-simulated, written at BUILT_AT)."""
    from store import upsert_corporate_events
    upsert_corporate_events(store, pd.DataFrame({
        "ticker": TICKER, "date": pd.to_datetime([d for d, _ in DEMO_EARNINGS]), "kind": "earnings",
        "title": [f"{title} (simulated)" for _, title in DEMO_EARNINGS], "source": SOURCE}), ingested_at=BUILT_AT)


def write_demo_workspace(store, seed: int = DEFAULT_SEED,
                         progress: Callable[[str], None] | None = None) -> dict:
    """Write the demo workspace into `store` (Store API only); running it twice leaves the same rows.

    Bars are upserted (unchanged rows stay untouched); the client, engagement, option grant and
    financing are matched on their natural keys and replaced in place; the demo client's activity
    log is replaced only when it differs from the generated one. Returns a summary dict.
    """
    say = progress or (lambda text: None)
    ws = build_demo_frames(seed)
    store.init()

    say("securities")
    for sec in ws.securities.itertuples(index=False):
        store.upsert_security(sec.ticker, name=sec.name, kind=sec.kind, simulated=bool(sec.simulated),
                              added_at=BUILT_AT)

    say(f"bars: {len(ws.bars)} rows of {', '.join(ws.securities['ticker'])}")
    bars = ws.bars
    try:
        from ingest.bars import validate_bars
    except ImportError:  # validation module not available: the store's own end-of-load check remains
        pass
    else:
        bars = validate_bars(bars)[BAR_COLUMNS]
    written = store.upsert_bars(bars, ingested_at=BUILT_AT)
    for ticker in ws.securities["ticker"]:  # the demo has no corporate actions: keep it that way
        store.replace_splits(ticker, ws.splits[ws.splits["ticker"] == ticker])
        store.replace_dividends(ticker, ws.dividends[ws.dividends["ticker"] == ticker])
    store.upsert_shares_outstanding(ws.shares_outstanding)

    say("client, engagement, option grant, financing")
    client = _row(ws.clients)
    store.save_client(client["client_id"], client["name"], client["ticker"], client["benchmark"])
    eng = _row(ws.engagements, drop=("engagement_id",))
    eng_id = _existing_id(store.engagements(CLIENT_ID), "engagement_id",
                          consultant=eng["consultant"], signed_date=pd.Timestamp(eng["signed_date"]))
    eng_id = store.save_engagement(**eng, **({"engagement_id": eng_id} if eng_id is not None else {}))

    grant_ids, financing_ids = [], []
    stored_grants = store.option_grants(eng_id)
    for i in range(len(ws.option_grants)):
        grant = {**_row(ws.option_grants.iloc[[i]], drop=("grant_id",)), "engagement_id": eng_id}
        gid = _existing_id(stored_grants, "grant_id", holder=grant["holder"],
                           grant_date=pd.Timestamp(grant["grant_date"]))
        grant_ids.append(store.save_option_grant(**grant, **({"grant_id": gid} if gid is not None else {})))
    stored_fin = store.financings(eng_id)
    for i in range(len(ws.financings)):
        fin = {**_row(ws.financings.iloc[[i]], drop=("financing_id",)), "engagement_id": eng_id}
        fid = _existing_id(stored_fin, "financing_id", date=pd.Timestamp(fin["date"]))
        financing_ids.append(store.save_financing(**fin, **({"financing_id": fid} if fid is not None else {})))

    say(f"activities: {len(ws.activities)}")
    stored = store.activities(CLIENT_ID)
    if _activity_key(stored) == _activity_key(ws.activities):
        activity_ids = stored["activity_id"].astype(int).tolist()
        activities_replaced = False
    else:
        store.delete_activities(stored["activity_id"].astype(int).tolist())
        activity_ids = store.add_activities(ws.activities.drop(columns=["activity_id"]))
        activities_replaced = True

    say("corporate events (simulated earnings releases)")
    _write_corporate_events(store)
    store.set_workspace_info(name=ws.info["name"], simulated=True)
    summary = {
        "seed": int(seed), "name": ws.info["name"], "simulated": True,
        "bars": {"added": written.added, "updated": written.updated, "unchanged": written.unchanged},
        "securities": len(ws.securities), "shares_outstanding": len(ws.shares_outstanding),
        "client_id": CLIENT_ID, "engagement_id": eng_id, "grant_ids": grant_ids,
        "financing_ids": financing_ids, "activities": len(activity_ids),
        "activity_ids": activity_ids, "activities_replaced": activities_replaced,
        # demo-local activity_id (as in injected_effects) -> id in the store
        "activity_id_map": dict(zip(ws.activities["activity_id"].astype(int).tolist(), activity_ids)),
    }
    # the records beside the activity log (issues 12, 13), all simulated: peers first (their bars),
    # then the services logs, then the integrity record (its objectives read the services logs)
    from ingest.demo_integrity import write_demo_integrity
    from ingest.demo_peers import write_demo_peers
    from ingest.demo_services import write_demo_services

    say("peers (three simulated peer tickers)")
    summary["peers"] = write_demo_peers(store, summary)
    say("services (simulated inquiries, mailings, market-maker and analyst counts)")
    summary["services"] = write_demo_services(store, summary)
    say("promotion integrity (simulated trades, objectives, disclosure flags, a manual payment)")
    summary["integrity"] = write_demo_integrity(store, summary)
    say("done")
    return summary
