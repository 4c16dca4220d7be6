"""Bayesian calibration (ptsim.analysis.bayes) and stored ensembles (ptsim.inputs.ensembles)."""

import shutil

import numpy as np
import pytest

pytest.importorskip("emcee")

from ptsim.analysis import bayes
from ptsim.analysis.calibrate import Target
from ptsim.inputs.ensembles import Ensemble, draw_members, load_ensemble

TINY = bayes.SamplerSettings(n_walkers=14, n_steps=6, burn_in=2, thin=1, n_patients=20, seed=3)

# Subacromial rows read on NPRS, SMD, % and risk ratios (no questionnaire needed), and two surgery rows
# the model cannot express: a fit on them runs without model v2's questionnaires.
SAP_ROWS = (
    "published:sap_steuri_exercise,sap_steuri_manual_plus_exercise,sap_supervised_pain_rest,"
    "sap_supervised_pain_movement,sap_bennell_success_rr,sap_bennell_placebo_success,"
    "sap_holmgren_success_3mo,sap_holmgren_surgery_3mo,sap_hallgren_surgery_1yr"
)


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
    a = bayes.sample("subacromial_pain", TINY, progress=False, targets=SAP_ROWS)
    b = bayes.sample("subacromial_pain", TINY, progress=False, targets=SAP_ROWS)
    np.testing.assert_array_equal(a.chain, b.chain)
    # the fit rows the model expresses are in the likelihood; known gaps (the global-rating "success"
    # rows since evidence v3), surgery rows and held-out rows are not
    assert a.targets == SAP_ROWS.split(":")[1].split(",")[:4] and a.target_source == SAP_ROWS
    assert np.all(a.chain >= a.low) and np.all(a.chain <= a.high)
    assert a.chain.shape == (TINY.n_steps, TINY.n_walkers, len(a.names))
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
        ({"final_walkers": 1}, "final_walkers must be 0 or"),
        ({"final_walkers": 4}, "final_walkers .* is for moves"),
    ],
)
def test_bad_sampler_settings_are_named(change, match):
    from dataclasses import replace

    with pytest.raises(ValueError, match=match):
        bayes.sample("subacromial_pain", replace(TINY, **change), progress=False, targets=SAP_ROWS)


def test_the_v1_targets_still_sample():
    post = bayes.sample("subacromial_pain", TINY, progress=False, targets="v1")
    assert post.target_source == "v1" and post.targets == [
        t.id for t in bayes.V1Targets().fit_targets(bayes.load_condition("subacromial_pain"))
    ]
    assert set(bayes.input_files("subacromial_pain", "v1")) >= {"targets", "arms", "calibration", "condition"}


def test_published_inputs_are_hashed():
    files = bayes.input_files("subacromial_pain")
    assert {"published", "instruments", "arms", "calibration", "condition"} <= set(files)
    assert files["published"].name == "published.csv" and files["instruments"].name == "instruments.csv"


@pytest.mark.parametrize(
    "targets, match",
    [
        ("v3", "targets must be one of published, v1"),
        ("published:no_such_row", "unknown: no_such_row"),
        ("published:", "none given"),
    ],
)
def test_bad_target_sources_are_named(targets, match):
    with pytest.raises(ValueError, match=match):
        bayes.sample("subacromial_pain", TINY, progress=False, targets=targets)


