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

import os
from concurrent.futures import ThreadPoolExecutor
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


#: Threads of the engine's block loops (numpy releases the GIL in them), and the fewest
#: events for which a second thread pays for itself.
_MAX_THREADS = 2
_THREADED_MIN_EVENTS = 50_000


def _threads_for(n_events: int) -> int:
    """Threads for a block loop over ``n_events`` events (1 below ``_THREADED_MIN_EVENTS``)."""
    if n_events < _THREADED_MIN_EVENTS:
        return 1
    return max(1, min(_MAX_THREADS, os.cpu_count() or 1))


def _rows_order(r: np.ndarray, n_rows: int) -> np.ndarray:
    """A stable order of events by panel row (a radix sort when the rows fit 16 bits)."""
    if n_rows <= np.iinfo(np.uint16).max:
        return np.argsort(r.astype(np.uint16), kind="stable")
    return np.argsort(r, kind="stable")


def _estimation_sums(y, xs, valid, span, r, lo, hi, zero=None):
    """Weighted cross-product sums over each event's estimation columns ``lo..hi``.

    Returns ``n_est`` (usable returns), ``sxx = sum x x' / n``, ``sxy = sum x y / n``,
    ``syy = sum y^2 / n`` (``n`` the trade-to-trade span, 1 for daily returns) and, with a
    ``zero`` mask, the number of zero-volume days in the window.  The panel is walked in
    blocks of rows (a loop over blocks of tickers, not over events) so the temporaries stay
    small; prefix sums restart on every row, so blocks do not change any number.

    Each block masks the dependent variable and the regressors once (0 where a return is
    not usable), so every cross product is a product of masked arrays (exactly the masked
    product: ``0 * 0 = 0``); the products, their prefix sums and the events' window sums
    go through buffers allocated once.  Events are taken block by block in row order and
    their sums scattered back to the caller's order once at the end.
    """
    n, p = len(r), len(xs)
    rows_total, width = valid.shape
    step = max(1, _BLOCK_CELLS // max(width, 1))
    order = _rows_order(r, rows_total)
    r_sorted, lo_s, hi_s = r[order], lo[order], hi[order]
    starts = np.arange(0, rows_total, step)
    bounds = np.searchsorted(r_sorted, np.r_[starts, rows_total])
    # results in row order first (contiguous slices per block), the caller's order at the end
    ne_s = np.zeros(n, dtype=np.int64)
    sxx_s = np.zeros((n, p, p))
    sxy_s = np.zeros((n, p))
    syy_s = np.zeros(n)
    zeros_s = np.zeros(n)
    n_buf = min(step, rows_total)

    def walk(first_block: int, every: int) -> None:
        # buffers of this walker (one set per thread), allocated once
        buf = np.empty((n_buf, width))        # products and their prefix sums
        ibuf = np.empty((n_buf, width), dtype=np.int32)  # integer prefix sums of masks
        masked = [None if x is _INTERCEPT else np.empty((n_buf, width)) for x in xs]
        ym = np.empty((n_buf, width))
        spm = np.empty((n_buf, width)) if span is not None else None
        for ci in range(first_block, len(starts), every):
            a = starts[ci]
            e_a, e_b = int(bounds[ci]), int(bounds[ci + 1])
            if e_a == e_b:
                continue
            b = min(a + step, rows_total)
            nb = b - a
            es = slice(e_a, e_b)
            rr, ll, hh = r_sorted[es] - a, lo_s[es], hi_s[es]
            emp = hh < ll
            # flat positions of each event's window ends in the block, computed once per block
            base = rr * width
            i_hi = base + np.clip(hh, 0, width - 1)
            i_lo = base + np.clip(ll - 1, 0, width - 1)
            has_lo = ll > 0
            v = valid[a:b]

            def wsum(prefix):
                flat = prefix.reshape(-1)
                upper = flat[i_hi]
                lower = np.where(has_lo, flat[i_lo], 0.0)
                return np.where(emp, 0.0, upper - lower)

            def count(mask):
                # integer prefix of a mask: no float copy of the block (counts < 2**31)
                pre = np.cumsum(mask, axis=1, dtype=np.int32, out=ibuf[:nb])
                flat = pre.reshape(-1)
                upper = flat[i_hi]
                lower = np.where(has_lo, flat[i_lo], 0)
                return np.where(emp, 0, upper - lower).astype(np.int64)

            def prefix_of(values):
                return np.cumsum(values, axis=1, out=values)

            def product(u, w):
                """Masked ``u w / n`` (both masked arrays) into the product buffer."""
                out = buf[:nb]
                np.multiply(u, w, out=out)
                if spm is not None:
                    np.divide(out, span[a:b], out=out, where=v)
                return out

            ne = count(v)
            ne_s[es] = ne
            yb = ym[:nb]
            np.copyto(yb, 0.0)
            np.copyto(yb, y[a:b], where=v)
            mx = []
            for x, mbuf in zip(xs, masked):
                if x is _INTERCEPT:
                    mx.append(None)
                else:
                    m = mbuf[:nb]
                    np.copyto(m, 0.0)
                    np.copyto(m, x[a:b], where=v)
                    mx.append(m)
            if spm is not None:
                np.copyto(spm[:nb], 0.0)
                np.copyto(spm[:nb], span[a:b], where=v)
            # (target, row, column, left, right): every sum of the block; None is the intercept
            terms = [("xx", j, k, mx[j], mx[k]) for j in range(p) for k in range(j, p)]
            terms += [("xy", j, 0, mx[j], yb) for j in range(p)] + [("yy", 0, 0, yb, yb)]
            sums = {}
            # products first (they read the masked arrays), then the terms that are one masked
            # array (intercept times u = u, also with spans): its prefix sum in place, once
            for left_right_linear in (False, True):
                for kind, j, k, u, w in terms:
                    if ((u is None) != (w is None)) != left_right_linear:
                        continue
                    if u is None and w is None:
                        col = ne if spm is None else wsum(prefix_of(spm[:nb]))
                    elif u is None or w is None:
                        arr = w if u is None else u
                        key = id(arr)
                        if key not in sums:
                            sums[key] = wsum(prefix_of(arr))
                        col = sums[key]
                    else:
                        col = wsum(prefix_of(product(u, w)))
                    if kind == "xx":
                        sxx_s[es, j, k] = col
                        sxx_s[es, k, j] = col
                    elif kind == "xy":
                        sxy_s[es, j] = col
                    else:
                        syy_s[es] = col
            if zero is not None:
                zeros_s[es] = count(zero[a:b])

    # blocks are independent (disjoint rows and events): two walkers on two cores when
    # there is enough work, each block's numbers the same whoever computes them
    n_threads = _threads_for(n)
    if n_threads == 1:
        walk(0, 1)
    else:
        with ThreadPoolExecutor(n_threads) as pool:
            list(pool.map(lambda w: walk(w, n_threads), range(n_threads)))
    # back to the caller's order: one gather per array with the inverse permutation
    back = np.empty(n, dtype=np.int64)
    back[order] = np.arange(n)
    return ne_s[back], sxx_s[back], sxy_s[back], syy_s[back], zeros_s[back]


def _batched_inverse(sxx: np.ndarray):
    """Inverse of each (p, p) matrix and a flag for the singular ones (their inverse NaN)."""
    n, p, _ = sxx.shape
    if p == 0:
        return np.full_like(sxx, np.nan), np.zeros(n, dtype=bool)
    diag = np.einsum("nii->ni", sxx)
    with np.errstate(invalid="ignore", divide="ignore"):
        det = np.linalg.det(sxx) if p > 2 else (
            sxx[:, 0, 0] if p == 1 else sxx[:, 0, 0] * sxx[:, 1, 1] - sxx[:, 0, 1] * sxx[:, 1, 0])
        ratio = det / np.prod(diag, axis=1)
    singular = ~(np.isfinite(ratio) & (ratio > _SINGULAR_RATIO))
    any_singular = bool(singular.any())
    if p <= 2:
        # closed forms on every row (each row's numbers are its own), NaN on the singular ones
        inv = np.empty_like(sxx)
        with np.errstate(invalid="ignore", divide="ignore"):
            if p == 1:
                np.divide(1.0, sxx[:, 0, 0], out=inv[:, 0, 0])
            else:
                np.divide(sxx[:, 1, 1], det, out=inv[:, 0, 0])
                np.divide(sxx[:, 0, 0], det, out=inv[:, 1, 1])
                np.divide(-sxx[:, 0, 1], det, out=inv[:, 0, 1])
                np.divide(-sxx[:, 1, 0], det, out=inv[:, 1, 0])
        if any_singular:
            inv[singular] = np.nan
        return inv, singular
    inv = np.full_like(sxx, np.nan)
    ok = ~singular
    if ok.any():
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
