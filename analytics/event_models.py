"""Normal-return models on the panel: design, estimation sums, inverses, event windows.

A model is a dependent variable and a list of regressors on the ticker x day panel
(:mod:`analytics.event_panel`); ``_INTERCEPT`` marks the intercept (1 per day, the span ``n``
per trade-to-trade return).  Every sum over an estimation window is a difference of per-row
prefix sums, so there is no loop over events; with trade-to-trade returns every cross product
is weighted by ``1 / n`` (weighted least squares, Maynes and Rumsey 1993).  Models (MacKinlay
1997, section 4): ``"market"`` (``R = alpha + beta Rm + e``; with ``thin_trading="dimson"``
lags and leads of ``Rm``, Dimson 1979), ``"constant_mean"`` (``R = mu + e``) and
``"market_adjusted"`` (``AR = R - Rm``, nothing estimated).  :func:`_window_arrays` gathers
each event's report range (returns, regressors, abnormal returns) with index arrays.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from analytics.event_panel import _BLOCK_CELLS, _Panel
from analytics.thin_trading import lagged_panel

#: Hadamard ratio det(X'X) / prod(diag(X'X)) below which the estimation design is singular
#: (e.g. a benchmark that did not move during the estimation window).
_SINGULAR_RATIO = 1e-10
_INTERCEPT = None  # marker of the intercept regressor (1 per day, n per trade-to-trade span)


# --------------------------------------------------------------------------------------
# Models as (dependent variable, regressors) on the panel
# --------------------------------------------------------------------------------------
def _design(panel: _Panel, model: str, thin_trading: str | None, dimson_lags: int):
    """The dependent variable and regressor list of a model (``_INTERCEPT`` = 1 or span n)."""
    y = panel.ret
    if model == "market":
        if thin_trading == "dimson":
            xs = [_INTERCEPT] + [lagged_panel(panel.market_ret, lag)
                                 for lag in range(dimson_lags, -dimson_lags - 1, -1)]
        else:
            xs = [_INTERCEPT, panel.market_ret]
    elif model == "constant_mean":
        xs = [_INTERCEPT]
    elif model == "market_adjusted":
        y = panel.ret - panel.market_ret
        xs = []
    else:  # pragma: no cover - validated by the caller
        raise ValueError(model)
    valid = np.isfinite(y)
    for x in xs:
        if x is not _INTERCEPT:
            valid &= np.isfinite(x)
    return y, xs, valid


def _row_prefix(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Inclusive prefix sums along each row of ``values`` where ``valid`` (0 elsewhere).

    Prefix sums restart on every row, so one ticker's window sums never depend on another
    ticker's numbers (or on how many tickers there are).
    """
    out = np.where(valid, values, 0.0)
    np.cumsum(out, axis=1, out=out)
    return out


def _window_sum(prefix: np.ndarray, row: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                empty: np.ndarray) -> np.ndarray:
    """Sum over inclusive columns ``lo..hi`` of each event's row (0 where ``empty``)."""
    width = prefix.shape[1]
    flat = prefix.reshape(-1)
    base = row * width
    hi_c = np.clip(hi, 0, width - 1)
    upper = flat[base + hi_c]
    lower = np.where(lo > 0, flat[base + np.clip(lo - 1, 0, width - 1)], 0.0)
    return np.where(empty, 0.0, upper - lower)


def _product(a, b, span):
    """Per-day cross product ``a b / n`` of two regressors (``_INTERCEPT`` = n)."""
    if a is _INTERCEPT and b is _INTERCEPT:
        return span  # n n / n ; None means 1
    if a is _INTERCEPT:
        return b
    if b is _INTERCEPT:
        return a
    if span is None:
        return a * b
    return a * b / span


#: Event x day cells per block of events in the event-window pass (temporaries ~2 MB each,
#: below numpy's huge-page and glibc's mmap thresholds, so they are reused between blocks).
_EVENT_BLOCK_CELLS = 1 << 18


