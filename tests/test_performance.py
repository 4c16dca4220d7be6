"""The fast engine computes the same numbers as the model's definition (performance work, issue 8).

Speed itself is measured in ``benchmarks/`` (``python benchmarks/run.py``), never asserted here.
"""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ptsim
from ptsim.core import model, streams
from ptsim.engine import compiled, vectorised
from ptsim.engine.simulate import OUTCOMES
from ptsim.inputs.cohort import sample_cohort, to_patients

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from reference import simulate_reference  # noqa: E402

TRAJECTORIES = ("rom", "pain", "strength", "function", "exercise_dose")


sys.path.insert(0, str(ROOT / "tests" / "data"))
import make_engine_golden  # noqa: E402

ENGINES = ["numpy", "numba"] if compiled.AVAILABLE else ["numpy"]
needs_numba = pytest.mark.skipif(not compiled.AVAILABLE, reason="numba not installed")


def _check_golden_data_hashes(golden) -> None:
    """Fail with the command to run, not a numeric diff, when a data file changed since the golden
    values were saved."""
    saved = {k.removeprefix("sha256:"): str(golden[k]) for k in golden.files if k.startswith("sha256:")}
    now = make_engine_golden.data_hashes()
    changed = sorted(k for k in saved.keys() | now.keys() if saved.get(k) != now.get(k))
    if changed:
        pytest.fail(
            f"data changed: regenerate with {make_engine_golden.COMMAND} "
            f"(and say why in the commit); files: {', '.join(changed)}"
        )


def test_golden_file_records_the_data_it_depends_on():
    golden = np.load(ROOT / "tests" / "data" / "engine_golden.npz")
    recorded = {k.removeprefix("sha256:") for k in golden.files if k.startswith("sha256:")}
    assert recorded == set(make_engine_golden.data_hashes())
    assert any(k.startswith("data/conditions/") for k in recorded)
    assert any(k.startswith("data/calibrated/") for k in recorded)


def test_changed_data_is_reported_as_such(tmp_path, monkeypatch):
    golden = np.load(ROOT / "tests" / "data" / "engine_golden.npz")
    key = next(k for k in golden.files if k.startswith("sha256:data/conditions/"))
    edited = {k: golden[k] for k in golden.files}
    edited[key] = np.array("0" * 64)
    np.savez(tmp_path / "g.npz", **edited)
    with pytest.raises(pytest.fail.Exception, match="data changed: regenerate with python tests/data/make"):
        _check_golden_data_hashes(np.load(tmp_path / "g.npz"))


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_matches_golden_values(engine):
    """Every engine computes the saved numbers (``tests/data/make_engine_golden.py``: 12 patients, all
    conditions and standard plans, 365 days, seed 3; per-patient sums and every 29th day) to 1e-12."""
    golden = np.load(ROOT / "tests" / "data" / "engine_golden.npz")
    _check_golden_data_hashes(golden)
    for cond in ptsim.list_conditions():
        comp = ptsim.compare(cond, n_patients=12, days=365, seed=3, engine=engine)
        for plan, res in comp.items():
            assert res.engine == engine
            for name in TRAJECTORIES:
                a = getattr(res, name)
                np.testing.assert_allclose(a.sum(axis=1), golden[f"{cond}/{plan}/{name}/sum"], rtol=1e-12)
                np.testing.assert_allclose(a[:, ::29], golden[f"{cond}/{plan}/{name}/days"], rtol=1e-12)
            np.testing.assert_array_equal(res.setbacks, golden[f"{cond}/{plan}/setbacks"])
            np.testing.assert_array_equal(res.flares, golden[f"{cond}/{plan}/flares"])


@pytest.mark.parametrize("condition", ["knee_oa", "adhesive_capsulitis"])
def test_per_patient_reference_loop_agrees_with_engine(condition):
    cond = ptsim.load_condition(condition)
    df = sample_cohort(cond, 10, seed=4)
    for name, plan in ptsim.standard_plans().items():
        res = ptsim.simulate(cond, plan, n_patients=None, cohort=df, days=120, seed=4)
        ref = simulate_reference(cond, plan, df, 120, 4)
        for k in TRAJECTORIES:
            np.testing.assert_allclose(getattr(res, k), np.array(ref[k]), rtol=1e-9, atol=1e-9, err_msg=name)
        np.testing.assert_array_equal(res.setbacks, ref["setbacks"])
        np.testing.assert_array_equal(res.flares, ref["flares"])


