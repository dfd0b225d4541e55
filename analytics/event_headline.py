"""Which test the product reports: the headline test of each summary row, and why.

:meth:`analytics.event_study.EventStudyResult.summary` computes every cross-event test, but
the pages, the report and the CLI give one verdict per activity type and window.  That verdict
reads the test chosen here for the situation of the group's events, because the tests differ
in what they survive (measured on simulated data in issue 9; sizes at 5%):

=============================================  ===================  =========================
situation                                      headline test        why
=============================================  ===================  =========================
one event                                      ``car_t``            the event's own t test
one stock, activities clustered (a window      ``campaign_t``       shared days and a shared
touches another's window or estimation         (``bmp_overlap``     estimation window make
window)                                        without the          the CARs dependent: t,
                                               campaign model)      Patell, BMP reject 12-28%
several stocks, event windows on common        ``kolari_pynnonen``  cross-correlation of
calendar dates                                 (``grank`` if thin)  different stocks on the
                                                                    same dates (KP 2010)
thinly traded (many zero-volume days)          ``grank``            ranks survive stale zeros
                                                                    and catch-up jumps
otherwise (independent dates)                  ``bmp``              robust to event-induced
                                                                    variance (Patell: 18%)
=============================================  ===================  =========================

``campaign_t`` is the pooled t of :func:`analytics.campaign.campaign_study` (Karafiath 1988
dummy-variable model, one regression per stock); when it cannot be used (Dimson betas, or
several stocks in one group) the overlap-adjusted BMP (:func:`analytics.significance.
bmp_overlap_test`) takes its place.
"""
from __future__ import annotations

import numpy as np

__all__ = ["choose_headline_test", "same_stock_clustered", "common_calendar_dates",
           "HEADLINE_TESTS"]

#: every name :func:`choose_headline_test` can return
HEADLINE_TESTS: tuple[str, ...] = ("car_t", "campaign_t", "bmp_overlap", "kolari_pynnonen",
                                   "grank", "bmp")

_REASONS = {
    "car_t": "one event: its own CAR t test (no cross-event test exists for N=1)",
    "campaign_t": ("one stock with clustered activities: the campaign model studies them "
                   "jointly, so shared days enter once and no activity's reaction sits in "
                   "another's estimation window (Karafiath 1988)"),
    "bmp_overlap": ("one stock with clustered activities: BMP with the covariance of the "
                    "windows' shared days (the campaign model is not available here)"),
    "kolari_pynnonen": ("several stocks with event windows on common dates: BMP adjusted for "
                        "their cross-correlation (Kolari and Pynnonen 2010)"),
    "grank": ("thinly traded: the generalized rank test (Kolari and Pynnonen 2011) is robust "
              "to stale prices, fat tails and event-induced variance"),
    "bmp": ("independent event dates: BMP, robust to event-induced variance (Boehmer, "
            "Musumeci and Poulsen 1991)"),
}


def choose_headline_test(n_events: int, n_stocks: int, *, clustered: bool,
                         common_dates: bool, thin: bool,
                         campaign_available: bool) -> tuple[str, str]:
    """The test a group's verdict reads, and the reason in words.

    Parameters
    ----------
    n_events : int
        Events in the group (one window).
    n_stocks : int
        Distinct stocks among them.
    clustered : bool
        Two events of one stock lie so close that a window touches the other's window or
        estimation window (:func:`same_stock_clustered`).
    common_dates : bool
        Events of different stocks have event windows on common calendar dates
        (:func:`common_calendar_dates`).
    thin : bool
        The group's estimation windows average more zero-volume days than
        ``THIN_TRADING_HEADLINE_SHARE``.
    campaign_available : bool
        The campaign model can be fitted (one stock, a model and thin-trading method it
        supports).

    Returns
    -------
    (str, str)
        One of :data:`HEADLINE_TESTS` and the reason (see the module docstring's table; rules
        apply in that order).
    """
    if n_events <= 1:
        name = "car_t"
    elif clustered:
        name = "campaign_t" if (campaign_available and n_stocks == 1) else "bmp_overlap"
    elif n_stocks > 1 and common_dates:
        name = "grank" if thin else "kolari_pynnonen"
    elif thin:
        name = "grank"
    else:
        name = "bmp"
    reason = _REASONS[name]
    if name == "grank" and n_stocks > 1 and common_dates:
        reason += "; the events share calendar dates, which the ranks tolerate better than BMP"
    return name, reason


def same_stock_clustered(stock: np.ndarray, day0_pos: np.ndarray, window: tuple[int, int],
                         estimation_window: tuple[int, int]) -> bool:
    """Whether two events of one stock are close enough to make their CARs dependent.

    With day-0 positions ``c_i <= c_j`` on the stock's trading days, event j's estimation
    window ``[c_j + e0, c_j + e1]`` or event window ``[c_j + a, c_j + b]`` touches event i's
    window ``[c_i + a, c_i + b]`` exactly when ``c_j - c_i <= b - e0``.
    """
    a, b = window
    e0, _ = estimation_window
    stock = np.asarray(stock)
    pos = np.asarray(day0_pos, dtype=np.int64)
    order = np.lexsort((pos, stock))
    s, p = stock[order], pos[order]
    same = s[1:] == s[:-1]
    return bool((same & (np.diff(p) <= b - e0)).any())


def common_calendar_dates(stock: np.ndarray, first_day: np.ndarray, last_day: np.ndarray) -> bool:
    """Whether events of different stocks have event windows sharing a calendar date.

    ``first_day``, ``last_day``: calendar day numbers of each event window's first and last
    trading day.
    """
    stock = np.asarray(stock)
    lo = np.asarray(first_day, dtype=np.int64)
    hi = np.asarray(last_day, dtype=np.int64)
    if len(np.unique(stock)) < 2:
        return False
    # every calendar day each window spans, with its stock: a day held by two stocks
    codes = np.unique(stock, return_inverse=True)[1].astype(np.int64)
    length = np.maximum(hi - lo + 1, 1)
    ev = np.repeat(np.arange(len(lo)), length)
    day = lo[ev] + (np.arange(len(ev)) - np.repeat(np.cumsum(length) - length, length))
    pairs = np.unique(np.stack([day, codes[ev]], axis=1), axis=0)
    return bool((np.diff(pairs[:, 0]) == 0).any())