def _estimation_sums(y, xs, valid, span, r, lo, hi, zero=None):
    """Weighted cross-product sums over each event's estimation columns ``lo..hi``.

    Returns ``n_est`` (usable returns), ``sxx = sum x x' / n``, ``sxy = sum x y / n``,
    ``syy = sum y^2 / n`` (``n`` the trade-to-trade span, 1 for daily returns) and, with a
    ``zero`` mask, the number of zero-volume days in the window.  The panel is walked in
    blocks of rows (a loop over blocks of tickers, not over events) so the temporaries stay
    small; prefix sums restart on every row, so blocks do not change any number.
    """
    n, p = len(r), len(xs)
    n_est = np.zeros(n, dtype=np.int64)
    sxx = np.zeros((n, p, p))
    sxy = np.zeros((n, p))
    syy = np.zeros(n)
    zeros = np.zeros(n)
    rows_total, width = valid.shape
    step = max(1, _BLOCK_CELLS // max(width, 1))
    order = np.argsort(r, kind="stable")
    starts = np.arange(0, rows_total, step)
    bounds = np.searchsorted(r[order], np.r_[starts, rows_total])
    for ci, a in enumerate(starts):
        if bounds[ci] == bounds[ci + 1]:
            continue
        sel = order[bounds[ci]:bounds[ci + 1]]
        b = min(a + step, rows_total)
        rr, ll, hh = r[sel] - a, lo[sel], hi[sel]
        emp = hh < ll
        v = valid[a:b]
        sp = span[a:b] if span is not None else None
        bx = [x if x is _INTERCEPT else x[a:b] for x in xs]
        by = y[a:b]

        def wsum(values, mask=v):
            return _window_sum(_row_prefix(values, mask), rr, ll, hh, emp)

        def count(mask):
            # integer prefix of a mask: no float copy of the block (counts < 2**31)
            return _window_sum(np.cumsum(mask, axis=1, dtype=np.int32), rr, ll, hh, emp)

        ne = count(v).round().astype(np.int64)
        n_est[sel] = ne
        for j in range(p):
            for k in range(j, p):
                if bx[j] is _INTERCEPT and bx[k] is _INTERCEPT and sp is None:
                    col = ne
                else:
                    col = wsum(_product(bx[j], bx[k], sp))
                sxx[sel, j, k] = col
                sxx[sel, k, j] = col
            sxy[sel, j] = wsum(_product(bx[j], by, sp))
        syy[sel] = wsum(by * by / sp if sp is not None else by * by)
        if zero is not None:
            zeros[sel] = count(zero[a:b])
    return n_est, sxx, sxy, syy, zeros


def _batched_inverse(sxx: np.ndarray):
    """Inverse of each (p, p) matrix and a flag for the singular ones."""
    n, p, _ = sxx.shape
    inv = np.full_like(sxx, np.nan)
    if p == 0:
        return inv, np.zeros(n, dtype=bool)
    diag = np.einsum("nii->ni", sxx)
    with np.errstate(invalid="ignore", divide="ignore"):
        det = np.linalg.det(sxx) if p > 2 else (
            sxx[:, 0, 0] if p == 1 else sxx[:, 0, 0] * sxx[:, 1, 1] - sxx[:, 0, 1] * sxx[:, 1, 0])
        ratio = det / np.prod(diag, axis=1)
    singular = ~(np.isfinite(ratio) & (ratio > _SINGULAR_RATIO))
    ok = ~singular
    if p == 1:
        inv[ok, 0, 0] = 1.0 / sxx[ok, 0, 0]
    elif p == 2:
        d = det[ok]
        inv[ok, 0, 0] = sxx[ok, 1, 1] / d
        inv[ok, 1, 1] = sxx[ok, 0, 0] / d
        inv[ok, 0, 1] = -sxx[ok, 0, 1] / d
        inv[ok, 1, 0] = -sxx[ok, 1, 0] / d
    elif ok.any():
        inv[ok] = np.linalg.inv(sxx[ok])
    return inv, singular


# --------------------------------------------------------------------------------------
# Event windows gathered from the panel
# --------------------------------------------------------------------------------------
def _window_arrays(panel: _Panel, design, coef: np.ndarray, r: np.ndarray, c0: np.ndarray,
                   lens: np.ndarray, rel: np.ndarray, model: str) -> dict[str, Any]:
    """Each event's relative days ``rel``: returns, regressors and abnormal returns.

    Arrays of shape (events, len(rel)): ``cols`` (panel column), ``inrange`` (inside the
    stock's history), ``flat`` (index into the flattened panel), ``obs`` (a usable return),
    ``yw`` (dependent variable), ``ret_w`` and ``mret_w`` (stock and benchmark return),
    ``ar`` (abnormal return), ``ar_obs`` (``ar`` with 0 where not ``obs``), ``xw_obs`` (the
    regressors with the intercept resolved to 1 or the span n, 0 where not ``obs``),
    ``span_w`` and ``nw_obs`` (the trade-to-trade span, None for daily returns).
    """
    y, xs, valid = design
    width = panel.width
    cols = c0[:, None] + rel[None, :]
    inrange = (cols >= 0) & (cols < lens[:, None])
    flat = r[:, None] * width + np.clip(cols, 0, width - 1)
    obs = inrange & valid.reshape(-1)[flat]
    yw = y.reshape(-1)[flat]
    span_w = panel.span.reshape(-1)[flat] if panel.span is not None else None
    mret_w = panel.market_ret.reshape(-1)[flat]
    not_obs = ~obs
    xw_obs = []
    fitted = None
    for j, x in enumerate(xs):
        c = coef[:, j][:, None]
        if x is _INTERCEPT and span_w is None:
            xv, xo, term = None, obs.astype(float), c  # the intercept is 1 on every day
        else:
            if x is _INTERCEPT:
                xv = span_w
            elif x is panel.market_ret:
                xv = mret_w
            else:
                xv = x.reshape(-1)[flat]
            xo, term = np.where(not_obs, 0.0, xv), c * xv
        xw_obs.append(xo)
        fitted = term if fitted is None else fitted + term
    ar = yw - fitted if fitted is not None else yw.copy()
    del fitted
    ret_w = yw + mret_w if model == "market_adjusted" else yw
    ar_obs = np.where(not_obs, 0.0, ar)
    nw_obs = np.where(not_obs, 0.0, span_w) if span_w is not None else None
    return {"cols": cols, "inrange": inrange, "flat": flat, "obs": obs, "yw": yw,
            "ret_w": ret_w, "mret_w": mret_w, "ar": ar, "ar_obs": ar_obs,
            "xw_obs": xw_obs, "span_w": span_w, "nw_obs": nw_obs}
