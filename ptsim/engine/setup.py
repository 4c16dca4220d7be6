"""What every engine needs before its day loop: checked arguments, the cohort, and the plan's calendar."""

from __future__ import annotations

import numpy as np

from ptsim.inputs.cohort import check_count, check_memory, sample_cohort, validate_cohort
from ptsim.inputs.conditions import Condition
from ptsim.inputs.plans import Plan


def check_days(days) -> int:
    return check_count(days, "days", 0)


DEFAULT_PATIENTS = 200


BYTES_PER_PATIENT = 800
"""Memory per row of a run, whatever its days and plans (bytes): the cohort table, the patients'
parameters, the model state and the random-stream keys. Measured 700-720 (peak RSS over the start-up
footprint, 200k-400k patients, ``days=0``, ``benchmarks/memory_estimate.py``)."""

BYTES_PER_PATIENT_PLAN = 250
"""Memory per row and plan (bytes), whatever the days: its final state and event counts. Measured
about 200 (one plan against six at ``days=0``)."""

BYTES_PER_PATIENT_DAY = 46
"""Memory per row, plan and recorded day (bytes): five float64 and two bool result arrays (42) and
their share of temporaries. Measured 44-51 (31 and 366 days, one and six plans)."""

BYTES_PER_WORKING_DAY = 16
"""Memory per row being simulated and per day (bytes), shared by the plans: the day tables of the
random streams. Measured about 10-12."""


def run_memory_bytes(n_rows: int, days: int, record_days, n_plans: int, chunk_size=None) -> int:
    """Estimated peak memory of a run (bytes): every allocation proportional to its rows (patients x
    ensemble members), days, recorded days and plans, from the constants above (measured with the
    compiled engine; the numpy engine's chunks keep it within the same bound).

    Parameters
    ----------
    n_rows : int
        Rows simulated (patients, times ensemble members).
    days : int
        Last day simulated.
    record_days : list of int or None
        Recorded days (None: every day).
    n_plans : int
    chunk_size : int, optional
        Rows simulated at a time (as for :func:`ptsim.simulate`).
    """
    columns = days + 1 if record_days is None else len(record_days)
    chunked = record_days is not None or chunk_size is not None
    working = min(n_rows, chunk_size or DEFAULT_CHUNK_SIZE) if chunked else n_rows
    per_row = BYTES_PER_PATIENT + n_plans * (BYTES_PER_PATIENT_PLAN + columns * BYTES_PER_PATIENT_DAY)
    return n_rows * per_row + working * (days + 1) * BYTES_PER_WORKING_DAY


def check_run_memory(
    n_patients, cohort, days: int, record_days, n_plans: int, n_members: int = 1, chunk_size=None
) -> None:
    """Refuse, before anything is allocated, a run whose memory (:func:`run_memory_bytes`) exceeds
    what the system can give, with the estimate and what it counts.

    ``n_members`` ensemble members multiply the rows: every patient is simulated under each member.
    A given ``cohort`` is counted by its rows (one that is not a table yet is checked once read).
    """
    if cohort is not None:
        if not hasattr(cohort, "__len__"):
            return  # not a table: validate_cohort refuses it
        n = len(cohort)
    else:
        n = check_count(DEFAULT_PATIENTS if n_patients is None else n_patients, "n_patients")
    columns = days + 1 if record_days is None else len(record_days)
    members = f" x {n_members} ensemble members" if n_members > 1 else ""
    check_memory(
        run_memory_bytes(n * n_members, days, record_days, n_plans, chunk_size),
        f"n_patients={n}" + (f", ensemble={n_members} members" if n_members > 1 else ""),
        f"{n_plans} plan(s){members} x {columns} recorded days x {BYTES_PER_PATIENT_DAY} bytes per "
        f"patient-day, plus {BYTES_PER_PATIENT} bytes per patient and {BYTES_PER_PATIENT_PLAN} per patient "
        f"and plan, plus {BYTES_PER_WORKING_DAY} bytes per simulated patient-day",
    )


def cohort_for(cond: Condition, n_patients, seed, cohort):
    """The cohort of a run: ``cohort`` validated, or ``n_patients`` (default 200) sampled."""
    if cohort is None:
        n = DEFAULT_PATIENTS if n_patients is None else n_patients
        return sample_cohort(cond, check_count(n, "n_patients"), seed)
    df = validate_cohort(cohort, cond, "cohort")
    if n_patients is not None and n_patients != len(df):
        raise ValueError(
            f"n_patients={n_patients!r} disagrees with the cohort's {len(df)} rows; "
            "leave n_patients out when you give a cohort"
        )
    return df


def schedule(plan: Plan, days: int):
    """Per-day clinic flags and home-session frequencies for a plan."""
    clinic, freq, _ = day_plan(plan, days)
    return clinic, freq


def day_plan(plan: Plan, days: int):
    """Per-day clinic flags, home-session frequencies and clinic session (index into ``plan.sessions``,
    -1 none), from the plan's schedule (:meth:`Plan.day_schedule`); after discharge the maintenance
    programme."""
    ds = plan.day_schedule(days)
    freq = ds.home_frequency
    if plan.home is not None:
        after = ds.discharge_day <= np.arange(days + 1)
        freq[after & ~ds.clinic] = (
            plan.home.after_discharge_days_per_week / 7 * plan.home.after_discharge_adherence_factor
        )
    return ds.clinic, freq, ds.session_index


def check_record_days(record_days, days: int):
    """``None`` (every day) or a sorted list of distinct whole days in ``[0, days]``."""
    if record_days is None:
        return None
    if isinstance(record_days, str) or not hasattr(record_days, "__iter__"):
        raise ValueError(f"record_days must be a list of days in [0, {days}] or None, got {record_days!r}")
    out = []
    for d in record_days:
        if isinstance(d, bool) or not isinstance(d, int | np.integer) or not 0 <= d <= days:
            raise ValueError(f"record_days must hold whole days in [0, {days}], got {d!r}")
        out.append(int(d))
    if not out:
        raise ValueError("record_days is empty; give at least one day, or None for every day")
    return sorted(set(out))


def check_chunk_size(chunk_size):
    return None if chunk_size is None else check_count(chunk_size, "chunk_size")


DEFAULT_CHUNK_SIZE = 20_000
"""Patients simulated at a time when only some days are recorded (``record_days``)."""
