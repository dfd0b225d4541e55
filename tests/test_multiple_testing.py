"""Holm and Benjamini-Hochberg adjusted p-values against statsmodels' multipletests."""
from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from analytics.multiple_testing import adjust_p_values, benjamini_hochberg_adjust, holm_adjust

TABLES = {
    "one": [0.03],
    "sorted": [0.001, 0.01, 0.02, 0.04, 0.3],
    "unsorted": [0.04, 0.3, 0.001, 0.02, 0.01],
    "ties": [0.01, 0.01, 0.04, 0.04, 0.5, 0.5],
    "with_nan": [0.02, np.nan, 0.01, 0.5, np.nan, 0.03],
    "ones_and_zero": [0.0, 1.0, 1.0, 0.2],
    "twenty_uniform": list(np.random.default_rng(7).uniform(size=20)),
}


def _reference(p, method):
    """statsmodels on the finite p-values only, NaN put back where they were."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    out[ok] = multipletests(p[ok], method=method)[1]
    return out


@pytest.mark.parametrize("name", sorted(TABLES))
@pytest.mark.parametrize("method,fn", [("holm", holm_adjust), ("fdr_bh", benjamini_hochberg_adjust)])
def test_matches_statsmodels(name, method, fn):
    p = TABLES[name]
    np.testing.assert_allclose(fn(p), _reference(p, method), rtol=1e-14, atol=0)
    np.testing.assert_allclose(adjust_p_values(p, method), _reference(p, method), rtol=1e-14)


def test_holm_hand_case():
    # p = [0.01, 0.04, 0.03], m = 3: sorted 0.01, 0.03, 0.04 -> 3*0.01 = 0.03, 2*0.03 = 0.06,
    # 1*0.04 = 0.04 -> running max 0.03, 0.06, 0.06 (back in input order: 0.03, 0.06, 0.06)
    np.testing.assert_allclose(holm_adjust([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])


def test_bh_hand_case():
    # sorted 0.01, 0.03, 0.04 -> 3*0.01/1 = 0.03, 3*0.03/2 = 0.045, 3*0.04/3 = 0.04 ->
    # running min from the top: 0.03, 0.04, 0.04 (input order: 0.03, 0.04, 0.04)
    np.testing.assert_allclose(benjamini_hochberg_adjust([0.01, 0.04, 0.03]), [0.03, 0.04, 0.04])


def test_nan_does_not_count_as_a_hypothesis():
    # [0.02, NaN]: one hypothesis, Holm multiplies by 1
    out = holm_adjust([0.02, np.nan])
    assert out[0] == pytest.approx(0.02) and np.isnan(out[1])
    assert np.isnan(holm_adjust([np.nan, np.nan])).all()


@pytest.mark.parametrize("bad", [[1.2], [-0.1]])
def test_out_of_range_p_is_rejected_with_a_message(bad):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        holm_adjust(bad)


def test_unknown_method_is_named():
    with pytest.raises(ValueError, match="holm"):
        adjust_p_values([0.1], "bonferroni-ish")