def test_written_ensemble_loads_and_checks_and_notices_changed_inputs(tmp_path, monkeypatch):
    post = bayes.sample("subacromial_pain", TINY, progress=False, targets=SAP_ROWS)
    # Hash copies of the inputs, so changing one does not touch the project's files.
    copies = {}
    for key, path in bayes.input_files("subacromial_pain").items():
        copies[key] = tmp_path / f"{key}_{path.name}"
        shutil.copy(path, copies[key])
    monkeypatch.setattr(bayes, "input_files", lambda condition, targets="published": copies)
    bayes.write_ensemble(post, "test", tmp_path)
    ens = load_ensemble("subacromial_pain", tmp_path)
    assert ens.n_members == TINY.n_kept and set(ens.names) == set(post.names)
    np.testing.assert_array_equal(ens.values[post.names[0]], post.kept()[0][:, 0])  # %.17g round trip
    assert ens.meta["sampler"]["seed"] == 3 and "acceptance_fraction" in ens.meta["diagnostics"]
    assert ens.meta["targets_source"] == SAP_ROWS and ens.meta["sampler"]["engine"] == "auto"
    problems = bayes.check_ensemble("subacromial_pain", tmp_path)
    assert bayes.check_ensemble("subacromial_pain", tmp_path, converged=False) == [
        f"subacromial_pain: {TINY.n_kept} members, fewer than 200"
    ]
    # Four kept steps of 12 walkers cannot have converged: the gates recomputed from the stored chain
    # and draw indices say so, parameter by parameter, and the metadata does not claim otherwise.
    gates = problems[1:]
    assert problems[0] == f"subacromial_pain: {TINY.n_kept} members, fewer than 200" and gates
    assert all(("R-hat" in p or "ess" in p) and p.startswith("subacromial_pain: ") for p in gates)
    assert ens.meta["converged"] is False
    np.testing.assert_array_equal(ens.draws["chain"], post.kept_indices()[0])
    np.testing.assert_array_equal(ens.draws["draw"], post.kept_indices()[1])
    # The layer: the member of highest posterior, beside the ensemble when a folder is given.
    layer = (tmp_path / "calibrated" / "subacromial_pain.toml").read_text()
    x, lp = post.kept()
    assert f"{x[int(np.argmax(lp)), 0]:.6g}" in layer and "member of highest posterior" in layer
    # Only the condition's own rows of published.csv tie the ensemble to it.
    text = copies["published"].read_text()
    lines = text.splitlines(keepends=True)
    other = next(i for i, line in enumerate(lines) if line.startswith("knee_"))
    mine = next(i for i, line in enumerate(lines) if line.startswith("sap_"))
    copies["published"].write_text(
        "".join([*lines[:other], lines[other].replace(",", ", ", 1), *lines[other + 1 :]])
    )
    assert bayes.check_ensemble("subacromial_pain", tmp_path) == problems  # another condition's row
    copies["published"].write_text(
        "".join([*lines[:mine], lines[mine].replace(",", ",x", 1), *lines[mine + 1 :]])
    )
    assert any(
        "published_published.csv (its rows) changed" in p
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


def _neck_rows():
    from ptsim.analysis.evidence import published_targets

    rows = published_targets("chronic_neck_pain")
    return "published:" + ",".join(rows.loc[rows["instrument"] != "NDI_0_50", "id"])


def _write_members(folder, condition, targets, spread=(0.9, 1.0, 1.1)):
    """A small hand-made ensemble: the condition's current values times a few factors (inside bounds)."""
    cond = bayes.load_condition(condition)
    bounds = bayes.free_parameters(condition)
    rows = [
        [min(max(bayes.get_value(cond, k) * f, bounds[k][0]), bounds[k][1]) for k in bounds] for f in spread
    ]
    folder.mkdir(exist_ok=True)
    (folder / f"{condition}.csv").write_text(
        ",".join(f'"{k}"' if "." in k else k for k in bounds)
        + "\n"
        + "\n".join(",".join(map(repr, r)) for r in rows)
        + "\n"
    )
    (folder / f"{condition}.toml").write_text(f'condition = "{condition}"\ntargets_source = "{targets}"\n')


def test_predictive_reports_fit_held_out_and_not_modelled_rows(tmp_path):
    _write_members(tmp_path, "subacromial_pain", SAP_ROWS)
    ens = load_ensemble("subacromial_pain", tmp_path)
    table = bayes.predictive("subacromial_pain", ens, n_patients=20, seed=3).set_index("id")
    assert list(table.index) == SAP_ROWS.split(":")[1].split(",")  # the ensemble's own source
    surgery = table.loc["sap_hallgren_surgery_1yr"]
    assert surgery["role"] == "held_out" and surgery["status"] == "not_modelled"
    assert surgery["covered"] is None and "surgery" in surgery["mapping"]
    modelled = table[table["status"] == "modelled"]
    assert (modelled["predicted_low"] <= modelled["predicted_median"]).all()
    assert (modelled["predicted_median"] <= modelled["predicted_high"]).all()
    for _, r in modelled.iterrows():
        assert r["covered"] == (r["predicted_low"] <= r["high"] and r["predicted_high"] >= r["low"])
    point = bayes.predictive("subacromial_pain", None, n_patients=20, seed=3, targets=SAP_ROWS)
    assert (
        (point["predicted_low"] == point["predicted_high"]).where(point["status"] == "modelled", True).all()
    )


def test_evidence_report_lists_coverage_held_out_rows_gaps_and_unidentified_parameters(tmp_path):
    targets = _neck_rows()
    _write_members(tmp_path, "chronic_neck_pain", targets)
    rep = bayes.evidence_report(
        "chronic_neck_pain", tmp_path, members=2, n_patients=20, seed=3, targets=targets
    )
    r = rep["chronic_neck_pain"]
    t = r["table"]
    fit = t[(t["role"] == "fit") & (t["status"] == "modelled")]
    from ptsim.analysis.evidence import published_targets

    rows = published_targets("chronic_neck_pain").set_index("id").loc[targets.split(":", 1)[1].split(",")]
    assert (
        r["fit_covered"] == (int(sum(fit["covered"])), len(fit)) and len(fit) == (rows["role"] == "fit").sum()
    )
    assert set(t.loc[t["role"] == "known_gap", "id"]) == set(rows.index[rows["role"] == "known_gap"])
    assert "2 of 3 members" in r["basis"]
    assert set(r["unidentified"]) <= set(bayes.free_parameters("chronic_neck_pain"))
    text = bayes.format_report(rep)
    k, n = r["fit_covered"]
    assert f"fit rows covered: {k} of {n}" in text
    held = t[t["role"] == "held_out"]
    assert len(held) == (rows["role"] == "held_out").sum() >= 1
    for _, x in held.iterrows():
        line = next(line for line in text.splitlines() if x["id"] in line)
        assert line.rstrip().endswith("NOT covered" if not x["covered"] else " covered")
    assert "unidentified parameters:" in text

    none = bayes.evidence_report(
        "chronic_neck_pain", tmp_path / "empty", members=2, n_patients=20, targets=targets
    )
    assert none["chronic_neck_pain"]["basis"].startswith("no stored ensemble")
    assert none["chronic_neck_pain"]["unidentified"] is None
    assert "(needs an ensemble)" in bayes.format_report(none)


def test_report_command_names_a_bad_condition(capsys):
    assert bayes.main(["--report", "no_such_condition"]) == 2
    assert bayes.main(["--report", "--markdown", "no_such_condition"]) == 2
    assert "no_such_condition" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bayes.main([])  # neither a condition nor --report
    with pytest.raises(ValueError, match="members must be"):
        bayes.spaced_members(10, 0)
    assert bayes.spaced_members(10, 3) == [0, 4, 9] and bayes.spaced_members(2, 5) == [0, 1]


def test_recommended_settings_cover_every_condition_with_enough_members():
    from ptsim.inputs.conditions import list_conditions

    assert set(bayes.RECOMMENDED_SETTINGS) == set(list_conditions())
    for name, s in bayes.RECOMMENDED_SETTINGS.items():
        s.check(len(bayes.free_parameters(name)))
        assert s.n_kept >= 200, name


def test_command_samples_with_the_recommended_settings_unless_told_otherwise(tmp_path, capsys):
    args = ["subacromial_pain", "--n-walkers", "14", "--n-steps", "3", "--burn-in", "0", "--n-patients", "20"]
    args += ["--moves", "stretch", "--final-walkers", "0"]
    assert bayes.main([*args, "--targets", SAP_ROWS, "--out", str(tmp_path)]) == 0
    meta = load_ensemble("subacromial_pain", tmp_path).meta
    assert meta["sampler"]["n_walkers"] == 14 and meta["sampler"]["n_steps"] == 3
    assert meta["sampler"]["thin"] == bayes.RECOMMENDED_SETTINGS["subacromial_pain"].thin  # not given
    assert meta["targets_source"] == SAP_ROWS and meta["command"].startswith("python -m ptsim.analysis.bayes")
    assert "subacromial_pain: " in capsys.readouterr().out


def test_markdown_report_counts_fit_and_held_out_rows():
    import pandas as pd

    table = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "role": ["fit", "fit", "held_out", "fit"],
            "status": ["modelled", "modelled", "modelled", "not_modelled"],
            "quantity": ["x"] * 4,
            "instrument": ["NPRS"] * 4,
            "published": [1.0, 2.0, 3.0, 4.0],
            "low": [0.0, 1.0, 2.0, 3.0],
            "high": [2.0, 3.0, 4.0, 5.0],
            "predicted_median": [1.0, 9.0, 3.5, float("nan")],
            "predicted_low": [0.5, 8.0, 3.0, float("nan")],
            "predicted_high": [1.5, 10.0, 4.5, float("nan")],
            "covered": pd.Series([True, False, True, None], dtype=object),
            "mapping": ["m", "m", "m", "surgery"],
        }
    )
    table["in_ppi"] = pd.Series([True, False, True, None], dtype=object)
    rep = {
        "knee_oa": {
            "basis": "b",
            "table": table,
            "fit_covered": (1, 2),
            "fit_in_ppi": bayes.predictive_coverage(table),
            "held_out_in_ppi": bayes.predictive_coverage(table, ("held_out",)),
            "convergence": ["knee_oa: p: R-hat 1.200 > 1.01"],
            "unidentified": ["p"],
        }
    }
    assert rep["knee_oa"]["fit_in_ppi"] == (1, 2) and rep["knee_oa"]["held_out_in_ppi"] == (1, 1)
    text = bayes.report_markdown(rep)
    assert "| knee_oa | 1 of 2 | 1 of 2 | 1 of 1 | 0 of 0 | 1 | `p` | no (1 gates missed) |" in text
    assert "NOT covered" in text and "surgery" in text
    assert "NOT converged: 1 gates missed (p: R-hat 1.200 > 1.01)" in text
    assert "fit rows in their 95 % posterior predictive interval: 1 of 2 (50 %)" in text
    rep["knee_oa"]["convergence"] = None  # a v2 ensemble: no indices to recompute from
    assert "| no indices (v2 fit) |" in bayes.report_markdown(rep)


