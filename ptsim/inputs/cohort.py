"""Virtual cohorts: one row a patient, one column a quantity, units in the column names.

Patients are sampled from a condition's baseline distributions with counter-based random numbers:
patient *i* is the same person in a cohort of any size and for any plan. A cohort is a pandas
DataFrame that users can read from and write to CSV, so they can bring their own patients.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ptsim.core.model import Patients
from ptsim.core.streams import uniforms
from ptsim.inputs.conditions import BASELINE_KEYS, Condition, load_condition

if TYPE_CHECKING:  # pandas is imported where it is used, to keep `import ptsim` light
    import pandas as pd

COLUMNS = {
    "patient_id": "identifier (integer >= 0); it keys the patient's random numbers",
    "rom_baseline_deg": "range of the condition's movement at baseline (degrees)",
    "pain_baseline_nprs": "pain at baseline (NPRS 0-10)",
    "strength_baseline_pct_normal": "strength at baseline (% of normal)",
    "manual_responsiveness": "multiplier of the response to manual therapy (1 = typical)",
    "exercise_responsiveness": "multiplier of the response to exercise (1 = typical)",
    "home_adherence_prob": "probability of doing a scheduled home session (0-1)",
}
"""The cohort table's columns and what they mean."""

# cohort column -> (condition baseline key, random stream)
_SOURCES = {
    "rom_baseline_deg": "rom_deg",
    "pain_baseline_nprs": "pain_nprs",
    "strength_baseline_pct_normal": "strength_pct_normal",
    "manual_responsiveness": "manual_responsiveness",
    "exercise_responsiveness": "exercise_responsiveness",
    "home_adherence_prob": "home_adherence_prob",
}
_STREAMS = {
    "rom_deg": "rom_baseline",
    "pain_nprs": "pain_baseline",
    "strength_pct_normal": "strength_baseline",
    "manual_responsiveness": "manual_responsiveness",
    "exercise_responsiveness": "exercise_responsiveness",
    "home_adherence_prob": "home_adherence",
}


def check_count(value, name: str, minimum: int = 1) -> int:
    """A whole number >= ``minimum``, or ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        if isinstance(value, float) and math.isfinite(value) and value == int(value):
            value = int(value)
        else:
            raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def _draw(dist, kind, u):
    from scipy import stats

    if kind == "truncated normal":
        if dist.sd == 0:
            return np.full_like(u, dist.mean)
        a, b = (dist.low - dist.mean) / dist.sd, (dist.high - dist.mean) / dist.sd
        return stats.truncnorm.ppf(u, a, b, loc=dist.mean, scale=dist.sd)
    if kind == "log-normal with mean 1":
        sigma = math.sqrt(math.log1p((dist.sd / dist.mean) ** 2)) if dist.sd else 0.0
        z = stats.norm.ppf(u)
        return dist.mean * np.exp(sigma * z - sigma**2 / 2)
    if kind == "beta":
        m, v = dist.mean, dist.sd**2
        if v == 0:
            return np.full_like(u, m)
        k = m * (1 - m) / v - 1
        return stats.beta.ppf(u, m * k, (1 - m) * k)
    raise AssertionError(kind)


def sample_cohort(condition, n_patients: int = 200, seed: int = 0, first_id: int = 0):
    """Sample a virtual cohort from a condition's baseline distributions.

    Parameters
    ----------
    condition : Condition or str
        The condition (or its name / file path).
    n_patients : int
        Number of patients (>= 1).
    seed : int
        Random seed (>= 0). Patient *i* has the same values for the same seed whatever the size.
    first_id : int
        Id of the first patient; ids run ``first_id, first_id + 1, ...``.

    Returns
    -------
    pandas.DataFrame
        One row a patient, the columns of ``COLUMNS``.
    """
    import pandas as pd

    cond = load_condition(condition)
    n = check_count(n_patients, "n_patients")
    seed = check_count(seed, "seed", 0)
    first_id = check_count(first_id, "first_id", 0)
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    data = {"patient_id": ids}
    for col, key in _SOURCES.items():
        u = uniforms(seed, _STREAMS[key], ids)
        data[col] = _draw(cond.baseline[key], BASELINE_KEYS[key], u)
    return pd.DataFrame(data)


def validate_cohort(df, condition: Condition, source: str = "cohort"):
    """Check a cohort table against a condition; return a clean float copy.

    Raises
    ------
    ValueError
        Missing or unknown columns, non-numeric, missing or out-of-range values, duplicate ids.
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{source}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {', '.join(missing)}; required: {', '.join(COLUMNS)}")
    if len(df) < 1:
        raise ValueError(f"{source}: the cohort has no patients (at least 1 row is needed)")
    out = pd.DataFrame({"patient_id": df["patient_id"]})
    limits = {
        "rom_baseline_deg": (0, condition.rom_normal_deg),
        "pain_baseline_nprs": (0, 10),
        "strength_baseline_pct_normal": (0, 200),
        "manual_responsiveness": (0, 10),
        "exercise_responsiveness": (0, 10),
        "home_adherence_prob": (0, 1),
    }
    for col in COLUMNS:
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() | ~np.isfinite(values.astype(float))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(
                f"{source}: column {col!r}, row {row}: expected a finite number, got {df[col].iloc[row]!r}"
            )
        if col == "patient_id":
            if (values != values.round()).any() or (values < 0).any():
                raise ValueError(f"{source}: column 'patient_id' must hold whole numbers >= 0")
            if values.duplicated().any():
                raise ValueError(f"{source}: column 'patient_id' has duplicate ids")
            out[col] = values.astype(np.int64)
            continue
        lo, hi = limits[col]
        outside = (values < lo) | (values > hi)
        if outside.any():
            row = int(np.flatnonzero(outside.to_numpy())[0])
            raise ValueError(
                f"{source}: column {col!r}, row {row}: {values.iloc[row]!r} is outside [{lo:g}, {hi:g}]"
            )
        out[col] = values.astype(float)
    return out.reset_index(drop=True)


def read_cohort(path: str | Path, condition) -> pd.DataFrame:
    """Read a cohort CSV (columns of ``COLUMNS``) and validate it against a condition."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"cohort file not found: {path}")
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a readable CSV file: {exc}") from None
    return validate_cohort(df, load_condition(condition), str(path))


def write_cohort(df, path: str | Path) -> Path:
    """Write a cohort to CSV (the columns of ``COLUMNS``, full precision)."""
    path = Path(path)
    df.loc[:, list(COLUMNS)].to_csv(path, index=False, float_format="%.17g")
    return path


def to_patients(df, condition: Condition) -> Patients:
    """Turn a validated cohort table into the arrays the model uses."""
    from ptsim.core.parameters import TISSUES

    rom0 = df["rom_baseline_deg"].to_numpy(float)
    deficit = condition.rom_normal_deg - rom0
    shares = np.array([condition.tissue_shares[t] for t in TISSUES])[:, None]
    return Patients(
        deficit0_deg=shares * deficit[None, :],
        setpoint0=df["pain_baseline_nprs"].to_numpy(float) / 10.0,
        strength0_pct=df["strength_baseline_pct_normal"].to_numpy(float),
        manual_resp=df["manual_responsiveness"].to_numpy(float),
        exercise_resp=df["exercise_responsiveness"].to_numpy(float),
        adherence=df["home_adherence_prob"].to_numpy(float),
        rom_normal_deg=condition.rom_normal_deg,
    )
