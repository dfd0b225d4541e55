"""Adjusted p-values for a table of tests (Holm 1979; Benjamini and Hochberg 1995).

With ten activity types and two windows, twenty p-values are read at once, and one of them
is below 5% by chance alone more often than not.  The summary's verdicts read the adjusted
p-values computed here.  NaN p-values (a test that could not be computed) stay NaN and do
not count in the number of hypotheses ``m``.

References
----------
Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
    Journal of Statistics 6(2), 65-70.
Benjamini, Y., Hochberg, Y. (1995). Controlling the false discovery rate: a practical and
    powerful approach to multiple testing. Journal of the Royal Statistical Society B 57(1),
    289-300.
"""
from __future__ import annotations

import numpy as np

__all__ = ["holm_adjust", "benjamini_hochberg_adjust", "adjust_p_values", "METHODS"]

#: method name -> what it controls (for the notes shown beside the adjusted p-values)
METHODS: dict[str, str] = {
    "holm": "Holm (1979) step-down, family-wise error rate",
    "fdr_bh": "Benjamini-Hochberg (1995) step-up, false discovery rate",
}


def _sorted_finite(p) -> tuple[np.ndarray, np.ndarray]:
    """The p-values as a flat array, and the positions of the finite ones sorted ascending (stable)."""
    a = np.asarray(p, dtype=float).ravel()
    if (a[np.isfinite(a)] < 0).any() or (a[np.isfinite(a)] > 1).any():
        raise ValueError("p-values must lie in [0, 1] (NaN for a test that was not computed)")
    idx = np.flatnonzero(np.isfinite(a))
    return a, idx[np.argsort(a[idx], kind="stable")]


def holm_adjust(p) -> np.ndarray:
    """Holm (1979) adjusted p-values.

    Parameters
    ----------
    p : array_like, shape (m,)
        Unadjusted p-values; NaN allowed.

    Returns
    -------
    ndarray, shape (m,)
        With the ``m`` finite p-values sorted ascending, ``p_(1) <= ... <= p_(m)``:
        ``adj_(i) = max_{j <= i} min(1, (m - j + 1) p_(j))``; NaN where ``p`` is NaN.
        Rejecting where ``adj <= alpha`` controls the family-wise error rate at ``alpha``.
        Equal to ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]``.
    """
    a, order = _sorted_finite(p)
    out = np.full(a.shape, np.nan)
    m = order.size
    if m == 0:
        return out
    adj = np.minimum(1.0, (m - np.arange(m)) * a[order])
    out[order] = np.maximum.accumulate(adj)
    return out


def benjamini_hochberg_adjust(p) -> np.ndarray:
    """Benjamini and Hochberg (1995) adjusted p-values (q-values of the step-up procedure).

    Parameters
    ----------
    p : array_like, shape (m,)
        Unadjusted p-values; NaN allowed.

    Returns
    -------
    ndarray, shape (m,)
        ``adj_(i) = min_{j >= i} min(1, m p_(j) / j)`` over the ``m`` finite p-values sorted
        ascending; NaN where ``p`` is NaN.  Rejecting where ``adj <= q`` controls the false
        discovery rate at ``q`` for independent (or positively dependent) tests.  Equal to
        ``multipletests(p, method="fdr_bh")[1]``.
    """
    a, order = _sorted_finite(p)
    out = np.full(a.shape, np.nan)
    m = order.size
    if m == 0:
        return out
    adj = np.minimum(1.0, m * a[order] / np.arange(1, m + 1))
    out[order] = np.minimum.accumulate(adj[::-1])[::-1]
    return out


def adjust_p_values(p, method: str = "holm") -> np.ndarray:
    """Adjusted p-values by ``method`` (``"holm"`` or ``"fdr_bh"``, see :data:`METHODS`)."""
    if method == "holm":
        return holm_adjust(p)
    if method == "fdr_bh":
        return benjamini_hochberg_adjust(p)
    raise ValueError(f"method must be one of {tuple(METHODS)}, not {method!r}")
