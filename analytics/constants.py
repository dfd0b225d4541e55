"""Constants shared by the analytics, the ingest jobs and the dashboard.

One place for trading-calendar facts, default windows, thresholds and the
activity-type vocabulary, so no page or job carries a magic number.
"""
from __future__ import annotations

# Calendar
TRADING_DAYS_PER_YEAR = 252

# Event-study defaults (MacKinlay 1997 layout; offsets are trading days relative to day 0)
DEFAULT_ESTIMATION_WINDOW: tuple[int, int] = (-120, -11)
DEFAULT_EVENT_WINDOWS: tuple[tuple[int, int], ...] = ((-1, 1), (0, 5))
MIN_ESTIMATION_OBS = 30
DEFAULT_PLACEBO_DRAWS = 1000
DEFAULT_SEED = 19990104  # the date the reference engagement was signed

# Thin trading: above this share of zero-volume days a result is flagged as unreliable
THIN_TRADING_WARN_SHARE = 0.5
# Abnormal volume: constant added to turnover before the log (Campbell and Wasley 1996)
LOG_TURNOVER_EPSILON = 0.000255

# Persistence horizons (trading days after the event) for reversal checks
PERSISTENCE_HORIZONS: tuple[int, ...] = (20, 60)

# Option valuation
DEFAULT_RISK_FREE_RATE = 0.05   # annual, continuously compounded; roughly the 1999 3-month T-bill
DEFAULT_VOL_WINDOW = 60         # trailing trading days of returns for the volatility estimate

# ROI reporting
ROI_INTERVAL_LEVEL = 0.90

# Data quality
STALE_DATA_DAYS = 5             # calendar days without a new bar before the data counts as stale
REFRESH_OVERLAP_DAYS = 5        # incremental refresh re-fetches this many calendar days to catch revisions

# The activity vocabulary: every service of the reference engagement (letters A-J) plus "other".
# code -> (label, service letter in the engagement or "")
ACTIVITY_TYPES: dict[str, tuple[str, str]] = {
    "ir_package": ("IR package", "A"),
    "broker_dealer_mailing": ("Broker/dealer mailing", "B"),
    "market_maker_intro": ("Market-maker introduction", "C"),
    "investor_outreach": ("Investor awareness outreach", "D"),
    "analyst_intro": ("Analyst introduction", "E"),
    "ir_website": ("IR website", "F"),
    "press_release": ("Press release", "G"),
    "fax_mail_blast": ("Fax/mail blast", "H"),
    "shareholder_inquiry": ("Shareholder inquiry", "I"),
    "conference": ("Conference", "J"),
    "other": ("Other", ""),
}
ACTIVITY_TYPE_CODES: tuple[str, ...] = tuple(ACTIVITY_TYPES)


def activity_label(code: str) -> str:
    """Human label of an activity type code (the code itself when unknown)."""
    return ACTIVITY_TYPES.get(code, (code, ""))[0]

# Overview alerts (dashboard)
VOLUME_ALERT_RATIO = 3.0        # alert when the last volume is this many times its normal level
NORMAL_VOLUME_DAYS = 60         # trailing trading days whose median volume is the "normal" level
EXPIRY_ALERT_DAYS = 30          # alert when a live option expires within this many calendar days

# Option valuation: fewest daily log returns in the trailing window before a volatility is
# reported (below DEFAULT_VOL_WINDOW so a grant made soon after a listing still gets a fair
# value), and the day count of Black-Scholes time to expiry (ACT/365, calendar days)
MIN_VOL_OBS = 20
CALENDAR_DAYS_PER_YEAR = 365.0

# Persistence: share of the event-window CAR still present at a horizon above which the move
# "persisted"; between 0 and this it "partly reversed"; at or below 0 it "reversed"
PERSISTED_SHARE = 0.5

# ROI interval: draws of the seeded residual bootstrap
DEFAULT_BOOTSTRAP_DRAWS = 2000

# Retainer paid in stock: a payment whose anniversary falls on a non-trading day is made on the
# next trading day ("following", the usual business-day convention for payment dates; ISDA 2006
# Definitions s. 4.12); "preceding" and "modified_following" are the alternatives
RETAINER_PAYMENT_ROLLS: tuple[str, ...] = ("following", "preceding", "modified_following")
DEFAULT_RETAINER_PAYMENT_ROLL = "following"

# Thin trading chosen by the data (event_study(..., thin_trading="auto")): trade-to-trade
# returns when more than this share of the studied stocks' trading days have no volume.  At one
# day in ten without a trade, about one daily return in five is a stale zero or the catch-up
# jump after it, which biases the OLS beta toward zero and puts the catch-up variance on the
# days after a gap (Maynes and Rumsey 1993); trade-to-trade returns use real trades only.
THIN_TRADING_AUTO_SHARE = 0.10
# Headline test: a group whose estimation windows average more zero-volume days than this
# share is "thinly traded" for the choice of its headline test (the rank test GRANK then)
THIN_TRADING_HEADLINE_SHARE = 0.10
# Multiple testing: the method of the summary's adjusted headline p-values (Holm 1979)
HEADLINE_P_ADJUSTMENT = "holm"
# Minimum detectable CAR: power and two-sided level (Bloom 1995)
MDE_POWER = 0.80
MDE_ALPHA = 0.05

# --- Liquidity before/during tests (issue 9 point 7) ---
# Fewest placebo split dates of the stock's own history for the split-date placebo test of a
# liquidity change; with fewer, liquidity_difference falls back to HAC with a data-driven lag
LIQUIDITY_MIN_PLACEBO_SPLITS = 20

# --- Option volatility robust to tick noise and thin trading (issue 9 point 8) ---
# Default estimator of the option's volatility: trade-to-trade log returns scaled by their span
# with the first-order autocovariance correction of Zhou (1996); see analytics.options
DEFAULT_VOLATILITY_METHOD = "trade_to_trade_zhou"
# Trading days in one return of the "weekly" estimator
WEEKLY_RETURN_DAYS = 5
