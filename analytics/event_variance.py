"""Variance of abnormal returns and CARs, with the estimation error of the model.

For an event window of ``L2`` days with regressor rows ``X*`` the CAR variance includes the
estimation error of the parameters (MacKinlay 1997, eq. 9-11, generalised to any model):
``car_var = gamma' V gamma`` with ``V = sigma^2 (D + X* (X'WX)^-1 X*')``, ``gamma`` the
indicator of the window's days, ``D = I`` for daily returns and ``diag(n)`` for trade-to-trade
returns (``W = diag(1/n)``), i.e. ``sigma^2 (sum(n) + s' (X'WX)^-1 s)`` with ``s = X*' gamma``.
:func:`window_car_moments` computes it for every event and window from the report range
gathered in blocks of events; :func:`path_moments` gives the same per relative day and for
the running CAR (the ``abnormal`` table).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from analytics.event_models import _EVENT_BLOCK_CELLS, _window_arrays

__all__ = ["window_car_moments", "path_moments"]


def window_car_moments(panel, design, coef, inv, sigma2, r, c0, lens, rel, r0, wins_sorted,
                       model, zero):
    """CAR, its variance, observed days and zero-volume share of every event and window.

    Parameters are the engine's arrays (one entry per studied event): ``coef``, ``inv``
    (``(X'WX)^-1``) and ``sigma2`` of its model, its panel row ``r``, day-0 column ``c0`` and
    row length ``lens``; ``rel`` the report range's relative days starting at ``r0``;
    ``wins_sorted`` the event windows in (start, end) order; ``zero`` the panel's
    zero-volume mask.  Returns four (events, windows) arrays: ``car``, ``car_var``, ``n_obs``
    (days with a return, int64) and the share of zero-volume days of the window.

    The report range is gathered in blocks of events: blocks keep every temporary small
    enough to be reused from the heap instead of being fresh (page-faulted) memory on every
    call; each event's numbers do not depend on them.
    """
    y, xs, valid = design
    p = len(xs)
    n_alive, n_win = len(r), len(wins_sorted)
    shape = (n_alive, n_win)
    car, car_var, zero_ev = (np.empty(shape) for _ in range(3))
    n_obs = np.empty(shape, dtype=np.int64)
    step = max(1, _EVENT_BLOCK_CELLS // len(rel))
    for e_a in range(0, n_alive, step):
        blk = slice(e_a, e_a + step)
        win = _window_arrays(panel, (y, xs, valid), coef[blk], r[blk], c0[blk], lens[blk],
                             rel, model)
        obs, ar_obs, xw_obs, nw_obs = win["obs"], win["ar_obs"], win["xw_obs"], win["nw_obs"]
        zero_w = win["inrange"] & zero.reshape(-1)[win["flat"]]
        del win
        for j, (a, b) in enumerate(wins_sorted):
            sl = slice(a - r0, b - r0 + 1)
            n_obs_j = obs[:, sl].sum(axis=1)
            car[blk, j] = ar_obs[:, sl].sum(axis=1)
            n_obs[blk, j] = n_obs_j
            if p:
                s_vec = np.stack([xv[:, sl].sum(axis=1) for xv in xw_obs], axis=1)
                quad = np.einsum("ni,nij,nj->n", s_vec, inv[blk], s_vec)
            else:
                quad = 0.0
            n_w = nw_obs[:, sl].sum(axis=1) if nw_obs is not None else n_obs_j
            car_var[blk, j] = sigma2[blk] * (n_w + quad)
            zero_ev[blk, j] = zero_w[:, sl].sum(axis=1) / (b - a + 1)
        del obs, ar_obs, xw_obs, nw_obs, zero_w
    return car, car_var, n_obs, zero_ev


def path_moments(s: dict[str, Any], win: dict[str, Any]):
    """Per event and relative day: AR variance, cumulative AR and its variance."""
    obs = win["obs"]
    sigma2 = s["sigma2"][:, None]
    inv = s["inv"]
    xw = win["xw_obs"]  # list of (n, w) regressors (intercept resolved), 0 where not obs
    nw = win["nw_obs"] if win["nw_obs"] is not None else obs.astype(float)
    p = len(xw)
    quad = np.zeros(obs.shape)
    cquad = np.zeros(obs.shape)
    if p:
        # x' inv x per day and for the running sums, as sums over (i, j) of (n, w) arrays
        cx = [np.cumsum(xi, axis=1) for xi in xw]
        for i in range(p):
            for j in range(p):
                c = inv[:, i, j][:, None]
                quad += c * xw[i] * xw[j]
                cquad += c * cx[i] * cx[j]
        del cx
    ar_var = np.where(obs, sigma2 * (nw + quad), np.nan)
    del quad
    cum_ar = np.cumsum(win["ar_obs"], axis=1)
    cum_var = sigma2 * (np.cumsum(nw, axis=1) + cquad)
    return ar_var, cum_ar, cum_var
