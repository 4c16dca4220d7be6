"""Sensitivity analysis (ptsim.analysis.sensitivity): batched sweeps, tornado, Sobol, executors, bad input."""

import concurrent.futures

import numpy as np
import pandas as pd
import pytest

import ptsim
from ptsim.analysis.sensitivity import evaluate, one_at_a_time, sobol

USED = ["setpoint_drop_per_dose_min", "tolerance_full_nprs"]
UNUSED = "joint_mobilization_pain_drop_frac"  # no manual therapy in exercise_only


def test_batched_sweep_equals_separate_runs():
    cond = ptsim.load_condition("knee_oa")
    sets = {
        "tolerance_full_nprs": [2.0, 4.0, 3.0],
        "fitness_tau_days": [20.0, 50.0, 38.0],
        "consolidation_per_window_min": [0.0, 0.3, 0.06],
    }
    y = evaluate(cond, "combined", sets, "rom", day=42, n_patients=12, seed=3, chunk_size=2)
    for i in range(3):
        c = cond.with_parameters(**{k: v[i] for k, v in sets.items()})
        r = ptsim.simulate(c, "combined", n_patients=12, days=42, seed=3)
        assert y[i] == pytest.approx(r.rom[:, 42].mean(), rel=1e-12)
    s = evaluate(cond, "combined", sets, "setbacks", day=120, n_patients=12, seed=3)
    r = ptsim.simulate(cond.with_parameters(**{k: v[2] for k, v in sets.items()}), "combined", 12, 120, 3)
    assert s[2] == pytest.approx(r.setbacks.mean())


def test_one_at_a_time_ranks_parameters_and_unused_ones_do_nothing():
    table = one_at_a_time("knee_oa", "exercise_only", [UNUSED, *USED], outcome="pain", day=42)
    assert table["swing"].abs().is_monotonic_decreasing
    row = table.set_index("parameter")
    assert row.loc[UNUSED, "swing"] == 0
    assert row.loc["setpoint_drop_per_dose_min", "swing"] < -0.5  # more set-point drop, less pain
    assert row.loc["tolerance_full_nprs", "low"] == pytest.approx(1.5)  # +/-50 % of 3
    assert (table["outcome_default"] == table["outcome_default"].iloc[0]).all()


def test_sobol_index_of_an_unused_parameter_is_zero():
    idx = sobol("knee_oa", "exercise_only", [*USED, UNUSED], n_base=64, n_patients=5).set_index("parameter")
    assert abs(idx.loc[UNUSED, "S1"]) < 0.01 and abs(idx.loc[UNUSED, "ST"]) < 0.01
    assert idx.loc["setpoint_drop_per_dose_min", "ST"] > 0.5
    assert idx["ST"].sum() > 0.9  # the used parameters explain the variance


def test_executor_path_gives_the_same_numbers_as_the_serial_path():
    sets = pd.DataFrame({"setpoint_drop_per_dose_min": np.linspace(0.001, 0.003, 9), "eih_max_frac": 0.3})
    serial = evaluate("knee_oa", "combined", sets, n_patients=6, chunk_size=2)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        threaded = evaluate("knee_oa", "combined", sets, n_patients=6, chunk_size=2, executor=pool)
    np.testing.assert_array_equal(serial, threaded)


def test_dask_distributed_executor_gives_the_same_numbers():
    distributed = pytest.importorskip("dask.distributed")
    sets = pd.DataFrame({"setpoint_drop_per_dose_min": np.linspace(0.001, 0.003, 7)})
    serial = one_at_a_time("knee_oa", "combined", USED, n_patients=6)
    swept = evaluate("knee_oa", "combined", sets, n_patients=6, chunk_size=3)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        ex = client.get_executor()
        via_dask = one_at_a_time("knee_oa", "combined", USED, n_patients=6, executor=ex)
        swept_dask = evaluate("knee_oa", "combined", sets, n_patients=6, chunk_size=3, executor=ex)
    pd.testing.assert_frame_equal(serial, via_dask)
    np.testing.assert_array_equal(swept, swept_dask)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: one_at_a_time("knee_oa", "combined", ["strength_of_will"]), "unknown model parameter"),
        (lambda: one_at_a_time("knee_oa", "combined", ["massage_window_max_frac"]), "range .* is empty"),
        (lambda: one_at_a_time("knee_oa", "combined", {"tolerance_full_nprs": (2, 12)}), "leaves its bounds"),
        (lambda: one_at_a_time("knee_oa", "combined", []), "parameters is empty"),
        (lambda: sobol("knee_oa", "combined", USED, n_base=100), "power of 2"),
        (
            lambda: evaluate("knee_oa", "combined", {"tolerance_full_nprs": [3.0]}, outcome="mood"),
            "unknown outcome",
        ),
        (lambda: evaluate("knee_oa", "combined", {"tolerance_full_nprs": [np.nan]}), "finite and within"),
    ],
)
def test_bad_sensitivity_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