@pytest.mark.parametrize("engine", ENGINES)
def test_reference_loop_agrees_through_setbacks_and_flares(engine):
    """The oracle covers the random events: a cohort in more pain, allowed a smaller rise in pain during
    exercise (flares), and a higher setback hazard (setbacks after discharge), on both engines; every
    event and trajectory agrees."""
    from dataclasses import replace

    # (model v3: with the bounded lasting pathway the shipped flare ceiling leaves too few flares here)
    cond = ptsim.load_condition("knee_oa").with_parameters(flare_rise_allowed_nprs=0.5)
    nh = dict(cond.natural_history)
    nh["setback_hazard_per_day"] = 0.02
    cond = replace(cond, natural_history=nh)
    df = sample_cohort(cond, 12, seed=6)
    df.loc[::2, "pain_baseline_nprs"] = 9.0
    setbacks = flares = 0
    for name in ("exercise_only", "combined", "usual_care"):
        plan = ptsim.standard_plans()[name]
        res = ptsim.simulate(cond, plan, cohort=df, days=150, seed=6, engine=engine)
        ref = simulate_reference(cond, plan, df, 150, 6)
        for k in TRAJECTORIES:
            np.testing.assert_allclose(getattr(res, k), np.array(ref[k]), rtol=1e-9, atol=1e-9, err_msg=name)
        np.testing.assert_array_equal(res.setbacks, ref["setbacks"])
        np.testing.assert_array_equal(res.flares, ref["flares"])
        setbacks, flares = setbacks + res.setbacks.sum(), flares + res.flares.sum()
    assert setbacks >= 5 and flares >= 5, (setbacks, flares)


def test_reference_uniforms_are_the_engines():
    from reference import uniform

    ids = np.array([0, 1, 7, 123456])
    for day in (0, 1, 365):
        expected = streams.uniforms(11, "setback", ids, day)
        assert [uniform(11, "setback", int(i), day) for i in ids] == expected.tolist()


def _random_state(n, rng):
    return model.State(
        deficit_deg=rng.uniform(0, 30, (3, n)),
        sensitization=rng.uniform(0, 1, n),
        setpoint=rng.uniform(0, 1, n),
        fitness_pct=rng.uniform(0, 20, n),
        fatigue_frac=rng.uniform(0, 0.3, n),
        hypertrophy_pct=rng.uniform(0, 10, n),
        motor=rng.uniform(0, 1, n),
        window=rng.uniform(0, 0.5, (3, n)),
        relief=rng.uniform(0, 0.5, n),
        eih=rng.uniform(0, 0.5, n),
        lasting=rng.uniform(0, 0.3, n),
        fluctuation=rng.normal(0, 0.2, n),
        engagement=rng.uniform(0.3, 1.0, n),
    )


def _day_tables(cond, pts, p=None):
    from ptsim.core import day

    p = cond.parameters if p is None else p
    return day.day_params(p, cond.natural_history, pts), day.day_cohort(pts, cond.natural_history, 0.0)


@pytest.mark.parametrize("condition", ptsim.list_conditions())
def test_day_advance_is_model_advance_days_bit_for_bit(condition):
    """The night's step of the day (``core.day.advance``, run by both engines) equals the State-level
    ``model.advance_days`` the lessons call, bit for bit; so do the end of the day and its outputs."""
    from ptsim.core import day

    cond = ptsim.load_condition(condition)
    pts = to_patients(sample_cohort(cond, 50, seed=2), cond)
    P, C = _day_tables(cond, pts)
    s = _random_state(50, np.random.default_rng(0))
    x = day.state_matrix(s)
    day.advance(x, slice(None), P, C)
    slow = model.advance_days(s, pts, cond.parameters, cond.natural_history, 1.0)
    for f in model.State.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(day.state_of(x), f), getattr(slow, f), err_msg=f)
    x = day.state_matrix(s)
    day.end_of_day(x, slice(None))
    end_slow = model.pass_minutes(s, math.inf, cond.parameters)
    for f in model.State.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(day.state_of(x), f), getattr(end_slow, f), err_msg=f)
    rom, pain, strength, function = day.outputs(x, slice(None), P, C)
    p = cond.parameters
    np.testing.assert_array_equal(pain, model.pain_nprs(end_slow))
    np.testing.assert_array_equal(rom, model.rom_deg(end_slow, pts, p))
    np.testing.assert_array_equal(strength, model.strength_pct(end_slow, pts))
    np.testing.assert_array_equal(function, model.function_score(pain, rom, strength, pts.rom_normal_deg, p))


