"""Calibration v3's likelihood of published trials (ptsim.analysis.likelihood) and the batched,
prepared simulation of published rows (ptsim.analysis.predict.prepare_rows / simulate_sets)."""

import math

import numpy as np
import pytest
from scipy import stats

from ptsim.analysis import likelihood as lk
from ptsim.analysis import predict
from ptsim.analysis.calibrate import free_parameters, with_values
from ptsim.analysis.evidence import published_targets
from ptsim.inputs.conditions import load_condition


def _row(rid, source="A", arm="combined", comparator="usual_care", est=-1.0, low=-2.0, high=0.0, **kw):
    return {
        "id": rid,
        "source": source,
        "arm": arm,
        "comparator": comparator,
        "estimate": est,
        "low": low,
        "high": high,
        "interval": kw.get("interval", "95% CI"),
        "design": kw.get("design", "pooled"),
    }


class _Model:
    def __init__(self, quantity="between_arm_difference"):
        self.quantity = quantity


def test_rows_of_one_source_sharing_an_arm_enter_jointly():
    rows = [
        _row("a"),
        _row("b", arm="manual_only"),  # shares the comparator with a
        _row("c", source="B"),  # same arms, another source
        _row("d", arm="exercise_only", comparator="manual_only"),  # joins b, hence a
        _row("e", arm="x", comparator="y"),  # same source, no shared arm
    ]
    assert lk.joint_groups(rows) == [0, 0, 1, 0, 2]
    terms = lk.build_terms(rows, [_Model()] * 5)
    assert terms.correlation[0, 1] == lk.ROW_CORRELATION and terms.correlation[0, 2] == 0.0


def test_pooled_rows_without_monte_carlo_error_are_a_multivariate_normal():
    rows = [_row("a", est=-1.0, low=-2.0, high=0.0), _row("b", arm="manual_only", est=2.0, low=0.0, high=4.0)]
    terms = lk.build_terms(rows, [_Model()] * 2)
    x = np.array([-0.5, 3.0])
    sd = np.array([1.0, 2.0]) / lk.Z95
    cov = np.array([[1, 0.5], [0.5, 1]]) * np.outer(sd, sd)
    want = stats.multivariate_normal(mean=[-1.0, 2.0], cov=cov).logpdf(x)
    assert lk.log_likelihood(terms, x) == pytest.approx(want, rel=1e-10)


def test_monte_carlo_error_and_heterogeneity_widen_the_likelihood():
    far = np.array([1.5])  # 2.5 published SDs above the estimate -1 (half-width 1)
    pooled = lk.build_terms([_row("a")], [_Model()])
    single = lk.build_terms([_row("a", design="single")], [_Model()])
    assert lk.log_likelihood(single, far) > lk.log_likelihood(pooled, far)
    rng = np.random.default_rng(0)
    noisy = np.vstack([far, far + rng.normal(0, 0.5, (32, 1))])
    assert lk.log_likelihood(pooled, noisy) > lk.log_likelihood(pooled, far)
    cov = lk.monte_carlo_covariance(noisy[1:])
    assert cov[0, 0] == pytest.approx(np.var(noisy[1:, 0], ddof=1))


def test_heterogeneity_prior_reproduces_its_published_median_and_interval():
    for family, (median, low, high) in lk.HETEROGENEITY_PRIOR.items():
        mu, sd = lk.logit_normal(median, low, high)
        assert 1 / (1 + math.exp(-mu)) == pytest.approx(median)
        # the fitted normal's 95 % interval on the logit scale lands within 0.05 of the published bounds
        lo, hi = (1 / (1 + math.exp(-(mu + z * sd))) for z in (-lk.Z95, lk.Z95))
        assert abs(lo - low) < 0.05 and abs(hi - high) < 0.05, family
        h, w = lk.heterogeneity_nodes(family)
        assert w.sum() == pytest.approx(1.0) and (h > 0).all()
        assert h[len(h) // 2] == pytest.approx(median / (1 - median))  # the middle node is the median


def test_ratios_are_compared_on_the_log_scale_and_ranges_as_ranges():
    rr = lk.build_terms([_row("r", est=0.65, low=0.5, high=0.86)], [_Model("ratio")])
    assert rr.published[0] == pytest.approx(math.log(0.65))
    # 0.1 log units above / below: a normal on the log scale with the SD of that side's half-interval
    for step, bound in ((0.1, 0.86), (-0.1, 0.5)):
        sd = abs(math.log(bound) - math.log(0.65)) / lk.Z95
        got = lk.log_likelihood(rr, np.array([0.65 * math.exp(step)]))
        assert got == pytest.approx(stats.norm(0, sd).logpdf(step), rel=1e-9)
    assert math.isnan(rr.transform(np.array([0.0]))[0])  # a ratio of zero has no log: NaN penalty
    span = lk.build_terms(
        [_row("g", est=62.5, low=50, high=75, interval="range reported")], [_Model("proportion")]
    )
    reps = np.array([[60.0]] + [[60.0 + d] for d in np.linspace(-3, 3, 16)])
    inside = lk.log_likelihood(span, reps)
    outside = lk.log_likelihood(span, reps + 30.0)
    assert inside == pytest.approx(0.0, abs=1e-6) and outside < -20


def test_a_nan_row_costs_its_penalty():
    from ptsim.analysis.calibrate import NAN_RESIDUAL

    terms = lk.build_terms([_row("a")], [_Model()])
    assert lk.log_likelihood(terms, np.array([math.nan])) == pytest.approx(
        -0.5 * (NAN_RESIDUAL * lk.Z95) ** 2
    )


@pytest.mark.parametrize("condition", ["knee_oa", "chronic_neck_pain"])
def test_batched_sets_give_each_sets_own_numbers_and_arms_stop_where_their_rows_do(condition):
    cond = load_condition(condition)
    bounds = free_parameters(condition)
    rows = published_targets(condition)
    prep = predict.prepare_rows(cond, rows, 24, 5, replicates=4, bounds=bounds)
    assert max(prep.horizons.values()) > min(prep.horizons.values())  # not every arm to the longest day
    np.testing.assert_array_equal(prep.resamples[0], np.arange(24))  # row 0: the cohort itself
    rng = np.random.default_rng(1)
    sets = [{k: float(lo + rng.uniform() * (hi - lo)) for k, (lo, hi) in bounds.items()} for _ in range(3)]
    batch = predict.simulate_sets(prep, sets, replicates=True)
    assert batch.shape == (3, 5, len(rows))
    one = np.array([predict.simulate_rows(with_values(cond, s), rows, 24, 5) for s in sets])
    np.testing.assert_array_equal(batch[:, 0, :], one)
    # a set's numbers do not depend on the other sets of its batch
    np.testing.assert_array_equal(predict.simulate_sets(prep, sets[1:2], replicates=True)[0], batch[1])


def test_sets_must_name_the_same_parameters():
    prep = predict.prepare_rows("knee_oa", published_targets("knee_oa")[:2], 5, 0)
    with pytest.raises(ValueError, match="same parameters"):
        predict.simulate_sets(prep, [{"sensitization_tau_days": 2.0}, {}])
    with pytest.raises(ValueError, match="sets is empty"):
        predict.simulate_sets(prep, [])
