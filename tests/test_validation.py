"""Checking the inference (ptsim.analysis.validation): leave-one-source-out cross-validation and
simulation-based calibration, run with tiny sampler settings (the real runs are not part of CI)."""

import pytest

pytest.importorskip("emcee")

from ptsim.analysis import bayes, validation

TINY = bayes.SamplerSettings(n_walkers=14, n_steps=4, burn_in=2, thin=1, n_patients=16, seed=3, replicates=4)


def test_sources_group_a_conditions_fit_rows_by_citation():
    groups = validation.sources("subacromial_pain")
    ids = [i for g in groups.values() for i in g]
    assert len(ids) == len(set(ids)) and len(groups) >= 3
    assert all(i.startswith("sap_") for i in ids)


def test_a_cross_validation_fold_predicts_only_the_rows_it_left_out():
    groups = validation.sources("subacromial_pain")
    left_out = next(ids for ids in groups.values() if len(ids) >= 2)
    rows = validation._fold(("subacromial_pain", left_out, TINY, 6))
    assert [r["id"] for r in rows] == left_out
    for r in rows:
        assert r["in_ppi"] in (True, False, None)
        if r["in_ppi"] is not None:
            assert r["low"] <= r["high"] and r["in_ppi"] == (r["low"] <= r["published"] <= r["high"])


def test_sbc_replicates_rank_the_truth_among_the_draws_through_the_executor():
    with validation.executor(workers=1) as pool:
        out = validation.sbc("subacromial_pain", tables=2, settings=TINY, pool=pool)
    assert len(out["replicates"]) == 2
    again = validation.sbc("subacromial_pain", tables=2, settings=TINY)  # in this process: same numbers
    assert again["ranks"] == out["ranks"]
    for name, ranks in out["ranks"].items():
        assert all(0 <= r <= TINY.n_kept for r in ranks), name
        hits = [rep[name] for rep in out["replicates"]]
        assert all(h["in90"] for h in hits if h["in50"]), name  # the 50 % interval lies in the 90 % one
        assert out["coverage50"][name] == sum(h["in50"] for h in hits) / len(hits)