def test_worker_processes_and_moves_do_not_change_the_numbers_they_should_not():
    """Splitting each batch of proposals over worker processes gives the same chain bit for bit; the
    differential-evolution moves are deterministic too."""
    from dataclasses import replace

    de = replace(TINY, moves="de")
    one = bayes.sample("subacromial_pain", de, progress=False, targets=SAP_ROWS)
    two = bayes.sample("subacromial_pain", de, progress=False, processes=2, targets=SAP_ROWS)
    np.testing.assert_array_equal(one.chain, two.chain)
    stretch = bayes.sample("subacromial_pain", TINY, progress=False, targets=SAP_ROWS)
    assert not np.array_equal(one.chain, stretch.chain)


def test_run_until_converged_stops_at_a_block_and_burns_in_half():
    """Unconverged, the run goes to n_steps in blocks; the first half of what ran is the burn-in."""
    from dataclasses import replace

    s = replace(TINY, n_steps=30, until_converged=True, check_every=10, moves="de")
    post = bayes.sample("subacromial_pain", s, progress=False, targets=SAP_ROWS)
    assert post.chain.shape[0] == 30 and post.settings.n_steps == 30 and post.settings.burn_in == 15
    with pytest.raises(ValueError, match="check_every"):
        bayes.sample("subacromial_pain", replace(s, check_every=3), progress=False, targets=SAP_ROWS)
    with pytest.raises(ValueError, match="moves"):
        bayes.sample("subacromial_pain", replace(s, moves="walk"), progress=False, targets=SAP_ROWS)


