"""The stored posterior ensembles (data/ensembles): every shipped condition has one, and each loads,
matches the evidence it was fitted on (SHA-256 of its inputs), and reproduces its recorded predictive
summaries with the current model (issue 13). Sampling itself is not run here: re-run it with
``python -m ptsim.analysis.bayes <condition> --processes 2``."""

from __future__ import annotations

import pytest

from ptsim.analysis import bayes
from ptsim.analysis.calibrate import free_parameters
from ptsim.inputs.conditions import list_conditions, load_condition
from ptsim.inputs.ensembles import load_ensemble

CONDITIONS = list_conditions()

CONVERGED: tuple[str, ...] = (
    "adhesive_capsulitis",
    "chronic_neck_pain",
    "hip_oa",
    "knee_oa",
    "low_back_pain",
    "subacromial_pain",
)
"""Conditions whose stored ensembles pass the convergence gates (rank-normalised split R-hat <= 1.01,
bulk and tail ESS >= 400 for every parameter, recomputed from the stored chain and draw indices). A
condition joins only with an ensemble that passes; the others are reported as not converged
(``docs/evidence_report.md``)."""


@pytest.mark.parametrize("condition", CONDITIONS)
def test_stored_ensemble_loads_matches_its_inputs_and_reproduces(condition):
    assert bayes.check_ensemble(condition, converged=False) == []


PREDICTS: tuple[str, ...] = ("chronic_neck_pain", "hip_oa", "subacromial_pain")
"""Conditions whose stored ensembles put >= 85 % of their fit rows' published values inside their
95 % posterior predictive intervals on another cohort and seed than the fit's (neck pain 7 of 7,
hip OA 7 of 7, subacromial pain 6 of 7: sap_bennell_spadi_11wk). The others miss the gate and are
reported, not gated (calibration v3 refit on model v3 within the behaviour-test bounds, 2026-12-07,
this test's seed; low back pain refitted 2026-12-08 with the same misses; the misses are in
docs/evidence_report.md and docs/calibration.md):

- adhesive_capsulitis, 1 of 3 (too few fit rows for the gate since evidence v3): Satpute 2022's pooled
  pain and disability SMDs for mobilization with movement added to exercise (the model's added effect
  is bounded by the lasting pathway's ceiling);
- knee_oa, 10 of 12: Abbott 2013's manual-therapy WOMAC difference at a year (-28.5 /240), which the
  bounded lasting pathway and its priors from the pooled evidence (Runge 2022: no long-term benefit of
  adding manual therapy; Fitzgerald 2016) no longer reach, and the ROM kept two days after one
  mobilization (bounded by behaviour M1);
- low_back_pain, 8 of 11: UK BEAM's RMDQ differences at 3 months (manipulation, combined: the model's
  acute course has nearly resolved by then in every arm) and da Silva's 69 % recurring within a year
  (the model 81 %)."""


@pytest.mark.parametrize("condition", PREDICTS)
def test_fit_rows_fall_in_their_posterior_predictive_intervals_on_another_cohort(condition):
    from ptsim.inputs.ensembles import spaced_members

    ens = load_ensemble(condition)
    seed = int(ens.meta["sampler"]["seed"]) + 1  # another seed: another cohort, other draws and noise
    table = bayes.predictive(
        condition, ens, spaced_members(ens.n_members, 20), bayes.fitted_patients(ens), seed
    )
    inside, checked = bayes.predictive_coverage(table)
    missed = list(table.loc[(table["role"] == "fit") & (table["in_ppi"] == False), "id"])  # noqa: E712
    assert checked >= 5 and inside >= 0.85 * checked, missed


@pytest.mark.parametrize("condition", CONVERGED)
def test_stored_ensemble_passes_the_convergence_gates(condition):
    assert bayes.check_ensemble(condition) == []


@pytest.mark.parametrize("condition", CONDITIONS)
def test_stored_ensemble_claims_convergence_only_when_the_gates_pass(condition):
    ens = load_ensemble(condition)
    if "chain" not in ens.draws:  # fitted before calibration v3: no indices, no claim
        assert condition not in CONVERGED and "converged" not in ens.meta
        return
    gates = bayes.convergence_problems(
        condition, bayes.convergence(ens.values, ens.draws["chain"], ens.draws["draw"])
    )
    assert ens.meta["converged"] == (not gates)
    assert (condition in CONVERGED) == (not gates), gates


@pytest.mark.parametrize("condition", CONDITIONS)
def test_stored_ensemble_records_how_it_was_made(condition):
    ens = load_ensemble(condition)
    meta = ens.meta
    assert ens.n_members >= 200
    assert set(ens.names) == set(free_parameters(condition))
    assert meta["command"].startswith("python -m ptsim.analysis.bayes")
    assert meta["targets_source"] == "published" and meta["targets_used"]
    d = meta["diagnostics"]
    assert 0.0 < d["acceptance_fraction"] < 1.0
    if "rhat" in d:  # calibration v3: rank-normalised split R-hat, bulk and tail ESS
        assert set(d["rhat"]) == set(d["ess_bulk"]) == set(d["ess_tail"]) == set(ens.names)
    else:
        assert set(d["effective_sample_size"]) == set(ens.names)
        assert set(d["arviz_rhat"]) == set(ens.names)
    # Every member lies inside the prior (the documented ranges of calibration.toml).
    for name, (low, high) in free_parameters(condition).items():
        assert low <= ens.values[name].min() and ens.values[name].max() <= high, name


@pytest.mark.parametrize("condition", CONDITIONS)
def test_calibrated_layer_is_the_ensembles_member_of_highest_posterior(condition):
    """The point values of the evidence scenario are a member of the ensemble (its mode)."""
    import numpy as np

    from ptsim.inputs.ensembles import ensembles_dir

    ens = load_ensemble(condition)
    cond = load_condition(condition)
    rows = np.genfromtxt(ensembles_dir() / f"{condition}.csv", delimiter=",", names=True)
    best = int(np.argmax(rows["log_probability"]))
    for name in ens.names:
        value = (
            cond.natural_history[name.split(".", 1)[1]]
            if name.startswith("natural_history.")
            else cond.parameters[name]
        )
        assert value == pytest.approx(ens.values[name][best], rel=1e-5), name


def _summary_table(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("|")]


def test_stored_evidence_report_is_current_and_the_readme_shows_its_summary():
    """docs/evidence_report.md is what ``python -m ptsim.analysis.bayes --report --markdown`` prints
    now (re-simulated: nothing is typed in), and the README carries its summary table."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    stored = (root / "docs" / "evidence_report.md").read_text(encoding="utf-8")
    report = bayes.evidence_report()
    now = bayes.report_markdown(report)
    assert now.strip() == stored.strip(), (
        "docs/evidence_report.md is stale: python -m ptsim.analysis.bayes --report --markdown > "
        "docs/evidence_report.md"
    )
    table = _summary_table(stored)
    assert len(table) == 2 + len(CONDITIONS)
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "\n".join(table) in readme
    # ... and its counts in words
    fit = sum(r["fit_covered"][1] for r in report.values())
    fit_in = sum(r["fit_covered"][0] for r in report.values())
    held = [
        r["table"][(r["table"]["role"] == "held_out") & (r["table"]["status"] == "modelled")]
        for r in report.values()
    ]
    held_in = sum(int(sum(bool(c) for c in h["covered"])) for h in held)
    n_held = sum(len(h) for h in held)
    words = " ".join(readme.split())
    assert f"{fit_in} of {fit} fitted results and {held_in} of the {n_held} modelled held-out" in words