def test_day_advance_takes_per_patient_parameter_arrays():
    """Sensitivity batches give parameters one value per patient: the night's step still equals
    ``model.advance_days`` bit for bit, and a batch of two parameter sets equals the two runs."""
    from dataclasses import replace

    from ptsim.core import day

    cond = ptsim.load_condition("knee_oa")
    n = 40
    pts = to_patients(sample_cohort(cond, n, seed=2), cond)
    p = dict(cond.parameters)
    for k in ("fitness_tau_days", "hypertrophy_tau_days", "sensitization_tau_days", "motor_tau_days"):
        p[k] = p[k] * np.linspace(0.7, 1.3, n)
    p["hypertrophy_tau_days"][:5] = p["fitness_tau_days"][:5]  # the equal-time-constant branch
    P, C = _day_tables(cond, pts, p)
    s = _random_state(n, np.random.default_rng(1))
    x = day.state_matrix(s)
    day.advance(x, slice(None), P, C)
    slow = model.advance_days(s, pts, p, cond.natural_history, 1.0)
    for f in model.State.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(day.state_of(x), f), getattr(slow, f), err_msg=f)

    from ptsim.engine.simulate import run_cohort

    df = sample_cohort(cond, 10, seed=3)
    plan = ptsim.standard_plans()["combined"].resolve(cond)
    low, high = dict(cond.parameters), dict(cond.parameters)
    high["fitness_tau_days"] *= 1.5
    both = dict(cond.parameters)
    both["fitness_tau_days"] = np.repeat([low["fitness_tau_days"], high["fitness_tau_days"]], 10)
    batch = run_cohort(replace(cond, parameters=both), plan, pd_concat([df, df]), 90, 0, engine="numpy")
    for j, params in enumerate((low, high)):
        one = run_cohort(replace(cond, parameters=params), plan, df, 90, 0, engine="numpy")
        np.testing.assert_array_equal(batch.strength[10 * j : 10 * (j + 1)], one.strength)
        np.testing.assert_array_equal(batch.pain[10 * j : 10 * (j + 1)], one.pain)


def pd_concat(frames):
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def test_state_matrix_holds_every_state_variable_in_order():
    """``core.day.STATE`` lists ``model.State``'s fields in order, and the matrix round-trips."""
    from ptsim.core import day

    assert [name for name, _ in day.STATE] == list(model.State.__dataclass_fields__)
    s = _random_state(7, np.random.default_rng(3))
    x = day.state_matrix(s)
    assert x.shape == (day.N_STATE, 7)
    for f in model.State.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(day.state_of(x), f), getattr(s, f), err_msg=f)


@pytest.mark.parametrize("limit", [0, 10**9])
def test_daily_draws_equal_uniforms(limit, monkeypatch):
    monkeypatch.setattr(vectorised.DailyDraws, "TABLE_LIMIT", limit)
    ids = np.array([3, 5, 8, 13, 21])
    draws = vectorised.DailyDraws(7, "home_exercise", ids, 30)
    for d in (0, 1, 17, 29):
        np.testing.assert_array_equal(draws.on(d), streams.uniforms(7, "home_exercise", ids, d))