def test_the_posterior_adds_the_population_priors():
    """log p = log likelihood + the population priors of the free parameters that have one (here the
    lasting pathway's ceiling and time constant): moving the ceiling away from its prior mean lowers
    the prior term by exactly the normal log density."""
    from ptsim.analysis.calibrate import free_parameters, population_priors
    from ptsim.inputs.conditions import load_condition

    bounds = free_parameters("subacromial_pain")
    names = list(bounds)
    low = np.array([bounds[k][0] for k in names])
    high = np.array([bounds[k][1] for k in names])
    priors = population_priors()
    target = bayes._LogPosterior(
        load_condition("subacromial_pain"), names, low, high, None, [], 20, 0, priors=priors
    )
    j = names.index("manual_lasting_ceiling_frac")
    u = np.full(len(names), 0.5)
    at_mean = u.copy()
    at_mean[j] = (priors["manual_lasting_ceiling_frac"].a - low[j]) / (high[j] - low[j])
    away = at_mean.copy()
    away[j] += 0.2  # 0.2 of the 0-0.5 range: 0.1 above the mean, 0.1 / 0.07 SD
    drop = target.log_prior(at_mean) - target.log_prior(away)
    assert drop == pytest.approx(0.5 * (0.1 / priors["manual_lasting_ceiling_frac"].b) ** 2)
    assert {names[k] for k, _ in target.priors} >= {"manual_lasting_ceiling_frac", "manual_lasting_tau_days"}


