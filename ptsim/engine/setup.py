"""What every engine needs before its day loop: checked arguments, the cohort, and the plan's calendar."""

from __future__ import annotations

import numpy as np

from ptsim.inputs.cohort import check_count, check_memory, sample_cohort, validate_cohort
from ptsim.inputs.conditions import Condition
from ptsim.inputs.plans import Plan


def check_days(days) -> int:
    return check_count(days, "days", 0)


DEFAULT_PATIENTS = 200


BYTES_PER_PATIENT_DAY = 5 * 8 + 2
"""Result memory per patient, recorded day and plan: five float64 arrays and two bool arrays."""


def check_run_memory(n_patients, cohort, days: int, record_days, n_plans: int, n_members: int = 1) -> None:
    """Refuse, with a size estimate, a run whose result arrays cannot fit in memory.

    ``n_members`` ensemble members multiply the rows: every patient is simulated under each member.
    A given ``cohort`` is counted by its rows (it is in memory already, so only the multiple adds).
    """
    if cohort is not None:
        if n_members == 1 or not hasattr(cohort, "__len__"):
            return  # the cohort's size is known only once validated; it is in memory already
        n = len(cohort)
    else:
        n = check_count(DEFAULT_PATIENTS if n_patients is None else n_patients, "n_patients")
    columns = days + 1 if record_days is None else len(record_days)
    members = f" x {n_members} ensemble members" if n_members > 1 else ""
    check_memory(
        n * n_members * columns * n_plans * BYTES_PER_PATIENT_DAY,
        f"n_patients={n}" + (f", ensemble={n_members} members" if n_members > 1 else ""),
        f"{n_plans} plan(s){members} x {columns} recorded days x {BYTES_PER_PATIENT_DAY} bytes per "
        "patient-day",
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