def test_record_days_keep_the_same_numbers_and_daily_summaries():
    days = [0, 14, 42, 200, 365]
    full = ptsim.compare("knee_oa", n_patients=60, days=365, seed=2)
    kept = ptsim.compare("knee_oa", n_patients=60, days=365, seed=2, record_days=days)
    for name in full:
        f, k = full[name], kept[name]
        assert k.rom.shape == (60, len(days))
        assert list(k.day) == days
        for o in TRAJECTORIES:
            np.testing.assert_array_equal(getattr(k, o), getattr(f, o)[:, days])
        np.testing.assert_array_equal(k.setbacks, f.setbacks)
        np.testing.assert_array_equal(k.flares, f.flares)
        fd, kd = f.daily_summary(), k.daily_summary()
        for o in OUTCOMES:
            np.testing.assert_allclose(kd.mean[o], fd.mean[o], rtol=1e-12)
            np.testing.assert_allclose(kd.sd[o], fd.sd[o], rtol=1e-9, atol=1e-12)
        np.testing.assert_array_equal(kd.setbacks, fd.setbacks)
        np.testing.assert_array_equal(kd.flares, fd.flares)
    s_full = full.summary(days=[14, 42, 365])
    s_kept = kept.summary(days=[14, 42, 365])
    np.testing.assert_allclose(s_kept["mean"], s_full["mean"], rtol=1e-12)
    np.testing.assert_allclose(s_kept["ci_low"], s_full["ci_low"], rtol=1e-12)
    assert kept.default_days() == [0, 14, 42, 365]
    with pytest.raises(ValueError, match="not recorded"):
        kept.summary(days=[91])


def test_chunks_give_the_same_numbers():
    """Chunking over patients changes nothing (random numbers are keyed by patient and day, and a
    patient who does not exercise is untouched by the others), whatever the chunk size."""
    full = ptsim.compare("chronic_neck_pain", n_patients=300, days=365, seed=1)
    kept = ptsim.compare(
        "chronic_neck_pain", n_patients=300, days=365, seed=1, record_days=[0, 42, 365], chunk_size=7
    )
    for name in full:
        np.testing.assert_array_equal(kept[name].pain, full[name].pain[:, [0, 42, 365]])
        np.testing.assert_array_equal(kept[name].setbacks, full[name].setbacks)
        fd, kd = full[name].daily_summary(), kept[name].daily_summary()
        np.testing.assert_allclose(kd.mean["rom"], fd.mean["rom"], rtol=1e-12)
        np.testing.assert_allclose(kd.sd["rom"], fd.sd["rom"], rtol=1e-9)
    frame = kept["combined"].daily_summary().to_frame()
    assert set(frame.columns) == {"day", "outcome", "unit", "mean", "sd", "n"}
    assert len(frame) == 4 * 366


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"record_days": [400]}, "record_days"),
        ({"record_days": []}, "record_days"),
        ({"record_days": "365"}, "record_days"),
        ({"record_days": [1.5]}, "record_days"),
        ({"chunk_size": 0}, "chunk_size"),
    ],
)
def test_bad_record_options_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ptsim.simulate("knee_oa", "combined", n_patients=5, days=365, **kwargs)