def test_independence_acceptance_is_one_for_the_target_and_matches_a_run():
    """The estimator is 1 when the proposal is the target, falls for a proposal too wide or too narrow,
    and predicts the acceptance an independence sampler actually has (an analytic Gaussian case)."""
    from scipy import stats

    rng = np.random.default_rng(0)
    x = rng.standard_normal(200_000)  # the estimate is biased upwards by a few points at a few thousand
    target = stats.norm.logpdf(x) + 3.0  # any normalising constant
    assert bayes.independence_acceptance(target, stats.norm.logpdf(x)) == pytest.approx(1.0)
    wide = bayes.independence_acceptance(target, stats.norm.logpdf(x, scale=2.0))
    narrow = bayes.independence_acceptance(target, stats.norm.logpdf(x, scale=0.6))
    assert wide < 0.9 and narrow < 0.9
    # an independence Metropolis-Hastings chain on N(0, 1) proposing from N(0, 2^2)
    chain, accepted, current = [], 0, 0.0
    for _ in range(40_000):
        y = 2.0 * rng.standard_normal()
        ratio = stats.norm.logpdf(y) - stats.norm.logpdf(current)
        ratio += stats.norm.logpdf(current, scale=2.0) - stats.norm.logpdf(y, scale=2.0)
        if np.log(rng.uniform()) < ratio:
            current, accepted = y, accepted + 1
        chain.append(current)
    assert accepted / 40_000 == pytest.approx(wide, abs=0.02)


def test_mixture_proposal_kernel_samples_its_target():
    """The fitted mixture's Metropolis-Hastings kernel leaves a curved target invariant (its moments come
    back) and the choice it reports is one of MIXTURE_CHOICES."""
    import emcee

    def log_target(u):
        u = np.atleast_2d(u)
        inside = np.all((u > 0) & (u < 1), axis=1)
        uu = np.where(inside[:, None], u, 0.5)
        z = bayes._logit(uu)
        dens = -0.5 * (z[:, 0] ** 2 + ((z[:, 1] - 0.5 * z[:, 0] ** 2) / 0.5) ** 2)
        return np.where(inside, dens - np.log(uu * (1 - uu)).sum(axis=1), -np.inf)

    pilot = emcee.EnsembleSampler(12, 2, log_target, vectorize=True, moves=[(emcee.moves.DEMove(), 1.0)])
    pilot.random_state = np.random.RandomState(1).get_state()
    state = pilot.run_mcmc(np.random.default_rng(1).uniform(0.4, 0.6, (12, 2)), 400, progress=False)
    moves, choice = bayes._mixture_moves(pilot.get_chain()[200:], pilot.get_log_prob()[200:], seed=0)
    assert (choice["components"], choice["df"], choice["scale"]) in bayes.MIXTURE_CHOICES
    assert 0 < choice["acceptance"] <= 1
    sampler = emcee.EnsembleSampler(12, 2, log_target, vectorize=True, moves=moves)
    sampler.random_state = np.random.RandomState(2).get_state()
    sampler.run_mcmc(state, 3000, progress=False)
    z = bayes._logit(sampler.get_chain()[300:].reshape(-1, 2))
    assert z[:, 0].mean() == pytest.approx(0.0, abs=0.1)
    assert z[:, 0].var() == pytest.approx(1.0, abs=0.15)
    assert z[:, 1].mean() == pytest.approx(0.5, abs=0.1)  # E[z0^2 / 2]
    assert np.mean(sampler.acceptance_fraction) > 0.3


def test_staged_mixture_moves_run_and_are_deterministic():
    from dataclasses import replace

    s = replace(
        TINY, n_steps=60, burn_in=20, moves="de-then-mixture", pilot_steps=20, adapt_steps=20, final_walkers=4
    )
    one = bayes.sample("subacromial_pain", s, progress=False, targets=SAP_ROWS)
    two = bayes.sample("subacromial_pain", s, progress=False, targets=SAP_ROWS)
    np.testing.assert_array_equal(one.chain, two.chain)
    # the final stage goes on with 4 of the 14 walkers: the chain keeps those 4 from the start
    assert (
        one.chain.shape == (60, 4, len(one.names)) and one.kept()[0].shape[0] == one.settings.n_kept == 4 * 10
    )
    assert np.all((one.chain >= one.low) & (one.chain <= one.high))
    assert s.evaluations == 14 * 40 + 4 * 20 + s.polish_evaluations
    # adaptation rounds stop once the fitted kernel would accept enough; the posterior records how many
    more = replace(s, adapt_rounds=3, n_steps=100)
    rounds = bayes.sample("subacromial_pain", more, progress=False, targets=SAP_ROWS)
    ran = rounds.settings.adapt_rounds
    assert (
        1 <= ran <= 3
        and rounds.chain.shape[0] == 100
        and rounds.settings.burn_in == 20 + 20 * ran + (80 - 20 * ran) // 2
    )
