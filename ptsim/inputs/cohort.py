"""Virtual cohorts: one row a patient, one column a quantity, units in the column names.

Patients are sampled from a condition's baseline distributions with counter-based random numbers:
patient *i* is the same person in a cohort of any size and for any plan. A cohort is a pandas
DataFrame that users can read from and write to CSV, so they can bring their own patients.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ptsim.core.model import Patients
from ptsim.core.streams import uniforms
from ptsim.inputs.conditions import BASELINE_KEYS, Condition, load_condition
from ptsim.inputs.toml_io import describe

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

ID_MAX = 2**63 - 1
"""Largest patient id (ids are 64-bit signed integers)."""

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
            raise ValueError(f"{name} must be a whole number >= {minimum}, got {describe(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {describe(value)}")
    return int(value)


SEED_MAX = 2**64 - 1
"""Largest seed: the random streams hash the seed as an unsigned 64-bit integer."""


def check_seed(value, name: str = "seed") -> int:
    """A seed: a whole number in [0, 2**64 - 1], or ``ValueError`` naming ``name``."""
    seed = check_count(value, name, 0)
    if seed > SEED_MAX:
        raise ValueError(f"{name} must be a whole number in [0, 2**64 - 1], got {seed}")
    return seed


def available_memory_bytes() -> int | None:
    """Memory the system can still give this process (bytes), or None where it cannot be told."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def format_bytes(n_bytes: float) -> str:
    """A size for people: ``4.9 GB`` (decimal units)."""
    for unit in ("bytes", "kB", "MB", "GB", "TB", "PB"):
        if abs(n_bytes) < 1000 or unit == "PB":
            return f"{n_bytes:.0f} {unit}" if unit == "bytes" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1000
    raise AssertionError


def check_memory(n_bytes: float, argument: str, what: str) -> None:
    """Refuse a run whose arrays would not fit in the available memory.

    Parameters
    ----------
    n_bytes : float
        Estimated size of the run's arrays (bytes).
    argument : str
        The argument that sets the size, e.g. ``"n_patients=1000000000000"``.
    what : str
        How the estimate was made, e.g. ``"7 columns x 8 bytes per patient"``.

    Raises
    ------
    ValueError
        With the estimate and the memory available, instead of numpy's ``MemoryError``.
    """
    available = available_memory_bytes()
    if available is not None and n_bytes > available:
        raise ValueError(
            f"{argument}: the run needs about {format_bytes(n_bytes)} of memory ({what}), more than the "
            f"{format_bytes(available)} available; use fewer patients or days, or record_days="
        )


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
    seed = check_seed(seed)
    first_id = check_count(first_id, "first_id", 0)
    if first_id + n - 1 > ID_MAX:
        raise ValueError(
            f"first_id + n_patients - 1 must be at most {ID_MAX} (2**63 - 1), got {first_id + n - 1}"
        )
    # Seven float64 columns, and about as much again in scipy's temporaries.
    check_memory(16 * 7 * n, f"n_patients={n}", "7 columns of 8 bytes per patient, twice")
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    data = {"patient_id": ids}
    for col, key in _SOURCES.items():
        u = uniforms(seed, _STREAMS[key], ids)
        data[col] = _draw(cond.baseline[key], BASELINE_KEYS[key], u)
    return pd.DataFrame(data)


def _float_column(column, source: str, col: str) -> np.ndarray:
    """A column as float64; text is parsed exactly as Python's ``float`` does (correctly rounded)
    so that a file written with ``%.17g`` reads back bit for bit under every pandas version."""
    if column.dtype.kind in "iuf":
        values = column.to_numpy(dtype=float)
    else:
        raw = column.to_numpy(dtype=object)
        values = np.empty(len(raw))
        for i, v in enumerate(raw):
            try:
                values[i] = float(v.strip() if isinstance(v, str) else v)
            except (TypeError, ValueError):
                values[i] = math.nan
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{source}: column {col!r}, row {row}: expected a finite number, got {describe(column.iloc[row])}"
        )
    return values


def _id_column(column, source: str) -> np.ndarray:
    """Patient ids as int64, exactly: whole numbers in [0, 2**63 - 1], all distinct."""
    accepted = f"whole numbers in [0, {ID_MAX}] (2**63 - 1)"
    ids = []
    for row, v in enumerate(column.to_numpy(dtype=object)):
        value = None
        if isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_):
            value = int(v)
        elif isinstance(v, str):
            try:
                value = int(v.strip())
            except ValueError:
                v = _as_float(v)
        if value is None and isinstance(v, float | np.floating):
            # Floats hold whole numbers exactly only up to 2**53.
            if math.isfinite(v) and v == int(v) and abs(v) <= 2**53:
                value = int(v)
            elif math.isfinite(v) and v == int(v):
                raise ValueError(
                    f"{source}: column 'patient_id', row {row}: {describe(v)} is a decimal number above "
                    "2**53, which cannot tell neighbouring ids apart; write ids as whole numbers"
                )
        if value is None or not 0 <= value <= ID_MAX:
            raise ValueError(
                f"{source}: column 'patient_id', row {row}: expected {accepted}, got {describe(v)}"
            )
        ids.append(value)
    seen = {}
    for row, value in enumerate(ids):
        if value in seen:
            raise ValueError(
                f"{source}: column 'patient_id' has duplicate ids: {value} in rows {seen[value]} and {row}"
            )
        seen[value] = row
    return np.array(ids, dtype=np.int64)


def _as_float(text: str):
    try:
        return float(text.strip())
    except ValueError:
        return text


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
        header = ",".join(map(str, df.columns))
        for sep, word in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if len(df.columns) < len(COLUMNS) and sep in header:
                hint = (
                    f"the header {header[:60]!r} looks separated by {word}, but ptsim reads "
                    "comma-separated files (save the file as CSV with commas)"
                )
                raise ValueError(f"{source}: {hint}; required columns: {', '.join(COLUMNS)}")
        raise ValueError(f"{source}: missing column(s) {', '.join(missing)}; required: {', '.join(COLUMNS)}")
    if len(df) < 1:
        raise ValueError(f"{source}: the cohort has no patients (at least 1 row is needed)")
    out = pd.DataFrame({"patient_id": _id_column(df["patient_id"], source)})
    limits = {
        "rom_baseline_deg": (0, condition.rom_normal_deg),
        "pain_baseline_nprs": (0, 10),
        "strength_baseline_pct_normal": (0, 200),
        "manual_responsiveness": (0, 10),
        "exercise_responsiveness": (0, 10),
        "home_adherence_prob": (0, 1),
    }
    for col in COLUMNS:
        if col == "patient_id":
            continue
        values = _float_column(df[col], source, col)
        lo, hi = limits[col]
        outside = (values < lo) | (values > hi)
        if outside.any():
            row = int(np.flatnonzero(outside)[0])
            raise ValueError(
                f"{source}: column {col!r}, row {row}: {describe(values[row])} is outside [{lo:g}, {hi:g}]"
            )
        out[col] = values
    return out.reset_index(drop=True)


def read_cohort(path: str | Path, condition) -> pd.DataFrame:
    """Read a cohort CSV (columns of ``COLUMNS``) and validate it against a condition.

    Every cell is read as text and parsed exactly, so a cohort written by :func:`write_cohort` reads
    back bit for bit whatever the pandas version (pandas 2's default float parser does not).
    """
    import pandas as pd

    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path}: is a folder; expected a cohort CSV file")
    if not path.is_file():
        raise FileNotFoundError(f"cohort file not found: {path}")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text; save the cohort as a UTF-8 CSV file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
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