def test_import_ptsim_stays_light():
    """``import ptsim`` loads none of pandas, scipy, matplotlib, ipywidgets, numba (slow imports)."""
    code = (
        "import sys, ptsim; heavy = [m for m in ('pandas', 'scipy', 'matplotlib', 'ipywidgets', 'numba') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@needs_numba
@pytest.mark.parametrize("condition", ptsim.list_conditions())
def test_numba_engine_agrees_with_numpy_engine(condition):
    # with the condition's defaults: the model-v2 fluctuation, per-patient courses and pain-monitoring
    # flares are on (tests/test_model_v2.py adds the lasting pathway and adherence decay)
    numpy_run = ptsim.compare(condition, n_patients=40, days=365, seed=6, engine="numpy")
    numba_run = ptsim.compare(condition, n_patients=40, days=365, seed=6, engine="numba")
    for name in numpy_run:
        a, b = numpy_run[name], numba_run[name]
        for k in TRAJECTORIES:
            np.testing.assert_allclose(getattr(b, k), getattr(a, k), rtol=1e-12, atol=1e-12, err_msg=name)
        np.testing.assert_array_equal(b.setback_events, a.setback_events)
        np.testing.assert_array_equal(b.flare_events, a.flare_events)
        for f in model.State.__dataclass_fields__:
            np.testing.assert_allclose(
                getattr(b.final_state, f), getattr(a.final_state, f), rtol=1e-12, atol=1e-15
            )


@needs_numba
def test_numba_engine_with_record_days_and_chunks():
    days = [0, 42, 365]
    knee = ptsim.load_condition("knee_oa")
    a = ptsim.compare(
        knee, n_patients=250, days=365, seed=1, record_days=days, chunk_size=100, engine="numpy"
    )
    b = ptsim.compare(
        knee, n_patients=250, days=365, seed=1, record_days=days, chunk_size=100, engine="numba"
    )
    for name in a:
        np.testing.assert_allclose(b[name].function, a[name].function, rtol=1e-12)
        np.testing.assert_array_equal(b[name].setbacks, a[name].setbacks)
        np.testing.assert_array_equal(b[name].flares, a[name].flares)
        da, db = a[name].daily_summary(), b[name].daily_summary()
        for o in OUTCOMES:
            np.testing.assert_allclose(db.mean[o], da.mean[o], rtol=1e-12)
            np.testing.assert_allclose(db.sd[o], da.sd[o], rtol=1e-9, atol=1e-12)
        np.testing.assert_array_equal(db.setbacks, da.setbacks)


def test_unknown_engine_is_named():
    with pytest.raises(ValueError, match="engine must be one of 'numpy', 'numba', 'auto'"):
        ptsim.simulate("knee_oa", "combined", n_patients=5, engine="fortran")


def test_auto_engine_falls_back_to_numpy_visibly(monkeypatch):
    monkeypatch.setattr(compiled, "AVAILABLE", False)
    knee = ptsim.load_condition("knee_oa")
    auto = ptsim.simulate(knee, "combined", n_patients=4, days=30)  # engine="auto" is the default
    plain = ptsim.simulate(knee, "combined", n_patients=4, days=30, engine="numpy")
    np.testing.assert_array_equal(auto.rom, plain.rom)
    assert auto.engine == "numpy" and "numba is not installed" in auto.engine_note
    assert plain.engine_note is None
    with pytest.raises(ValueError, match="pip install numba"):
        ptsim.simulate(knee, "combined", n_patients=4, days=30, engine="numba")


@needs_numba
def test_auto_is_the_compiled_engine_by_default():
    # the condition's defaults switch model-v2 mechanisms on: the kernel runs them
    res = ptsim.simulate("knee_oa", "combined", n_patients=4, days=30)
    assert res.engine == "numba" and res.engine_note is None
    comp = ptsim.compare("knee_oa", ["combined"], n_patients=4, days=30)
    assert comp["combined"].engine == "numba"


def _per_patient_batch(n_sets=3, k=8):
    """A sensitivity-style batch: ``n_sets`` parameter sets, each on the same ``k`` patients."""
    from dataclasses import replace

    import pandas as pd

    cond = ptsim.load_condition("knee_oa")
    df = sample_cohort(cond, k, seed=3)
    params, nh = dict(cond.parameters), dict(cond.natural_history)
    rng = np.random.default_rng(0)
    for name in ("flare_threshold_nprs", "fitness_tau_days", "hypertrophy_tau_days", "window_tau_min",
                 "joint_mobilization_window_max_frac", "consolidation_per_window_min"):  # fmt: skip
        params[name] = np.repeat(params[name] * rng.uniform(0.7, 1.3, n_sets), k)
    params["hypertrophy_tau_days"][:k] = params["fitness_tau_days"][:k]  # equal time constants branch
    # the model-v2 mechanisms, per patient too (the lasting pathway and adherence decay are off by default)
    for name in ("pain_fluctuation_sd_frac", "pain_fluctuation_tau_days", "flare_rise_allowed_nprs",
                 "flare_probability_per_nprs", "manual_lasting_tau_days"):  # fmt: skip
        params[name] = np.repeat(params[name] * rng.uniform(0.7, 1.3, n_sets), k)
    for name, high in (("joint_mobilization_lasting_drop_frac", 0.4), ("home_adherence_decay_per_year", 2.0),
                       ("flare_setpoint_rise_frac", 0.1)):  # fmt: skip
        params[name] = np.repeat(rng.uniform(0.0, high, n_sets), k)
    nh["setback_hazard_per_day"] = np.repeat(nh["setback_hazard_per_day"] * rng.uniform(0.5, 2, n_sets), k)
    batch = replace(cond, parameters=params, natural_history=nh)
    return batch, pd.concat([df] * n_sets, ignore_index=True)


@needs_numba
def test_per_patient_parameter_arrays_run_compiled():
    """Sensitivity batches (every parameter may be one value per patient) run on the compiled engine and
    agree with the numpy engine; each block equals a run with that parameter set's scalars."""
    from dataclasses import replace

    from ptsim.engine.simulate import run_cohort

    batch, big = _per_patient_batch()
    plan = ptsim.standard_plans()["combined"].resolve(batch)
    a = run_cohort(batch, plan, big, 200, 1, engine="numpy")
    b = run_cohort(batch, plan, big, 200, 1)
    assert b.engine == "numba"
    for k in TRAJECTORIES:
        np.testing.assert_allclose(getattr(b, k), getattr(a, k), rtol=1e-12, atol=1e-12, err_msg=k)
    np.testing.assert_array_equal(b.setback_events, a.setback_events)
    np.testing.assert_array_equal(b.flare_events, a.flare_events)
    assert a.setbacks.sum() > 0  # the varied setback hazard is exercised
    second = {k: (v[8] if np.ndim(v) else v) for k, v in batch.parameters.items()}
    nh = {k: (v[8] if np.ndim(v) else v) for k, v in batch.natural_history.items()}
    one = run_cohort(replace(batch, parameters=second, natural_history=nh), plan, big.iloc[8:16], 200, 1)
    np.testing.assert_allclose(b.pain[8:16], one.pain, rtol=1e-12)


def test_uncompiled_kernel_runs_without_numba_and_agrees(monkeypatch):
    """The kernel is plain Python where numba is missing (``compiled=False``: the same functions,
    uncompiled); it agrees with the numpy engine and, where numba is installed, with its compiled self."""
    monkeypatch.setattr(compiled, "AVAILABLE", False)
    cond = ptsim.load_condition("adhesive_capsulitis")
    df = sample_cohort(cond, 5, seed=2)
    plans = ptsim.standard_plans()
    for name in ("combined", "manual_only"):
        plan = plans[name].resolve(cond)
        py = compiled.run(cond, plan, df, 60, 2, compiled=False)
        ref = ptsim.simulate(cond, plan, cohort=df, days=60, seed=2, engine="numpy")
        assert py.engine == "python"
        for k in TRAJECTORIES:
            np.testing.assert_allclose(getattr(py, k), getattr(ref, k), rtol=1e-12, atol=1e-12, err_msg=k)
        np.testing.assert_array_equal(py.flare_events, ref.flare_events)


@needs_numba
def test_numba_disable_jit_runs_the_same_kernel_uncompiled():
    """With NUMBA_DISABLE_JIT=1 (numba's own switch) ``engine='numba'`` runs the kernel as Python and gives
    the numbers of the compiled kernel."""
    code = (
        "import numpy as np, ptsim; "
        "r = ptsim.simulate('knee_oa', 'combined', n_patients=3, days=40, seed=5, engine='numba'); "
        "np.save('out.npy', np.stack([r.pain, r.rom]))"
    )
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-c", code], cwd=tmp, env=env, check=True)
        slow = np.load(Path(tmp) / "out.npy")
    fast = ptsim.simulate("knee_oa", "combined", n_patients=3, days=40, seed=5, engine="numba")
    np.testing.assert_allclose(slow, np.stack([fast.pain, fast.rom]), rtol=1e-12)


def test_measure_reads_recorded_days():
    """``outcomes.measure`` (with main's measured function score) works on a result that kept only
    some days, and reads the same as on the full trajectories."""
    from ptsim.analysis.outcomes import measure

    full = ptsim.simulate("knee_oa", "combined", n_patients=30, days=120, seed=5)
    kept = ptsim.simulate("knee_oa", "combined", n_patients=30, days=120, seed=5, record_days=[0, 42, 120])
    a, b = measure(full, [42, 120], seed=1), measure(kept, [42, 120], seed=1)
    assert "function_0_100" in b.columns
    np.testing.assert_array_equal(b.to_numpy(), a.to_numpy())
    with pytest.raises(ValueError, match="not recorded"):
        measure(kept, [14], seed=1)
