"""The result of an event study: CARs, abnormal returns by day, paths, volume, residuals.

:class:`EventStudyResult` is what :func:`analytics.event_study.event_study` returns: the
``cars`` and ``skipped`` tables built by the engine, and the lazily computed ``abnormal``
table (every studied event's report range, with the AR variance and the running CAR and its
variance), ``caar_path`` (the chart's average path with its band), ``abnormal_volume`` and
``estimation_residuals``.  The tests across events (``summary``, ``placebo``) come from
:class:`analytics.event_tests.CrossEventTests`.  The engine's arrays are kept in ``_state``
(the panel, the model's coefficients, inverses and variances) so that these are gathered
again from the panel when asked for, not stored.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analytics.event_models import _INTERCEPT, _window_arrays
from analytics.event_panel import _PAD_DAY, _Panel, _day_numbers, _take, regular_pages
from analytics.event_tests import CrossEventTests
from analytics.event_variance import path_moments

__all__ = ["EventStudyResult", "ABNORMAL_COLUMNS"]

ABNORMAL_COLUMNS: tuple[str, ...] = (
    "event_id", "ticker", "rel_day", "date", "ret", "market_ret", "expected", "ar",
    "span", "volume", "ar_var", "cum_ar", "cum_ar_var",
)


# --------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------
@dataclass
class EventStudyResult(CrossEventTests):
    """Output of :func:`event_study`.

    Attributes
    ----------
    cars : DataFrame
        One row per studied event and window: ``event_id, ticker, event_date`` (as given),
        ``day0_date`` (the trading day that is day 0), ``window_start, window_end``, ``car``,
        ``car_var`` (with estimation error), ``car_t``, ``p_value`` (two-sided Student t,
        ``dof`` degrees of freedom), ``n_est`` (usable estimation returns), ``dof``
        (``n_est`` minus the model's parameters), ``sigma`` (residual standard deviation per
        day), ``n_obs`` (days of the window with a return), the zero-volume shares of the
        estimation and event windows and ``thin_warning``; ``alpha, beta`` for the market
        model (``beta`` = Dimson sum with ``thin_trading="dimson"``), ``mu`` for the
        constant-mean model; then every extra column of ``events``.
    skipped : DataFrame
        ``event_id, ticker, event_date, window_start, window_end, reason``; the window
        columns are empty when the whole event could not be studied.
    abnormal : DataFrame
        One row per studied event and relative day of the report range:
        ``event_id, ticker, rel_day, date, ret, market_ret, expected, ar`` plus ``span``
        (trading days covered by the return), ``volume``, ``ar_var`` (variance of the day's
        AR with estimation error), ``cum_ar`` and ``cum_ar_var`` (cumulated from the first
        day of the report range).  ``ret``/``ar`` are NaN on days without a return.
    """

    model: str
    estimation_window: tuple[int, int]
    event_windows: tuple[tuple[int, int], ...]
    report_window: tuple[int, int]
    thin_trading: str | None
    dimson_lags: int
    events: pd.DataFrame
    cars: pd.DataFrame
    skipped: pd.DataFrame
    _state: dict[str, Any] = field(repr=False, default_factory=dict)
    #: the thin-trading method used (``thin_trading`` as given, or what ``"auto"`` chose)
    thin_trading_chosen: str | None = None
    #: why: "as asked", or the zero-volume share against ``THIN_TRADING_AUTO_SHARE``
    thin_trading_reason: str = ""

    # ---- abnormal returns by relative day --------------------------------------------
    def _window(self) -> dict[str, Any]:
        """The report range of every studied event, gathered again from the panel.

        Not kept from :func:`event_study` (it is several arrays of events x days): only
        ``abnormal`` (which builds its table and lets them go) and the placebo need it.
        """
        s = self._state
        return _window_arrays(s["panel"], s["design"], s["coef"], s["row"], s["col0"],
                              s["lens"], s["rel"], self.model)

    def _event_window_ar(self) -> np.ndarray:
        """Abnormal returns of the report range, 0 where no return (kept for the placebo)."""
        s = self._state
        if "ar_obs" not in s:
            s["ar_obs"] = self._window()["ar_obs"]
        return s["ar_obs"]

    @cached_property
    def abnormal(self) -> pd.DataFrame:
        with regular_pages():  # a table of every event's report days: fresh memory, see there
            return self._abnormal_frame()

    def _abnormal_frame(self) -> pd.DataFrame:
        s = self._state
        if not s or s["n"] == 0:
            return pd.DataFrame({c: pd.Series(dtype=float) for c in ABNORMAL_COLUMNS})
        win = self._window()
        inrange = win["inrange"]
        panel: _Panel = s["panel"]
        rel = s["rel"]
        rows = s["row"]
        if inrange.all():
            # every day of every event inside its history: flat views, no fancy-index copies
            ev_i = np.repeat(np.arange(inrange.shape[0]), inrange.shape[1])
            day_i = None

            def pick(a):
                return np.ascontiguousarray(a).reshape(-1)
        else:
            ev_i, day_i = np.nonzero(inrange)

            def pick(a):
                return a[ev_i, day_i]
        flat = pick(win.pop("flat"))
        obs = win["obs"]
        ar = np.where(obs, win.pop("ar"), np.nan)
        ret = np.where(obs, win.pop("ret_w"), np.nan)
        span = win["span_w"] if win["span_w"] is not None else 1.0
        frame = {
            "event_id": _take(self.events["event_id"], s["event_index"][ev_i]),
            "ticker": panel.tickers.array.take(rows[ev_i]),
            "rel_day": np.tile(rel, inrange.shape[0]) if day_i is None else rel[day_i],
            "date": (panel.days.reshape(-1)[flat] * np.int64(86_400_000_000_000)).view("datetime64[ns]"),
            "ret": pick(ret),
            "market_ret": pick(win.pop("mret_w")),
            "expected": pick(ret - ar),
            "ar": pick(ar),
            "span": pick(np.where(obs, span, np.nan)),
            "volume": panel.volume.reshape(-1)[flat],
        }
        del ar, ret, flat
        for key in ("cols", "yw", "span_w"):
            win.pop(key)
        ar_var, cum_ar, cum_var = path_moments(self._state, win)
        del win
        frame["ar_var"] = pick(ar_var)
        frame["cum_ar"] = pick(cum_ar)
        frame["cum_ar_var"] = pick(cum_var)
        # copy=False: the columns are fresh arrays; consolidating them would copy them all
        return pd.DataFrame(frame, copy=False)

    # ---- average path for charts ------------------------------------------------------
    def caar_path(self, by: str | None = None, level: float = 0.95) -> pd.DataFrame:
        """Average abnormal return and cumulative average abnormal return by relative day.

        Parameters
        ----------
        by : str, optional
            A column of ``events`` to group by (e.g. ``"type"``); one path per group.
        level : float
            Confidence level of the band.

        Returns
        -------
        DataFrame
            ``[by,] rel_day, n, aar, caar, caar_se, lower, upper``.  ``aar`` is the mean AR
            of the events with a return that day; ``caar`` the mean of the events' ARs
            cumulated from the first day of the report range; ``caar_se`` is
            ``sqrt(sum(cum_ar_var)) / N`` (MacKinlay 1997 eq. 15, events independent, with
            estimation error) and the band ``caar +- z_{(1+level)/2} caar_se``.
        """
        ab = self.abnormal
        keys = ["rel_day"]
        if by is not None:
            groups = self.events.set_index("event_id")[by]
            ab = ab.assign(**{by: ab["event_id"].map(groups).to_numpy()})
            keys = [by, "rel_day"]
        g = ab.groupby(keys, sort=True, dropna=False)
        out = pd.DataFrame({
            "n": g["cum_ar"].count(),
            "aar": g["ar"].mean(),
            "caar": g["cum_ar"].mean(),
            "_var_sum": g["cum_ar_var"].sum(),
        })
        out["caar_se"] = np.sqrt(out.pop("_var_sum")) / out["n"]
        z = stats.norm.ppf(0.5 + level / 2)
        out["lower"] = out["caar"] - z * out["caar_se"]
        out["upper"] = out["caar"] + z * out["caar_se"]
        return out.reset_index()

    # ---- abnormal volume ---------------------------------------------------------------
    @cached_property
    def abnormal_volume(self) -> pd.DataFrame:
        """Abnormal log turnover (log volume without shares outstanding) per event and window.

        Campbell and Wasley (1996), computed by :func:`analytics.volume.abnormal_log_volume`
        over the same estimation window (the stock's trading days, as for returns).  Columns:
        ``event_id, ticker, window_start, window_end, measure`` (``log_turnover`` or
        ``log_volume``), ``n_est, mean_est, sigma, n_event, cav, cav_var, cav_t, dof,
        p_value, note``.
        """
        from analytics.volume import abnormal_log_volume

        s = self._state
        if not s or s["n"] == 0:
            return pd.DataFrame(columns=["event_id", "ticker", "window_start", "window_end",
                                         "measure", "cav", "cav_t", "p_value"])
        panel: _Panel = s["panel"]
        e0, e1 = self.estimation_window
        r0, r1 = self.report_window
        rel = np.r_[np.arange(e0, e1 + 1), np.arange(r0, r1 + 1)]
        rows = s["row"]
        cols = s["col0"][:, None] + rel[None, :]
        inside = (cols >= 0) & (cols < panel.lengths[rows][:, None])
        flat = rows[:, None] * panel.width + np.clip(cols, 0, panel.width - 1)
        vol = np.where(inside, panel.volume.reshape(-1)[flat], np.nan)
        shares = self._shares_panel(flat, inside)
        est_cols = np.arange(e1 - e0 + 1)
        ids = self.events["event_id"].to_numpy()[s["event_index"]]
        tick = panel.tickers.to_numpy()[rows]
        parts = []
        for a, b in self.event_windows:
            ev_cols = len(est_cols) + np.arange(a - r0, b - r0 + 1)
            res = abnormal_log_volume(vol, est_cols, ev_cols, shares,
                                      min_estimation_obs=s["min_obs"])
            t = res.table.copy()
            t.insert(0, "window_end", b)
            t.insert(0, "window_start", a)
            t.insert(0, "ticker", tick)
            t.insert(0, "event_id", ids)
            parts.append(t)
        return pd.concat(parts, ignore_index=True).sort_values(
            ["event_id", "window_start"], kind="stable").reset_index(drop=True)

    def _shares_panel(self, flat: np.ndarray, inside: np.ndarray):
        so = self._state.get("shares_outstanding")
        if so is None or len(so) == 0:
            return None
        panel: _Panel = self._state["panel"]
        so = so[["ticker", "date", "shares"]].dropna(subset=["ticker", "date"])
        row = panel.tickers.get_indexer(pd.Index(so["ticker"]))
        so = so[row >= 0]
        row = row[row >= 0]
        day = _day_numbers(so["date"])
        # last shares figure on or before each panel day: searchsorted on (row, day) keys
        offset = np.int64(_PAD_DAY + 1)
        keys = row.astype(np.int64) * offset + day
        order = np.argsort(keys, kind="stable")
        keys, shares = keys[order], so["shares"].to_numpy(dtype=float)[order]
        prow = flat // panel.width
        pkeys = prow * offset + panel.days.reshape(-1)[flat]
        pos = np.searchsorted(keys, pkeys, side="right") - 1
        ok = inside & (pos >= 0)
        ok &= np.where(pos >= 0, keys[np.maximum(pos, 0)] // offset == prow, False)
        return np.where(ok, shares[np.maximum(pos, 0)], np.nan)

    # ---- estimation-window residuals (for the cross-event tests) ---------------------
    def estimation_residuals(self, event_ids=None, standardize: bool = True):
        """Residuals of the estimation window of each studied event.

        Parameters
        ----------
        event_ids : sequence, optional
            Events to return (default: all studied events).
        standardize : bool
            Divide trade-to-trade residuals by ``sqrt(span)`` (their variance is
            ``span sigma^2``); no effect for daily returns.

        Returns
        -------
        residuals, dates : ndarray, shape (events, L)
            ``L`` = length of the estimation window; NaN (resp. NaT) where a day has no
            usable return or falls before the history.  Rows follow ``event_ids``.
        """
        idx = self._state_index(event_ids)
        e0, e1 = self.estimation_window
        rel = np.arange(e0, e1 + 1)
        return self._residuals_at(idx, rel, standardize)

    def _state_index(self, event_ids) -> np.ndarray:
        s = self._state
        if event_ids is None:
            return np.arange(s["n"])
        lookup = pd.Index(self.events["event_id"].to_numpy()[s["event_index"]])
        idx = lookup.get_indexer(pd.Index(event_ids))
        if (idx < 0).any():
            raise KeyError("some event_ids were not studied (see .skipped)")
        return idx

    def _residuals_at(self, idx: np.ndarray, rel: np.ndarray, standardize: bool):
        s = self._state
        panel: _Panel = s["panel"]
        rows = s["row"][idx]
        cols = s["col0"][idx][:, None] + rel[None, :]
        inside = (cols >= 0) & (cols < panel.lengths[rows][:, None])
        flat = rows[:, None] * panel.width + np.clip(cols, 0, panel.width - 1)
        y_full, xs_full, valid_full = s["design"]
        ok = inside & valid_full.reshape(-1)[flat]
        resid = y_full.reshape(-1)[flat].copy()
        coef = s["coef"][idx]
        for j, x in enumerate(xs_full):
            if x is _INTERCEPT:
                xv = panel.span.reshape(-1)[flat] if panel.span is not None else 1.0
            else:
                xv = x.reshape(-1)[flat]
            resid = resid - coef[:, j][:, None] * xv
        if standardize and panel.span is not None:
            resid = resid / np.sqrt(panel.span.reshape(-1)[flat])
        resid = np.where(ok, resid, np.nan)
        dates = np.where(ok, panel.days.reshape(-1)[flat], np.iinfo(np.int64).min)
        dates = dates.astype("datetime64[D]")
        return resid, dates
