"""Tests of analytics.significance: hand cases, scipy references, calibration under the null."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics.constants import DEFAULT_SEED
from analytics.significance import (
    TestResult,
    bmp_test,
    corrado_rank_test,
    cross_sectional_t_test,
    bmp_overlap_test,
    generalized_sign_test,
    GRANK_BLOCK_FROM_DAYS,
    grank_test,
    kolari_pynnonen_test,
    mean_residual_correlation,
    overlap_correlation,
    overlap_pair_sum,
    patell_overlap_test,
    patell_test,
    wilcoxon_min_attainable_p,
    wilcoxon_signed_rank_test,
)

# --------------------------------------------------------------------------- hand cases


def test_patell_hand_case():
    # scar = [1, 2, -0.5], dof = [10, 10, 18]
    # var of t(dof) = dof/(dof-2): 1.25 + 1.25 + 1.125 = 3.625; z = 2.5 / sqrt(3.625) = 1.313064...
    r = patell_test([1.0, 2.0, -0.5], [10, 10, 18])
    assert r.statistic == pytest.approx(2.5 / math.sqrt(3.625), rel=1e-12)
    assert r.p_value == pytest.approx(2 * stats.norm.sf(2.5 / math.sqrt(3.625)), rel=1e-12)
    assert r.n == 3 and r.name == "patell" and "Patell" in r.reference


def test_patell_drops_nan_and_small_dof():
    # the NaN scar and the event with dof = 2 leave scar [1, 2], dof [10, 10]: z = 3 / sqrt(2.5)
    r = patell_test([1.0, 2.0, np.nan, 5.0], [10, 10, 10, 2])
    assert r.n == 2
    assert r.statistic == pytest.approx(3 / math.sqrt(2.5))
    assert "2 event(s) dropped" in r.note


def test_patell_scalar_dof_broadcasts():
    assert patell_test([1.0, 2.0], 10).statistic == pytest.approx(3 / math.sqrt(2.5))


def test_bmp_hand_case():
    # scar = [1, 2, 3]: mean 2, s = 1, t = 2 / (1/sqrt(3)) = 2 sqrt(3) = 3.4641...
    r = bmp_test([1.0, 2.0, 3.0])
    assert r.statistic == pytest.approx(2 * math.sqrt(3), rel=1e-12)
    assert r.p_value == pytest.approx(2 * stats.t.sf(2 * math.sqrt(3), 2), rel=1e-12)


def test_kolari_pynnonen_hand_case():
    # t_BMP = 2 sqrt(3); rbar = 0.1, N = 3: sqrt(0.9 / 1.2) = sqrt(0.75); t_KP = 2 sqrt(3 * 0.75) = 3
    r = kolari_pynnonen_test([1.0, 2.0, 3.0], 0.1)
    assert r.statistic == pytest.approx(3.0, rel=1e-12)
    assert r.p_value == pytest.approx(2 * stats.t.sf(3.0, 2), rel=1e-12)


def test_kolari_pynnonen_zero_rbar_equals_bmp():
    scar = [0.3, -1.2, 2.0, 0.7, 1.1]
    assert kolari_pynnonen_test(scar, 0.0).statistic == pytest.approx(bmp_test(scar).statistic)
    assert kolari_pynnonen_test(scar, 0.0).p_value == pytest.approx(bmp_test(scar).p_value)


@pytest.mark.parametrize("rbar", [-0.5, float("nan"), 1.0])
def test_kolari_pynnonen_invalid_rbar_is_nan_with_reason(rbar):
    r = kolari_pynnonen_test([1.0, 2.0, 3.0, 4.0], rbar)
    assert math.isnan(r.statistic) and math.isnan(r.p_value) and r.note


def test_generalized_sign_hand_case():
    # positive shares of the estimation ARs: 2/4, 3/4, 1/3 (one NaN), 1/4 -> p_hat = 11/24
    # CARs 0.1, -0.2, 0.3, 0.0 -> w = 2 (zero is not positive)
    # z = (2 - 4*11/24) / sqrt(4 * 11/24 * 13/24) = (1/6) / (sqrt(143)/12) = 2 / sqrt(143)
    car = [0.1, -0.2, 0.3, 0.0]
    est = np.array([[1, -1, 1, -1], [1, 1, 1, -1], [1, np.nan, -1, -1], [-1, -1, -1, 1]], float)
    r = generalized_sign_test(car, est)
    assert r.statistic == pytest.approx(2 / math.sqrt(143), rel=1e-12)
    assert r.p_value == pytest.approx(2 * stats.norm.sf(2 / math.sqrt(143)), rel=1e-12)
    exact = generalized_sign_test(car, est, exact=True)
    assert exact.p_value == pytest.approx(stats.binomtest(2, 4, 11 / 24).pvalue)


def test_corrado_rank_hand_case():
    # event 1 ARs [0.1, -0.2, 0.3, 0.5]: ranks 1..4 -> [2, 1, 3, 4], M = 4, U = r/5, K = U - 1/2
    #   K = [-0.1, -0.3, 0.1, 0.3]
    # event 2 ARs [0.0, NaN, -0.1, 0.2]: ranks [2, -, 1, 3], M = 3, U = r/4
    #   K = [0, NaN, -0.25, 0.25]
    # Kbar_t = [-0.05, -0.3, -0.075, 0.275]
    # S_K^2 = (0.0025 + 0.09 + 0.005625 + 0.075625) / 4 = 0.0434375
    # day-3 window: z = 0.275 / sqrt(0.0434375) = 1.31948...
    # days 2..3:    z = (-0.075 + 0.275) / (sqrt(2) sqrt(0.0434375)) = 0.67855...
    panel = np.array([[0.1, -0.2, 0.3, 0.5], [0.0, np.nan, -0.1, 0.2]])
    one = corrado_rank_test(panel, [3])
    assert one.statistic == pytest.approx(0.275 / math.sqrt(0.0434375), rel=1e-12)
    assert one.p_value == pytest.approx(2 * stats.norm.sf(one.statistic), rel=1e-12)
    two = corrado_rank_test(panel, np.array([2, 3]))
    assert two.statistic == pytest.approx(0.2 / (math.sqrt(2) * math.sqrt(0.0434375)), rel=1e-12)


def test_corrado_rank_ties_use_average_ranks():
    # event 1 [1, 1, 2]: ranks [1.5, 1.5, 3], U = r/4, K = [-0.125, -0.125, 0.25]; event 2 the same
    # Kbar = K; S_K^2 = (0.015625 * 2 + 0.0625) / 3 = 0.03125; z(day 2) = 0.25 / sqrt(0.03125)
    panel = np.array([[1.0, 1.0, 2.0], [1.0, 1.0, 2.0]])
    assert corrado_rank_test(panel, [2]).statistic == pytest.approx(0.25 / math.sqrt(0.03125))


def test_corrado_is_invariant_to_monotone_transform():
    rng = np.random.default_rng(DEFAULT_SEED)
    panel = rng.normal(size=(8, 40))
    panel[2, 5] = np.nan
    a = corrado_rank_test(panel, [38, 39])
    b = corrado_rank_test(np.exp(panel) * 3 - 1, [38, 39])
    assert a.statistic == pytest.approx(b.statistic, rel=1e-12)


def test_mean_residual_correlation_hand_case():
    # b = 2a (r = 1), c reverses a (r = -1 with a and with b): mean of (1, -1, -1) = -1/3
    df = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 4, 6, 8], "c": [4.0, 3, 2, 1]})
    assert mean_residual_correlation(df, min_overlap=3) == pytest.approx(-1 / 3, rel=1e-12)


def test_mean_residual_correlation_ignores_short_overlap():
    # a and b share one date only: no pair qualifies, so rbar = 0 (KP reduces to BMP)
    df = pd.DataFrame({"a": [1.0, 2, 3, 4, np.nan, np.nan], "b": [np.nan, np.nan, np.nan, 1.0, 2, 3]})
    assert mean_residual_correlation(df, min_overlap=2) == 0.0
    assert mean_residual_correlation(df[["a"]]) == 0.0


def test_mean_residual_correlation_matches_pandas_pairwise():
    rng = np.random.default_rng(DEFAULT_SEED)
    f = rng.normal(size=200)
    x = 0.5 * f[:, None] + rng.normal(size=(200, 12)) + 0.01  # common factor, non-zero mean
    x[:120, 3] = np.nan          # overlaps 80 dates with the rest
    x[:185, 7] = np.nan          # overlaps 15 dates: ignored with min_overlap=30
    x[rng.random(x.shape) < 0.1] = np.nan
    df = pd.DataFrame(x, index=pd.bdate_range("2000-01-03", periods=200))
    c = df.corr(min_periods=30).to_numpy()
    expected = np.nanmean(c[np.triu_indices(12, k=1)])
    assert mean_residual_correlation(df, min_overlap=30) == pytest.approx(expected, rel=1e-10)


# --------------------------------------------------------------------------- scipy references

NAMED_SAMPLES = {
    "three_positive": [1.0, 2.0, 3.0],
    "symmetric": [1.0, 2.0, -3.0],
    "small_mixed": [1.0, 2.0, -3.0, 4.0, 5.0, -0.5, 7.0],
    "with_tie": [1.0, 2.0, -3.0, 4.0, 5.0, -0.5, 7.0, 1.0],
    "with_zero": [1.0, 2.0, -3.0, 4.0, 5.0, -0.5, 7.0, 0.0],
    "normal_30": list(np.random.default_rng(1).normal(0.3, 1, 30)),
    "normal_50": list(np.random.default_rng(2).normal(0.2, 1, 50)),
    "normal_80": list(np.random.default_rng(3).normal(0.0, 1, 80)),
    "rounded_30_ties_zeros": list(np.round(np.random.default_rng(4).normal(0, 1, 30), 1)),
    "rounded_12_ties": list(np.round(np.random.default_rng(5).normal(0.5, 1, 12), 0) + 0.5),
}


@pytest.mark.parametrize("name", sorted(NAMED_SAMPLES))
def test_wilcoxon_matches_scipy(name):
    x = np.asarray(NAMED_SAMPLES[name])
    mine = wilcoxon_signed_rank_test(x, level=None)  # the raw p-value, whatever N
    ref = stats.wilcoxon(x)
    assert mine.p_value == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-15)
    w_plus = float(mine.note.split("W+=")[1].split(",")[0])
    w_minus = float(mine.note.split("W-=")[1].split(";")[0])
    assert min(w_plus, w_minus) == pytest.approx(ref.statistic)


def test_wilcoxon_hand_cases():
    # [1, 2, 3]: W+ = 6, the one subset of {1,2,3} with sum >= 6 -> P = 1/8, two-sided 1/4
    assert wilcoxon_signed_rank_test([1.0, 2.0, 3.0], level=None).p_value == pytest.approx(0.25)
    # [1, 2, -3]: W+ = 3 = n(n+1)/4, the centre -> p = 1, z = 0
    r = wilcoxon_signed_rank_test([1.0, 2.0, -3.0], level=None)
    assert r.p_value == pytest.approx(1.0) and r.statistic == pytest.approx(0.0)


@pytest.mark.parametrize("name", sorted(NAMED_SAMPLES))
def test_cross_sectional_t_and_bmp_match_ttest_1samp(name):
    x = np.asarray(NAMED_SAMPLES[name])
    ref = stats.ttest_1samp(x, 0.0)
    for res in (cross_sectional_t_test(x), bmp_test(x)):
        assert res.statistic == pytest.approx(ref.statistic, rel=1e-12)
        assert res.p_value == pytest.approx(ref.pvalue, rel=1e-9)
        assert res.n == len(x)


@pytest.mark.parametrize("fn", [cross_sectional_t_test, bmp_test, wilcoxon_signed_rank_test])
@pytest.mark.parametrize("x", [[], [np.nan], [1.0]], ids=["empty", "nan", "single"])
def test_degenerate_inputs_give_nan_not_errors(fn, x):
    r = fn(x)
    assert isinstance(r, TestResult)
    if fn is wilcoxon_signed_rank_test and x == [1.0]:
        # one positive of one: exact p = 1 (scipy), and with N=1 it can never reject
        assert math.isnan(r.p_value) and "cannot reject at 5% with N=1" in r.note
        assert fn(x, level=None).p_value == pytest.approx(1.0)
    else:
        assert math.isnan(r.statistic) and math.isnan(r.p_value) and r.note


def test_constant_scar_is_nan():
    assert math.isnan(bmp_test([1.0, 1.0, 1.0]).statistic)


# --------------------------------------------------------------------------- calibration
# Null samples: N events, L1 estimation days, L2 event days, constant-mean model
# (AR = r - mean of the estimation window, sigma^2 = SSR / (L1 - 1),
#  Var(CAR) = sigma^2 (L2 + L2^2 / L1)), so under normal returns SCAR is exactly t(L1 - 1).
N_EVENTS, L1, L2 = 40, 100, 3
REPS = 1500
# A correct 5% test rejects Binomial(1500, 0.05) times: mean 75, sd 8.4. The band is the
# two-sided 99.9% binomial interval, so each of the ~14 checks fails by chance about 1 in 1000.
LO, HI = (int(v) for v in stats.binom.ppf([0.0005, 0.9995], REPS, 0.05))


def _null_sample(rng, returns):
    """From raw returns (N, L1 + L2) build the inputs of every test."""
    est, ev = returns[:, :L1], returns[:, L1:]
    mu = est.mean(axis=1, keepdims=True)
    ar_est, ar_ev = est - mu, ev - mu
    sigma2 = (ar_est ** 2).sum(axis=1) / (L1 - 1)
    car = ar_ev.sum(axis=1)
    scar = car / np.sqrt(sigma2 * (L2 + L2 ** 2 / L1))
    panel = np.hstack([ar_est, ar_ev])
    return car, scar, ar_est, panel


def _rejections(gen, with_rbar=False):
    rng = np.random.default_rng(DEFAULT_SEED)
    counts: dict[str, int] = {}
    event_cols = np.arange(L1, L1 + L2)
    for _ in range(REPS):
        car, scar, ar_est, panel = _null_sample(rng, gen(rng))
        results = [
            patell_test(scar, L1 - 1),
            bmp_test(scar),
            cross_sectional_t_test(car),
            corrado_rank_test(panel, event_cols),
            generalized_sign_test(car, ar_est),
            wilcoxon_signed_rank_test(car),
        ]
        if with_rbar:
            rbar = mean_residual_correlation(pd.DataFrame(ar_est.T))
            results.append(kolari_pynnonen_test(scar, rbar))
        for r in results:
            counts[r.name] = counts.get(r.name, 0) + int(r.p_value < 0.05)
    return counts


@pytest.fixture(scope="module")
def normal_rejections():
    return _rejections(lambda rng: rng.normal(0.0, 0.03, (N_EVENTS, L1 + L2)))


@pytest.fixture(scope="module")
def student_t_rejections():
    # fat tails: t with 4 df, as daily penny-stock returns
    return _rejections(lambda rng: 0.02 * rng.standard_t(4, (N_EVENTS, L1 + L2)))


@pytest.mark.parametrize("test", ["patell", "bmp", "t", "corrado_rank", "wilcoxon"])
def test_calibration_iid_normal(normal_rejections, test):
    assert LO <= normal_rejections[test] <= HI, (test, normal_rejections[test], (LO, HI))


def test_calibration_generalized_sign_iid_normal(normal_rejections):
    # The sign count is discrete (N = 40), so the 5% normal-approximation test cannot reject
    # exactly 5%; it must not over-reject, and must stay above half the level.
    assert LO // 2 <= normal_rejections["generalized_sign"] <= HI


@pytest.mark.parametrize("test", ["patell", "bmp", "t", "corrado_rank", "wilcoxon"])
def test_calibration_iid_student_t(student_t_rejections, test):
    assert LO <= student_t_rejections[test] <= HI, (test, student_t_rejections[test], (LO, HI))


def test_kolari_pynnonen_holds_size_where_bmp_over_rejects():
    # All events on the same calendar dates with a common factor: corr(AR_i, AR_j) = 0.1.
    # BMP ignores the correlation (variance of the mean SCAR is (1 + 39*0.1) = 4.9 times
    # what it assumes) and over-rejects; KP corrects with rbar from the estimation residuals.
    rho = 0.1

    def gen(rng):
        f = rng.normal(size=(1, L1 + L2))
        e = rng.normal(size=(N_EVENTS, L1 + L2))
        return 0.03 * (math.sqrt(rho) * f + math.sqrt(1 - rho) * e)

    counts = _rejections(gen, with_rbar=True)
    assert counts["bmp"] > 3 * HI, counts            # BMP rejects far more than 5%
    assert LO <= counts["kolari_pynnonen"] <= HI, (counts["kolari_pynnonen"], (LO, HI))


def test_corrado_calibration_with_missing_days():
    # Thin trading: each AR is missing with probability 0.3 (Corrado-Zivney standardized ranks
    # handle the uneven counts). Same band as above.
    rng = np.random.default_rng(DEFAULT_SEED + 1)
    cols = np.arange(L1, L1 + L2)
    rejections = 0
    for _ in range(REPS):
        panel = 0.02 * rng.standard_t(4, (N_EVENTS, L1 + L2))
        panel[rng.random(panel.shape) < 0.3] = np.nan
        rejections += int(corrado_rank_test(panel, cols).p_value < 0.05)
    assert LO <= rejections <= HI, (rejections, (LO, HI))


def test_every_test_detects_a_large_effect():
    # an abnormal return of one estimation sigma on each of the 3 event days, 40 events:
    # every test rejects in most samples (power, and the sign of the statistic)
    rng = np.random.default_rng(DEFAULT_SEED + 2)
    hits: dict[str, int] = {}
    for _ in range(50):
        r = rng.normal(0.0, 0.03, (N_EVENTS, L1 + L2))
        r[:, L1:] += 0.03
        car, scar, ar_est, panel = _null_sample(rng, r)
        for res in (patell_test(scar, L1 - 1), bmp_test(scar), cross_sectional_t_test(car),
                    kolari_pynnonen_test(scar, 0.0), corrado_rank_test(panel, np.arange(L1, L1 + L2)),
                    generalized_sign_test(car, ar_est), wilcoxon_signed_rank_test(car)):
            hits[res.name] = hits.get(res.name, 0) + int(res.p_value < 0.05 and res.statistic > 0)
    assert all(h >= 45 for h in hits.values()), hits


# --------------------------------------------------------------------------- Wilcoxon, small N


@pytest.mark.parametrize("n,expected", [(1, 1.0), (4, 0.125), (5, 0.0625), (6, 0.03125)])
def test_wilcoxon_min_attainable_p(n, expected):
    # all n signs equal: 2 of the 2^n sign patterns -> 2^(1-n)
    assert wilcoxon_min_attainable_p(n) == expected


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_wilcoxon_cannot_reject_with_five_or_fewer(n):
    # even n positive CARs (the most extreme sample) give p = 2^(1-n) >= 0.0625 (scipy agrees)
    x = np.arange(1.0, n + 1)
    assert stats.wilcoxon(x).pvalue == pytest.approx(2.0 ** (1 - n))
    r = wilcoxon_signed_rank_test(x)
    assert math.isnan(r.p_value)
    assert f"cannot reject at 5% with N={n}" in r.note


def test_wilcoxon_six_can_reject():
    # six positives: exact p = 2/64 = 0.03125 < 5%, shown as a p-value
    r = wilcoxon_signed_rank_test(np.arange(1.0, 7.0))
    assert r.p_value == pytest.approx(0.03125)


# --------------------------------------------------------------------------- GRANK (KP 2011)


def test_grank_hand_case():
    # Two events, L1 = 3: SAR rows [-1, 0, 1]; SCAR = [2, 4], S_SCAR = sqrt(((2-3)^2 + (4-3)^2)/1)
    # = sqrt(2), so GSAR_0 = [1.414, 2.828], both above every estimation SAR: ranks 1..4 in
    # each row, T = 4, U = r/5 - 1/2 = [-0.3, -0.1, 0.1, 0.3] in both rows (Ubar the same).
    # S_U^2 = (0.09 + 0.01 + 0.01 + 0.09) / 4 = 0.05; Z = 0.3 / sqrt(0.05) = 1.341641;
    # t = Z sqrt((T-2)/(T-1-Z^2)) = 1.341641 * sqrt(2 / 1.2) = sqrt(3); df = T - 2 = 2;
    # two-sided p from t(2): 2 * 0.5 (1 - t / sqrt(t^2 + 2)) = 1 - sqrt(3/5) = 0.225403
    r = grank_test([[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]], [2.0, 4.0])
    assert r.statistic == pytest.approx(math.sqrt(3), rel=1e-12)
    assert r.p_value == pytest.approx(1 - math.sqrt(0.6), rel=1e-12)
    assert r.name == "grank" and "2011" in r.reference and "2 df" in r.note


def _grank_reference(sar_est, scar):
    """GRANK-T written again from Kolari and Pynnonen (2011), event by event in plain Python."""
    sar_est = np.asarray(sar_est, float)
    scar = np.asarray(scar, float)
    n = len(scar)
    mean = sum(scar) / n
    s = math.sqrt(sum((v - mean) ** 2 for v in scar) / (n - 1))
    n_cols = sar_est.shape[1] + 1
    u = np.full((n, n_cols), np.nan)
    for i in range(n):
        row = list(sar_est[i]) + [scar[i] / s]
        vals = [(v, t) for t, v in enumerate(row) if np.isfinite(v)]
        ranks = stats.rankdata([v for v, _ in vals])   # average ranks for ties
        for (v, t), rk in zip(vals, ranks):
            u[i, t] = rk / (len(vals) + 1) - 0.5
    ubar, weights = [], []
    for t in range(n_cols):
        col = [u[i, t] for i in range(n) if np.isfinite(u[i, t])]
        if col:
            ubar.append(sum(col) / len(col))
            weights.append(len(col) / n)
    big_t = len(ubar)
    s_u = math.sqrt(sum(w * b * b for w, b in zip(weights, ubar)) / big_t)
    z = ubar[-1] / s_u
    t = z * math.sqrt((big_t - 2) / (big_t - 1 - z * z))
    return t, 2 * stats.t.sf(abs(t), big_t - 2)


GRANK_CASES = {
    "normal_20x100": (20, 100, 0.0, 0.0),
    "effect_15x60": (15, 60, 0.0, 1.0),
    "missing_30pct_25x80": (25, 80, 0.3, 0.0),
    "rounded_ties_10x50": (10, 50, 0.0, 0.5),
}


@pytest.mark.parametrize("name", sorted(GRANK_CASES))
def test_grank_matches_independent_reimplementation(name):
    n, l1, missing, shift = GRANK_CASES[name]
    rng = np.random.default_rng(hash(name) % 2**32)
    sar = rng.standard_t(4, (n, l1))
    if name.startswith("rounded"):
        sar = np.round(sar, 0)
    sar[rng.random(sar.shape) < missing] = np.nan
    scar = rng.normal(shift, 1.5, n)
    t_ref, p_ref = _grank_reference(sar, scar)
    r = grank_test(sar, scar)
    assert r.statistic == pytest.approx(t_ref, rel=1e-12)
    assert r.p_value == pytest.approx(p_ref, rel=1e-10)


def test_grank_block_form_hand_case():
    # Two events, L1 = 4, window_length K = 2: blocks (cols 0-1) and (cols 2-3).
    #   event 1 SAR [1, 1, -1, 3]: blocks 2/sqrt2 = 1.41421, 2/sqrt2 = 1.41421
    #   event 2 SAR [1, 3, 3, 3]: blocks 4/sqrt2 = 2.82843, 6/sqrt2 = 4.24264
    # block 1 [sqrt2, 2 sqrt2]: sd (ddof 1) = sqrt(2 x (0.5 sqrt2)^2) = 1 -> [1.41421, 2.82843]
    # block 2 [sqrt2, 3 sqrt2]: sd = sqrt(2 x 2) = 2 -> [0.70711, 2.12132]
    # SCAR [3, 5]: S_SCAR = sqrt2 -> [2.12132, 3.53553]
    # ranks in each event (block 1, block 2, day 0): [2, 1, 3]; T = 3, U = r/4 - 1/2
    #   = [0, -0.25, 0.25] in both; S_U^2 = (0 + 0.0625 + 0.0625) / 3 = 1/24;
    #   Z = 0.25 sqrt(24) = sqrt(1.5); t = Z sqrt((T-2)/(T-1-Z^2)) = sqrt(1.5 / 0.5) = sqrt(3);
    #   df = 1 (Cauchy): p = 2 (1/2 - arctan(sqrt3)/pi) = 2 (1/2 - 1/3) = 1/3
    sar = [[1.0, 1.0, -1.0, 3.0], [1.0, 3.0, 3.0, 3.0]]
    r = grank_test(sar, [3.0, 5.0], window_length=2, form="block")
    assert r.statistic == pytest.approx(math.sqrt(3), rel=1e-12)
    assert r.p_value == pytest.approx(1 / 3, rel=1e-12)
    assert "2 estimation blocks of 2 days" in r.note and "1 df" in r.note
    # an older remainder shorter than a block is left out; a missing day shrinks its block's
    # divisor (sqrt of the returns it holds), and a block without returns is missing
    older = grank_test([[99.0] + sar[0], [-99.0] + sar[1]], [3.0, 5.0], window_length=2,
                       form="block")
    assert older.statistic == pytest.approx(r.statistic, rel=1e-12)
    gap = grank_test([[1.0, 1.0, np.nan, 2 * math.sqrt(2) / math.sqrt(2) * 1.0], sar[1]],
                     [3.0, 5.0], window_length=2, form="block")  # block 2 of event 1: 2/sqrt(1)
    assert np.isfinite(gap.statistic)
    with pytest.raises(ValueError, match="window_length"):
        grank_test(sar, [3.0, 5.0], window_length=0)
    one_block = grank_test(sar, [3.0, 5.0], window_length=3, form="block")
    assert math.isnan(one_block.p_value) and "fewer than 2 estimation blocks" in one_block.note


# (window_length, estimation days, form) -> the form used; the rule of grank_test's notes:
# blocks from GRANK_BLOCK_FROM_DAYS = 4 days when the estimation period holds 2 blocks or more
GRANK_FORM_CASES = {
    "window not given": (None, 110, "auto", "daily"),
    "1 day": (1, 110, "auto", "daily"),
    "3 days, the (-1, 1) window": (3, 110, "auto", "daily"),
    "4 days, the cut-off": (4, 110, "auto", "block"),
    "6 days, the (0, 5) window": (6, 110, "auto", "block"),
    "6 days, 11-day estimation (1 block)": (6, 11, "auto", "daily"),
    "6 days, daily forced": (6, 110, "daily", "daily"),
    "3 days, block forced": (3, 110, "block", "block"),
}


@pytest.mark.parametrize("name", sorted(GRANK_FORM_CASES))
def test_grank_default_rule_picks_the_form(name):
    k, l1, form, used = GRANK_FORM_CASES[name]
    assert GRANK_BLOCK_FROM_DAYS == 4
    rng = np.random.default_rng(17)
    sar, scar = rng.standard_t(4, (15, l1)), rng.normal(0.3, 1.2, 15)
    r = grank_test(sar, scar, window_length=k, form=form)
    # the reference of each form: the daily form is the independent re-implementation above;
    # the block form is the daily form of the block values, each block sum / sqrt(K) divided by
    # its cross-sectional sd (ddof 1), the last l1 - l1 % K days in blocks
    if used == "daily":
        t_ref, p_ref = _grank_reference(sar, scar)
        assert "blocks" not in r.note
    else:
        nb = l1 // k
        blocks = sar[:, l1 - nb * k:].reshape(15, nb, k).sum(axis=2) / math.sqrt(k)
        t_ref, p_ref = _grank_reference(blocks / blocks.std(axis=0, ddof=1), scar)
        assert f"{nb} estimation blocks of {k} days" in r.note
    assert r.statistic == pytest.approx(t_ref, rel=1e-10)
    assert r.p_value == pytest.approx(p_ref, rel=1e-9)


@pytest.mark.parametrize("kwargs, match", [
    ({"form": "weekly"}, "form must be one of"),
    ({"form": "block"}, "needs window_length"),
    ({"window_length": -2}, "positive number of days"),
])
def test_grank_bad_form_arguments_say_what_to_pass(kwargs, match):
    with pytest.raises(ValueError, match=match):
        grank_test([[0.1, 0.2, 0.3], [0.3, 0.1, 0.2]], [1.0, 2.0], **kwargs)


def test_grank_block_form_holds_its_size_on_lattice_returns():
    # SARs on a coarse lattice (a thin stock's tick-rounded returns): day values in
    # {-2, -1, 0, 1, 2} x 0.8 plus a little noise, and a 6-day SCAR that is a sum of them
    # (close to normal).  The block form ranks it among 6-day sums built and restandardized
    # the same way (binomial 99.9% band around 5%).
    rng = np.random.default_rng(DEFAULT_SEED + 11)
    block = 0
    reps = 400
    for _ in range(reps):
        lat = rng.choice([-2, -1, 0, 0, 0, 1, 2], size=(20, 116)) * 0.8
        lat = lat + rng.normal(0, 0.05, lat.shape)
        sar = lat[:, :110] / lat[:, :110].std(axis=1, keepdims=True)
        scar = lat[:, 110:].sum(axis=1) / np.sqrt(6 * lat[:, 110:].var())
        block += grank_test(sar, scar, window_length=6).p_value < 0.05
    lo, hi = stats.binom.interval(0.999, reps, 0.05)
    assert lo <= block <= hi, (block, (lo, hi))


def test_grank_invariant_to_scaling_the_scars():
    # step 1 re-standardizes by the cross-sectional sd: doubling every SCAR changes nothing
    rng = np.random.default_rng(3)
    sar, scar = rng.normal(size=(12, 40)), rng.normal(0.5, 1, 12)
    assert grank_test(sar, 2 * scar).statistic == pytest.approx(grank_test(sar, scar).statistic)


def test_grank_degenerate_inputs_are_nan_with_reason():
    assert math.isnan(grank_test([[0.1, 0.2, 0.3]], [1.0]).p_value)
    r = grank_test([[0.1, 0.2], [0.3, 0.4]], [1.0, 1.0])
    assert math.isnan(r.p_value) and "dispersion" in r.note


def test_grank_calibration_iid_normal():
    # N = 40, L1 = 100, 3-day window under the null: rejection count inside the 99.9% band.
    # (With t(4) returns it rejects 5.0% to 7.5% across seeds for 3 days and ~8% for 6 days:
    # documented in grank_test's notes, measured by the calibration benchmark.)
    rng = np.random.default_rng(DEFAULT_SEED + 9)
    rejections = 0
    for _ in range(REPS):
        r = 0.02 * rng.normal(size=(N_EVENTS, L1 + L2))
        car, scar, ar_est, _ = _null_sample(rng, r)
        sigma = np.sqrt((ar_est ** 2).sum(axis=1, keepdims=True) / (L1 - 1))
        rejections += int(grank_test(ar_est / sigma, scar).p_value < 0.05)
    assert LO <= rejections <= HI, (rejections, (LO, HI))


# --------------------------------------------------------------------------- overlapping windows


def test_overlap_correlation_hand_case():
    # windows [0, 2] (3 days), [1, 5] (5 days), [10, 10] (1 day) on one stock:
    # |W1 & W2| = 2 -> 2 / sqrt(15) = 0.516398; W3 shares nothing
    r = overlap_correlation([0, 1, 10], [2, 5, 10])
    assert r[0, 1] == pytest.approx(2 / math.sqrt(15)) and r[1, 0] == r[0, 1]
    assert r[0, 2] == 0 and r[1, 2] == 0
    np.testing.assert_allclose(np.diag(r), 1.0)


def test_overlap_correlation_other_stocks_share_no_day():
    r = overlap_correlation([0, 0], [2, 2], groups=["A", "B"])
    np.testing.assert_allclose(r, np.eye(2))


def test_overlap_correlation_is_the_car_correlation_algebra():
    # With iid unit ARs over days 0..9, CAR_i = g_i' e, Cov = g_i' g_j, so the correlation
    # matrix is G G' scaled by sqrt(L_i L_j): computed here as a matrix product.
    starts, ends = np.array([0, 1, 3, 6]), np.array([2, 5, 3, 9])
    g = np.zeros((4, 10))
    for i, (a, b) in enumerate(zip(starts, ends)):
        g[i, a:b + 1] = 1.0
    cov = g @ g.T
    corr = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    np.testing.assert_allclose(overlap_correlation(starts, ends), corr, rtol=1e-15)


def test_bmp_overlap_hand_case():
    # SCAR = [1, 2, 3], windows [0,1], [1,2], [5,6] (2 days each): R_12 = 1/2, others 0;
    # sum R = 3 + 2 * 0.5 = 4; rbar = (4 - 3) / 6 = 1/6; s = 1;
    # t = 6 / (1 / sqrt(5/6) * sqrt(4)) = 3 sqrt(5/6) = 2.738613; 2 df
    r = bmp_overlap_test([1.0, 2.0, 3.0], overlap_correlation([0, 1, 5], [1, 2, 6]))
    assert r.statistic == pytest.approx(3 * math.sqrt(5 / 6), rel=1e-12)
    assert r.p_value == pytest.approx(2 * stats.t.sf(3 * math.sqrt(5 / 6), 2), rel=1e-12)


def test_bmp_overlap_is_kolari_pynnonen_with_known_rbar():
    # equicorrelated windows: every R_ij = rho, so the formula is KP's with rbar = rho
    rho, scar = 0.25, [0.5, 1.5, -0.2, 2.0, 1.1]
    corr = np.full((5, 5), rho) + (1 - rho) * np.eye(5)
    assert bmp_overlap_test(scar, corr).statistic == pytest.approx(
        kolari_pynnonen_test(scar, rho).statistic, rel=1e-12)


def test_overlap_tests_reduce_to_bmp_and_patell_without_overlap():
    scar, dof = [1.0, 2.0, -0.5, 0.7], [10, 10, 18, 30]
    eye = np.eye(4)
    assert bmp_overlap_test(scar, eye).statistic == pytest.approx(bmp_test(scar).statistic)
    assert patell_overlap_test(scar, dof, eye).statistic == pytest.approx(
        patell_test(scar, dof).statistic)


def test_patell_overlap_hand_case():
    # scar [1, 2], dof [10, 10] (v = 1.25 each), R_12 = 0.5:
    # Var = 1.25 + 1.25 + 2 * 0.5 * 1.25 = 3.75; z = 3 / sqrt(3.75) = 1.549193
    r = patell_overlap_test([1.0, 2.0], [10, 10], np.array([[1, 0.5], [0.5, 1]]))
    assert r.statistic == pytest.approx(3 / math.sqrt(3.75), rel=1e-12)


def test_identical_windows_are_one_observation():
    r = bmp_overlap_test([1.0, 2.0], np.ones((2, 2)))
    assert math.isnan(r.p_value) and "same window" in r.note


def test_mean_residual_correlation_leaves_same_stock_pairs_out():
    # columns 0 and 1 are the same stock (identical residuals, corr 1), column 2 is another
    # stock independent of it: with groups only the cross-stock pairs (0,2), (1,2) count
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=100), rng.normal(size=100)
    df = pd.DataFrame({0: a, 1: a, 2: b})
    r02 = float(np.corrcoef(a, b)[0, 1])
    assert mean_residual_correlation(df) == pytest.approx((1 + 2 * r02) / 3)
    assert mean_residual_correlation(df, groups=["X", "X", "Y"]) == pytest.approx(r02)
    assert math.isnan(mean_residual_correlation(df[[0, 1]], groups=["X", "X"]))


OVERLAP_LAYOUTS = {
    "one_stock_equal_lengths": ([0, 1, 2, 10, 11], [2, 3, 4, 12, 13], None),
    "same_day_many": ([5, 5, 5, 5], [7, 7, 7, 7], None),
    "long_window_spans_later_ones": ([0, 1, 6, 9], [20, 2, 7, 10], None),
    "two_stocks": ([0, 1, 0, 1, 3], [2, 3, 2, 3, 5], ["A", "A", "B", "B", "A"]),
    "random_60": tuple(x.tolist() if x is not None else None for x in (
        np.sort(np.random.default_rng(8).integers(0, 200, 60)),
        np.sort(np.random.default_rng(8).integers(0, 200, 60)) + np.random.default_rng(9).integers(0, 8, 60),
        np.random.default_rng(10).choice(["A", "B", "C"], 60))),
}


@pytest.mark.parametrize("name", sorted(OVERLAP_LAYOUTS))
def test_overlap_pair_sum_equals_the_matrix_sum(name):
    starts, ends, groups = OVERLAP_LAYOUTS[name]
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(starts))
    r = overlap_correlation(starts, ends, groups)
    assert overlap_pair_sum(starts, ends, groups) == pytest.approx(r.sum(), rel=1e-12)
    assert overlap_pair_sum(starts, ends, groups, w) == pytest.approx(w @ r @ w, rel=1e-12)


def test_bmp_overlap_takes_the_sum_instead_of_the_matrix():
    scar, starts, ends = [1.0, 2.0, 3.0], [0, 1, 5], [1, 2, 6]
    by_matrix = bmp_overlap_test(scar, overlap_correlation(starts, ends))
    by_sum = bmp_overlap_test(scar, overlap_pair_sum(starts, ends))
    assert by_sum.statistic == pytest.approx(by_matrix.statistic, rel=1e-14)
