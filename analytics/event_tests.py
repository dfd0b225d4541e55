"""The tests across events of an event study: summary (with the headline), placebo.

:class:`CrossEventTests` is the part of :class:`analytics.event_study.EventStudyResult` that
tests the CARs across events: ``summary`` (every test of :mod:`analytics.significance` per
group and window, and the headline test the verdict reads, chosen by
:mod:`analytics.event_headline`, with Holm-adjusted p-values and the minimum detectable CAR),
the Kolari-Pynnonen ``rbar`` of different stocks, the campaign model's pooled statistic for
one stock's clustered activities (:mod:`analytics.campaign`) and the placebo on random
non-event days.  It reads the engine's state (``_state``) and ``_residuals_at`` of the result.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analytics.constants import (
    DEFAULT_PLACEBO_DRAWS,
    DEFAULT_SEED,
    HEADLINE_P_ADJUSTMENT,
    MDE_ALPHA,
    MDE_POWER,
    THIN_TRADING_HEADLINE_SHARE,
    THIN_TRADING_WARN_SHARE,
)
from analytics.event_models import _INTERCEPT, _batched_inverse, _estimation_sums
from analytics.event_panel import _Panel

__all__ = ["CrossEventTests"]

#: Largest number of events whose pairwise residual correlations estimate rbar (O(N^2)).
_RBAR_MAX_EVENTS = 2000
#: Largest group whose window-overlap matrix is built (N x N); larger ones use its sums.
_DENSE_OVERLAP_MAX = 2000


class CrossEventTests:
    """Tests across events (mixed into ``EventStudyResult``; see the module docstring)."""

    def summary(self, by: str | None = None, *, placebo_draws: int = 0,
                seed: int = DEFAULT_SEED) -> pd.DataFrame:
        """CAAR and the tests across events, per group and event window, with the headline.

        Parameters
        ----------
        by : str, optional
            A column of ``events`` (e.g. ``"type"``, ``"ticker"``); one row per group and
            window.  ``None``: all studied events together.
        placebo_draws : int
            When positive, add the placebo test (:meth:`placebo`) with this many draws.
        seed : int
            Seed of the placebo draws and of the event sample used for ``rbar``.

        Returns
        -------
        DataFrame
            ``[by,] window_start, window_end, n, caar, median_car, share_positive,
            mean_car_t, n_thin_warning, zero_volume_share_est, zero_volume_share_event``
            (means over the group), then for each test ``<name>_stat`` and ``<name>_p``:
            ``csect_t`` (cross-sectional t), ``patell`` (Patell 1976), ``bmp`` (Boehmer,
            Musumeci and Poulsen 1991), ``kolari_pynnonen`` (Kolari and Pynnonen 2010, with
            ``rbar`` the mean estimation-residual correlation of the group's events *of
            different stocks*; NaN for one stock), ``corrado_rank`` (Corrado 1989 /
            Campbell and Wasley 1993), ``generalized_sign`` (Cowan 1992), ``wilcoxon``
            (Wilcoxon 1945; NaN p-value where N is too small to ever reject at 5%),
            ``grank`` (Kolari and Pynnonen 2011), ``bmp_overlap`` and ``patell_overlap``
            (BMP and Patell with the covariance of one stock's overlapping windows,
            ``R_ij = |W_i & W_j| / sqrt(L_i L_j)``; Patell's only up to 2,000 events);
            ``rbar``; ``placebo_p`` when
            asked; then the verdict's columns:

            - ``headline_test``: the test the pages and the report read, chosen by
              :func:`analytics.event_headline.choose_headline_test` (one event: ``car_t``;
              one stock with clustered activities: ``campaign_t`` or ``bmp_overlap``;
              several stocks on common dates: ``kolari_pynnonen`` or ``grank``; thinly
              traded with trade-to-trade returns: ``grank``; otherwise ``bmp``),
              ``headline_stat``, ``headline_p``;
            - ``headline_p_adjusted``: Holm (1979) across every row of this table (the types
              and windows shown), named in ``headline_p_adjustment``;
            - ``mde_car``: the minimum detectable CAR (mean over the group's events) at 80%
              power, two-sided 5%: ``(t_{0.975,df} + t_{0.80,df}) SE`` (Bloom 1995) with SE
              the standard error of the headline's mean CAR (from each event's ``car_var``,
              so the stock's volatility, tick size and trading frequency enter through it:
              ``sqrt(sum car_var) / N`` for independent events, times
              ``sqrt(1 + (N - 1) rbar)`` for Kolari-Pynnonen, ``sqrt(sum_ij R_ij sd_i sd_j) / N``
              for ``bmp_overlap``, the campaign model's ``sqrt(mean_car_var)`` for
              ``campaign_t``; a rank test such as GRANK has no SE in CAR units, so the
              parametric one of independent events stands in), ``mde_df`` its degrees of
              freedom (``N - 1``; the regression's for ``campaign_t``; the event's for one
              event);
            - ``headline_note``: why this test, and what it needs said (its note).
            - ``<test>_size_warning`` for each test above (``""`` when none) and
              ``size_warning_tests`` (their names, comma-separated): the tests whose size at
              5% passed 10% in ``bench.calibration``'s cases of this row's situation, in words
              (:func:`analytics.event_headline.size_warnings`); never the headline test.

            ``notes`` holds the tests' notes, and a warning when thinly traded events are in
            the group.  The tests live in :mod:`analytics.significance`.
        """
        from analytics import significance as sig
        from analytics.event_headline import (
            choose_headline_test,
            common_calendar_dates,
            same_stock_clustered,
            size_warning_columns,
            size_warnings,
        )
        from analytics.multiple_testing import METHODS, adjust_p_values
        from analytics.power import minimum_detectable_effect

        cars = self.cars
        keys = [by] if by is not None else []
        cols = keys + ["window_start", "window_end"]
        if cars.empty:
            return pd.DataFrame(columns=cols + ["n", "caar"])
        s = self._state
        panel: _Panel = s["panel"]
        state_pos = pd.Index(self.events["event_id"].to_numpy()[s["event_index"]])
        rows = []
        group_iter = cars.groupby(cols, sort=True, dropna=False)
        # each event's group number (the campaign model pools every group of a stock at once)
        group_no = (cars.groupby(keys, sort=True, dropna=False).ngroup().to_numpy() if keys
                    else np.zeros(len(cars), dtype=np.int64))
        pooled_cache: dict[Any, Any] = {}
        e0, e1 = self.estimation_window
        est_rel = np.arange(e0, e1 + 1)
        rbar_cache: dict[Any, float] = {}
        # fitted campaign models by stock, kept on the result: summary() is often called twice
        campaign_cache: dict[int, Any] = s.setdefault("campaigns", {})
        for key, g in group_iter:
            key = key if isinstance(key, tuple) else (key,)
            a, b = int(key[-2]), int(key[-1])
            idx = state_pos.get_indexer(g["event_id"])
            car = g["car"].to_numpy(dtype=float)
            scar = g["car_t"].to_numpy(dtype=float)
            dof = g["dof"].to_numpy(dtype=float)
            car_var = g["car_var"].to_numpy(dtype=float)
            win_rel = np.arange(a, b + 1)
            panel_ar, dates = self._residuals_at(idx, np.r_[est_rel, win_rel], standardize=True)
            ar_est = panel_ar[:, : len(est_rel)]
            event_cols = np.arange(len(est_rel), len(est_rel) + len(win_rel))
            gkey = key[:-2]
            if gkey not in rbar_cache:
                rbar_cache[gkey] = self._rbar(idx, seed)
            rbar = rbar_cache[gkey]
            stock = s["row"][idx]
            c0 = s["col0"][idx]
            # the overlap matrix is N x N: above _DENSE_OVERLAP_MAX events only its sums
            dense = len(idx) <= _DENSE_OVERLAP_MAX
            overlap = (sig.overlap_correlation(c0 + a, c0 + b, groups=stock) if dense else
                       sig.overlap_pair_sum(c0 + a, c0 + b, stock) if np.isfinite(scar).all()
                       else float("nan"))
            sar_est = ar_est / np.sqrt(s["sigma2"][idx])[:, None]
            kp = sig.kolari_pynnonen_test(scar, rbar)
            if len(np.unique(stock)) == 1 and len(idx) > 1:
                kp = sig.TestResult(kp.name, float("nan"), float("nan"), kp.n, kp.reference,
                                    "one stock: Kolari-Pynnonen applies to different stocks on "
                                    "common dates (its rbar from one stock's own residuals is "
                                    "~1 and the test never rejects); see bmp_overlap")
            tests = [
                sig.cross_sectional_t_test(car),
                sig.patell_test(scar, dof),
                sig.bmp_test(scar),
                kp,
                sig.corrado_rank_test(panel_ar, event_cols),
                sig.generalized_sign_test(car, ar_est),
                sig.wilcoxon_signed_rank_test(car),
                sig.grank_test(sar_est, scar, window_length=b - a + 1),
                (sig.bmp_overlap_test(scar, overlap) if np.ndim(overlap) or np.isfinite(overlap)
                 else sig.TestResult("bmp_overlap", float("nan"), float("nan"), len(idx),
                                     sig.REF_OVERLAP, "a non-finite SCAR in a large group")),
                (sig.patell_overlap_test(scar, dof, overlap) if dense else
                 sig.TestResult("patell_overlap", float("nan"), float("nan"), len(idx),
                                sig.REF_OVERLAP, f"not computed above {_DENSE_OVERLAP_MAX} "
                                                 f"events (bmp_overlap is)")),
            ]
            names = ["csect_t", "patell", "bmp", "kolari_pynnonen", "corrado_rank",
                     "generalized_sign", "wilcoxon", "grank", "bmp_overlap", "patell_overlap"]
            row = dict(zip(cols, key))
            n_thin = int(g["thin_warning"].sum())
            row.update({
                "n": len(g), "caar": float(np.mean(car)), "median_car": float(np.median(car)),
                "share_positive": float(np.mean(car > 0)), "mean_car_t": float(np.nanmean(scar)),
                "n_thin_warning": n_thin,
                "zero_volume_share_est": float(g["zero_volume_share_est"].mean()),
                "zero_volume_share_event": float(g["zero_volume_share_event"].mean()),
            })
            notes = []
            by_name = dict(zip(names, tests))
            for name, t in by_name.items():
                row[f"{name}_stat"] = t.statistic
                row[f"{name}_p"] = t.p_value
                if t.note:
                    notes.append(f"{name}: {t.note}")
            row["rbar"] = rbar
            if placebo_draws:
                pl = self._placebo_group(idx, (a, b), int(placebo_draws), seed)
                row["placebo_p"] = pl["p_value"]
            if n_thin:
                notes.insert(0, f"WARNING: {n_thin} of {len(g)} events have more than "
                                f"{THIN_TRADING_WARN_SHARE:.0%} zero-volume days in their "
                                f"estimation or event window; their results are not reliable"
                                + ("" if self.thin_trading else
                                   " (consider thin_trading='trade_to_trade')"))
            row["notes"] = "; ".join(notes)

            # ---- the headline: one test chosen by the situation ------------------------
            first = panel.days[stock, np.clip(c0 + a, 0, panel.width - 1)]
            last = panel.days[stock, np.clip(c0 + b, 0, panel.width - 1)]
            n_stocks = len(np.unique(stock))
            clustered = same_stock_clustered(stock, c0, (a, b), self.estimation_window,
                                             all_stock=s["row"], all_day0=s["col0"],
                                             report_window=self.report_window)
            camp, camp_why = None, ""
            if clustered and n_stocks == 1 and len(idx) > 1:
                camp, camp_why = self._campaign_pooled(
                    int(stock[0]), int(group_no[cars.index.get_loc(g.index[0])]), (a, b),
                    group_no, campaign_cache, pooled_cache)
            situation = dict(clustered=clustered,
                             common_dates=common_calendar_dates(stock, first, last),
                             thin=row["zero_volume_share_est"] > THIN_TRADING_HEADLINE_SHARE,
                             trade_to_trade=self.thin_trading == "trade_to_trade")
            name, reason = choose_headline_test(len(idx), n_stocks,
                                                campaign_available=camp is not None, **situation)
            # issue 9: every other test over-rejecting here (bench.calibration) says so
            row.update(size_warning_columns(names, size_warnings(len(idx), n_stocks,
                                                                 headline=name, **situation)))
            if camp_why:
                reason += f" ({camp_why})"
            n = len(idx)
            if name == "car_t":
                stat, p = float(g["car_t"].iloc[0]), float(g["p_value"].iloc[0])
                se, df, note = float(np.sqrt(car_var[0])), float(dof[0]), ""
            elif name == "campaign_t":
                stat, p = camp["campaign_t_stat"], camp["campaign_t_p"]
                se, df = float(np.sqrt(camp["mean_car_var"])), float(camp["dof"])
                note = (f"campaign model of {camp['n']} activities over {camp['union_days']} "
                        f"union days, {camp['dof']} df; {camp['variance']}")
            else:
                t = by_name[name]
                stat, p, note = t.statistic, t.p_value, t.note
                sd = np.sqrt(np.where(np.isfinite(car_var), car_var, np.nan))
                if name == "bmp_overlap":
                    var = (float(np.nansum(overlap * np.outer(sd, sd))) if dense else
                           sig.overlap_pair_sum(c0 + a, c0 + b, stock, np.nan_to_num(sd)))
                elif name == "kolari_pynnonen" and np.isfinite(rbar):
                    var = float(np.nansum(car_var)) * max(1.0 + (n - 1) * rbar, 0.0)
                else:
                    var = float(np.nansum(car_var))
                se, df = np.sqrt(var) / n, float(n - 1)
            row.update({
                "headline_test": name, "headline_stat": float(stat), "headline_p": float(p),
                "mde_car": float(minimum_detectable_effect(se, df, alpha=MDE_ALPHA,
                                                           power=MDE_POWER)),
                "mde_df": df,
                "headline_note": reason + (f" ({note})" if note else ""),
            })
            rows.append(row)
        out = pd.DataFrame(rows)
        out["headline_p_adjusted"] = adjust_p_values(out["headline_p"].to_numpy(dtype=float),
                                                     HEADLINE_P_ADJUSTMENT)
        m = int(np.isfinite(out["headline_p"].to_numpy(dtype=float)).sum())
        out["headline_p_adjustment"] = (f"{METHODS[HEADLINE_P_ADJUSTMENT]}, across the {m} "
                                        f"rows of this table with a p-value")
        return out

    def _campaign_pooled(self, row: int, group: int, window: tuple[int, int],
                         group_no: np.ndarray, cache: dict[int, Any],
                         pooled_cache: dict[Any, Any]) -> tuple[dict | None, str]:
        """The campaign model's pooled ``campaign_t`` of one group of one stock, or why not.

        :func:`analytics.campaign.campaign_study` is fitted once per stock (cached in
        ``cache``, kept on the result) on *all* that stock's events (studied or skipped), so every
        activity's report range gets its dummies and none sits in the estimation days; the
        stock's events are then pooled by summary group (``group_no``, one number per row of
        ``cars``) with one ``CampaignResult.pooled`` call per window (``pooled_cache``).
        Returns ``(None, reason)`` when the campaign model cannot be used: Dimson betas (not
        offered there), the prices not kept, or a fit that fails (its message is the reason).
        """
        from analytics.campaign import CAMPAIGN_MODELS, CAMPAIGN_THIN_TRADING, campaign_study

        s = self._state
        if self.thin_trading not in CAMPAIGN_THIN_TRADING or self.model not in CAMPAIGN_MODELS:
            return None, f"the campaign model does not offer thin_trading={self.thin_trading!r}"
        if "inputs" not in s:
            return None, "the prices were not kept"
        if row not in cache:
            prices, market = s["inputs"]
            ticker = s["panel"].tickers[row]
            # every activity of the stock, studied or not: a skipped activity's report range
            # still gets its dummies, so its reaction stays out of the estimation days
            ev = self.events[self.events["ticker"] == ticker]
            try:
                cache[row] = campaign_study(
                    prices[prices["ticker"] == ticker], ev, market, model=self.model,
                    thin_trading=self.thin_trading, estimation_window=self.estimation_window,
                    event_windows=self.event_windows, min_estimation_obs=s["min_obs"],
                    report_window=self.report_window)
            except ValueError as exc:
                cache[row] = str(exc)
        cs = cache[row]
        if isinstance(cs, str):
            return None, f"campaign model not fitted: {cs}"
        if (row, window) not in pooled_cache:
            cars = self.cars
            ticker = s["panel"].tickers[row]
            sel = ((cars["ticker"] == ticker) & (cars["window_start"] == window[0])
                   & (cars["window_end"] == window[1])).to_numpy()
            labels = pd.Series(group_no[sel], index=cars["event_id"].to_numpy()[sel])
            pooled = cs.pooled(groups=labels, window=window)
            pooled_cache[(row, window)] = pooled.set_index(pooled.columns[0])
        pooled = pooled_cache[(row, window)]
        if group not in pooled.index:
            return None, "the campaign model could not study these activities"
        rec = pooled.loc[group].to_dict()
        if not np.isfinite(rec["campaign_t_p"]):
            return None, "the campaign model gave no p-value"
        return rec, ""

    def _rbar(self, idx: np.ndarray, seed: int) -> float:
        """Mean correlation of estimation residuals of different stocks (Kolari and Pynnonen 2010).

        Dates are the stocks' calendar dates.  Only pairs of events on *different* stocks
        enter: two activities of one stock share nearly the same estimation window, and their
        residual "correlation" (~1) is not the cross-stock correlation KP corrects for (with
        it the test could never reject).  Cross-stock pairs with fewer than
        ``DEFAULT_MIN_OVERLAP`` common dates count as uncorrelated (r = 0) in the average.
        NaN when every event is on one stock.  Above ``_RBAR_MAX_EVENTS`` events a seeded
        random sample of that many events estimates it (the function is O(N^2)).
        """
        from analytics.significance import DEFAULT_MIN_OVERLAP, mean_residual_correlation

        if len(idx) < 2:
            return 0.0
        stocks = self._state["row"][idx]
        if len(np.unique(stocks)) < 2:
            return float("nan")
        if len(idx) > _RBAR_MAX_EVENTS:
            idx = np.sort(np.random.default_rng(seed).choice(idx, _RBAR_MAX_EVENTS, replace=False))
            stocks = self._state["row"][idx]
        e0, e1 = self.estimation_window
        resid, dates = self._residuals_at(idx, np.arange(e0, e1 + 1), standardize=True)
        ok = np.isfinite(resid)
        if not ok.any():
            return 0.0
        uniq, inv = np.unique(dates[ok], return_inverse=True)
        mat = np.full((len(uniq), len(idx)), np.nan)
        ev_i = np.nonzero(ok)[0]
        mat[inv, ev_i] = resid[ok]
        frame = pd.DataFrame(mat, index=pd.DatetimeIndex(uniq.astype("datetime64[ns]")),
                             columns=np.arange(len(idx)))
        rbar = float(mean_residual_correlation(frame, min_overlap=DEFAULT_MIN_OVERLAP,
                                               groups=stocks))
        if not np.isfinite(rbar):
            return 0.0  # sampled events all on one stock: no cross-stock pair measured
        # Pairs without a common estimation period (events far apart in time) have no
        # measurable correlation; they count as uncorrelated instead of being left out, so a
        # few chance correlations of barely-overlapping pairs cannot blow up the KP factor.
        m = np.isfinite(mat).astype(float)
        common = m.T @ m
        iu = np.triu_indices(len(idx), k=1)
        cross = stocks[iu[0]] != stocks[iu[1]]
        share = float((common[iu][cross] >= DEFAULT_MIN_OVERLAP).mean()) if cross.any() else 0.0
        return rbar * share

    # ---- placebo ------------------------------------------------------------------------
    def placebo(self, by: str | None = None, window: tuple[int, int] | None = None, *,
                draws: int = DEFAULT_PLACEBO_DRAWS, seed: int = DEFAULT_SEED,
                return_draws: bool = True) -> pd.DataFrame:
        """Placebo test: the group's CAAR against CAARs of random non-event days.

        For each draw, every event of the group is replaced by a day 0 drawn uniformly from
        the same stock's trading days whose window does not touch any studied event's
        report range and whose estimation window has enough data; the same model is
        re-estimated for each pseudo event and the pseudo events' CARs averaged.  The
        p-value is two-sided, ``min(1, 2 min(1 + #{caar_d <= caar}, 1 + #{caar_d >= caar})
        / (1 + draws))`` (seeded; Brown and Warner 1985 style simulation on the firm's own
        history).

        Parameters
        ----------
        by : str, optional
            Column of ``events`` to group by.
        window : (int, int), optional
            Event window (default: the first of ``event_windows``).
        draws : int
            Number of placebo samples.
        seed : int
            Seed of the draws.
        return_draws : bool
            Add the ``caar_draws`` column (for a histogram of the placebo distribution).

        Returns
        -------
        DataFrame
            ``[by,] window_start, window_end, n, caar, placebo_mean, placebo_sd,
            percentile`` (share of placebo CAARs <= the CAAR), ``p_value, draws`` and, with
            ``return_draws``, ``caar_draws``: per row a float ndarray of the ``draws``
            placebo CAARs in draw order (empty when the placebo could not be drawn).
        """
        a, b = window if window is not None else self.event_windows[0]
        cars = self.cars[(self.cars["window_start"] == a) & (self.cars["window_end"] == b)]
        s = self._state
        state_pos = pd.Index(self.events["event_id"].to_numpy()[s["event_index"]])
        keys = [by] if by is not None else []
        groups = cars.groupby(keys, sort=True, dropna=False) if keys else [((), cars)]
        rows = []
        for key, g in groups:
            key = key if isinstance(key, tuple) else (key,)
            idx = state_pos.get_indexer(g["event_id"])
            out = self._placebo_group(idx, (a, b), draws, seed)
            row = dict(zip(keys, key))
            row.update({"window_start": a, "window_end": b, "n": len(g),
                        "caar": float(g["car"].mean())})
            caar_draws = out.pop("caar_draws")
            row.update(out)
            if return_draws:
                row["caar_draws"] = caar_draws
            rows.append(row)
        return pd.DataFrame(rows)

    def _placebo_group(self, idx: np.ndarray, window: tuple[int, int], draws: int,
                       seed: int) -> dict[str, Any]:
        s = self._state
        panel: _Panel = s["panel"]
        y, xs, valid = s["design"]
        a, b = window
        e0, e1 = self.estimation_window
        r0, r1 = self.report_window
        rows_g = s["row"][idx]
        sub_rows, r_local = np.unique(rows_g, return_inverse=True)
        # every studied event of these tickers blocks the days its report range touches
        all_rows = s["row"]
        in_sub = np.isin(all_rows, sub_rows)
        blk_r = np.searchsorted(sub_rows, all_rows[in_sub])
        blk_c = s["col0"][in_sub]
        width = panel.width
        diff = np.zeros((len(sub_rows), width + 1))
        span_len = r1 - r0
        np.add.at(diff, (blk_r, np.clip(blk_c - span_len, 0, width)), 1)
        np.add.at(diff, (blk_r, np.clip(blk_c + span_len + 1, 0, width)), -1)
        blocked = np.cumsum(diff, axis=1)[:, :width] > 0
        lens = panel.lengths[sub_rows]
        c = np.arange(width)[None, :]
        vsub = valid[sub_rows]
        pre = np.cumsum(vsub, axis=1)
        lo = np.clip(c + e0, 0, width - 1)
        hi = np.clip(c + e1, -1, width - 1)
        n_est = np.where(hi >= 0, np.take_along_axis(pre, np.broadcast_to(np.maximum(hi, 0), pre.shape), 1), 0)
        n_est = n_est - np.where(lo > 0, np.take_along_axis(pre, np.broadcast_to(np.maximum(lo - 1, 0), pre.shape), 1), 0)
        n_est = np.where(c + e1 >= 0, n_est, 0)
        wobs = np.cumsum(vsub, axis=1)
        w_hi = np.clip(c + b, 0, width - 1)
        w_lo = np.clip(c + a - 1, 0, width - 1)
        n_win = (np.take_along_axis(wobs, np.broadcast_to(w_hi, wobs.shape), 1)
                 - np.where(c + a - 1 >= 0, np.take_along_axis(wobs, np.broadcast_to(w_lo, wobs.shape), 1), 0))
        elig = (~blocked & (c + a >= 1) & (c + b <= lens[:, None] - 1)
                & (n_est >= s["min_obs"]) & (n_win > 0))
        counts = elig.sum(axis=1)
        if (counts[r_local] == 0).any() or len(idx) == 0:
            return {"placebo_mean": np.nan, "placebo_sd": np.nan, "percentile": np.nan,
                    "p_value": np.nan, "draws": 0, "caar_draws": np.empty(0)}
        elig_flat = np.flatnonzero(elig.reshape(-1))
        offsets = np.r_[0, np.cumsum(counts)[:-1]]
        rng = np.random.default_rng(seed)
        u = rng.integers(0, counts[r_local], size=(draws, len(idx)))
        pick = elig_flat[offsets[r_local][None, :] + u]
        c0 = (pick % width).reshape(-1)
        rr = sub_rows[(pick // width).reshape(-1)]
        lo_e = np.maximum(c0 + e0, 0)
        hi_e = c0 + e1
        n_e, sxx, sxy, _, _ = _estimation_sums(y, xs, valid, panel.span, rr, lo_e, hi_e)
        inv, _sing = _batched_inverse(sxx)
        coef = np.einsum("nij,nj->ni", inv, sxy) if xs else np.empty((len(rr), 0))
        rel = np.arange(a, b + 1)
        flat = rr[:, None] * width + c0[:, None] + rel[None, :]
        obs = valid.reshape(-1)[flat]
        ar = y.reshape(-1)[flat].copy()
        for j, x in enumerate(xs):
            if x is _INTERCEPT:
                xv = panel.span.reshape(-1)[flat] if panel.span is not None else 1.0
            else:
                xv = x.reshape(-1)[flat]
            ar -= coef[:, j][:, None] * xv
        car = np.where(obs, ar, 0.0).sum(axis=1).reshape(draws, len(idx))
        caar_d = np.nanmean(car, axis=1)
        actual = float(np.mean(self._window_cars(idx, window)))
        le = int((caar_d <= actual).sum())
        ge = int((caar_d >= actual).sum())
        p = min(1.0, 2.0 * min(1 + le, 1 + ge) / (1 + draws))
        return {"placebo_mean": float(np.mean(caar_d)), "placebo_sd": float(np.std(caar_d, ddof=1)),
                "percentile": le / draws,
                "p_value": p, "draws": draws, "caar_draws": caar_d}

    def _window_cars(self, idx: np.ndarray, window: tuple[int, int]) -> np.ndarray:
        s = self._state
        rel = s["rel"]
        sl = slice(max(window[0] - rel[0], 0), max(min(window[1] - rel[0] + 1, len(rel)), 0))
        return self._event_window_ar()[idx, sl].sum(axis=1)
