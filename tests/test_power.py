"""Minimum detectable effect at 80% power against statsmodels' power solvers and a hand case."""
from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.power import NormalIndPower, TTestPower

from analytics.power import mde_multiplier, minimum_detectable_effect


def test_hand_case_normal():
    # z_{0.975} = 1.959964, z_{0.80} = 0.841621: MDE = 2.801585 * SE; SE = 0.01 -> 0.028016
    assert minimum_detectable_effect(0.01) == pytest.approx(0.02801585, rel=1e-6)


def test_hand_case_t_table():
    # t tables, 10 df: t_{0.975} = 2.2281, t_{0.80} = 0.8791 -> 3.1072 * SE
    assert mde_multiplier(10) == pytest.approx(2.2281 + 0.8791, abs=2e-4)


def test_normal_case_matches_normal_ind_power():
    # one-sample z test (ratio=0): effect size d = MDE / sd with SE = sd / sqrt(n)
    n = 100
    d = NormalIndPower().solve_power(nobs1=n, alpha=0.05, power=0.8, ratio=0)
    # statsmodels counts the far tail's rejections too (~1e-6 of power): agreement to 1e-5
    assert minimum_detectable_effect(1 / math.sqrt(n)) == pytest.approx(d, rel=1e-5)


@pytest.mark.parametrize("n,tol", [(5, 0.012), (10, 0.0015), (20, 5e-4), (50, 5e-4)])
def test_t_case_close_to_exact_noncentral_t_power(n, tol):
    # the exact power of the one-sample t test uses the noncentral t; Bloom's formula is an
    # approximation whose gap shrinks with df (documented in the docstring)
    d = TTestPower().solve_power(nobs=n, alpha=0.05, power=0.8, alternative="two-sided")
    mine = minimum_detectable_effect(1 / math.sqrt(n), df=n - 1)
    assert mine == pytest.approx(d, rel=tol)


def test_power_and_level_move_it_the_right_way():
    base = minimum_detectable_effect(1.0, 20)
    assert minimum_detectable_effect(1.0, 20, power=0.9) > base
    assert minimum_detectable_effect(1.0, 20, alpha=0.10) < base


def test_bad_se_or_df_is_nan_and_bad_level_is_an_error():
    out = minimum_detectable_effect(np.array([0.0, np.nan, 1.0]), np.array([5, 5, 0]))
    assert np.isnan(out).all()
    with pytest.raises(ValueError, match="between 0 and 1"):
        minimum_detectable_effect(1.0, power=1.0)
