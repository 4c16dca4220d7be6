"""Bayesian calibration (ptsim.analysis.bayes) and stored ensembles (ptsim.inputs.ensembles)."""

import shutil

import numpy as np
import pytest

pytest.importorskip("emcee")

from ptsim.analysis import bayes
from ptsim.analysis.calibrate import Target
from ptsim.inputs.ensembles import Ensemble, draw_members, load_ensemble

TINY = bayes.SamplerSettings(n_walkers=4, n_steps=6, burn_in=2, thin=1, n_patients=20, seed=3)


def _target(published, low, high):
    return Target(
        "t",
        "knee_oa",
        "combined",
        "",
        "pain",
        "change",
        42,
        None,
        "NPRS points",
        published,
        low,
        high,
        "95 % CI",
        10,
        "src",
        "q",
        "calibration",
        "checked",
    )


def test_log_likelihood_reads_each_side_of_the_interval():
    t = _target(-2.0, -3.0, -1.5)
    assert bayes.log_likelihood([-2.0], [t]) == 0.0
    # 0.5 above the value is one upper half-interval (0.5): z = 1.96; 0.5 below is half a lower one.
    assert bayes.log_likelihood([-1.5], [t]) == pytest.approx(-0.5 * bayes.Z95**2)
    assert bayes.log_likelihood([-2.5], [t]) == pytest.approx(-0.5 * (0.5 * bayes.Z95) ** 2)
    from ptsim.analysis.calibrate import NAN_RESIDUAL

    assert bayes.log_likelihood([float("nan")], [t]) == pytest.approx(-0.5 * (NAN_RESIDUAL * bayes.Z95) ** 2)


def test_sampling_is_deterministic_and_stays_in_the_documented_ranges():
    a = bayes.sample("subacromial_pain", TINY, progress=False)
    b = bayes.sample("subacromial_pain", TINY, progress=False)
    np.testing.assert_array_equal(a.chain, b.chain)
    assert np.all(a.chain >= a.low) and np.all(a.chain <= a.high)
    assert a.chain.shape == (6, 4, len(a.names))
    x, lp = a.kept()
    assert x.shape == (TINY.n_kept, len(a.names)) and np.all(np.isfinite(lp))
    assert 0.0 <= a.acceptance <= 1.0


@pytest.mark.parametrize(
    "change, match",
    [
        ({"n_walkers": 1}, "n_walkers must be at least twice"),
        ({"burn_in": 6}, "burn_in must be"),
        ({"seed": -1}, "seed must be"),
        ({"thin": 0}, "thin must be"),
    ],
)
def test_bad_sampler_settings_are_named(change, match):
    from dataclasses import replace

    with pytest.raises(ValueError, match=match):
        bayes.sample("subacromial_pain", replace(TINY, **change), progress=False)


def test_written_ensemble_loads_and_checks_and_notices_changed_inputs(tmp_path, monkeypatch):
    post = bayes.sample("subacromial_pain", TINY, progress=False)
    # Hash copies of the inputs, so changing one does not touch the project's files.
    copies = {}
    for key, path in bayes.input_files("subacromial_pain").items():
        copies[key] = tmp_path / f"{key}_{path.name}"
        shutil.copy(path, copies[key])
    monkeypatch.setattr(bayes, "input_files", lambda condition: copies)
    bayes.write_ensemble(post, "test", tmp_path)
    ens = load_ensemble("subacromial_pain", tmp_path)
    assert ens.n_members == TINY.n_kept and set(ens.names) == set(post.names)
    np.testing.assert_array_equal(ens.values[post.names[0]], post.kept()[0][:, 0])  # %.17g round trip
    assert ens.meta["sampler"]["seed"] == 3 and "acceptance_fraction" in ens.meta["diagnostics"]
    problems = bayes.check_ensemble("subacromial_pain", tmp_path)
    assert problems == [f"subacromial_pain: {TINY.n_kept} members, fewer than 200"]
    copies["targets"].write_text(copies["targets"].read_text() + "\n")
    assert any(
        "targets.csv" in p or "targets_targets.csv" in p
        for p in bayes.check_ensemble("subacromial_pain", tmp_path)
    )


def test_identifiability_flags_a_parameter_the_evidence_leaves_alone():
    rng = np.random.default_rng(0)
    ens = Ensemble("x", {"narrow": rng.uniform(0.4, 0.45, 500), "wide": rng.uniform(0.0, 1.0, 500)})
    table = bayes.identifiability(ens, {"narrow": (0.0, 1.0), "wide": (0.0, 1.0)}).set_index("parameter")
    assert not table.loc["narrow", "unidentified"] and table.loc["wide", "unidentified"]


def test_members_are_drawn_per_patient_with_common_random_numbers():
    ids = np.arange(1000)
    m = draw_members(250, ids, seed=5)
    assert m.min() >= 0 and m.max() < 250 and len(np.unique(m)) > 200
    np.testing.assert_array_equal(draw_members(250, ids[:10], seed=5), m[:10])
    assert not np.array_equal(draw_members(250, ids, seed=6), m)
    with pytest.raises(ValueError, match="n_members"):
        draw_members(0, ids, seed=5)


def test_missing_and_malformed_ensembles_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no stored ensemble for condition 'knee_oa'"):
        load_ensemble("knee_oa", tmp_path)
    (tmp_path / "knee_oa.csv").write_text("a,b\n1,x\n")
    (tmp_path / "knee_oa.toml").write_text('condition = "knee_oa"\n')
    with pytest.raises(ValueError, match=r"line 2, column 'b': not a number"):
        load_ensemble("knee_oa", tmp_path)
