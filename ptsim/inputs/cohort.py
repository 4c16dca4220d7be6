"""Virtual cohorts: one row a patient, one column a quantity, units in the column names.

Patients are sampled from a condition's baseline distributions with counter-based random numbers:
patient *i* is the same person in a cohort of any size and for any plan. A cohort is a pandas
DataFrame that users can read from and write to CSV, so they can bring their own patients.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ptsim.core.model import Patients
from ptsim.core.streams import uniforms
from ptsim.inputs.conditions import BASELINE_KEYS, Condition, Distribution, load_condition
from ptsim.inputs.memory import check_memory
from ptsim.inputs.toml_io import closest, describe

if TYPE_CHECKING:  # pandas is imported where it is used, to keep `import ptsim` light
    import pandas as pd

COLUMNS = {
    "patient_id": "identifier (integer >= 0); it keys the patient's random numbers",
    "rom_baseline_deg": "range the tissues allow at baseline (degrees; measured ROM is this less guarding)",
    "pain_baseline_nprs": "pain at baseline (NPRS 0-10)",
    "strength_baseline_pct_normal": "strength at baseline (% of normal)",
    "manual_responsiveness": "multiplier of the response to manual therapy (1 = typical)",
    "exercise_responsiveness": "multiplier of the response to exercise (1 = typical)",
    "home_adherence_prob": "probability of doing a scheduled home session (0-1)",
}
"""The cohort table's columns and what they mean."""

OPTIONAL_COLUMNS = {
    "natural_pain_course_factor": "multiplier of the condition's untreated pain end share (1 = typical)",
    "natural_rom_course_factor": "multiplier of the untreated ROM-deficit end share (1 = typical)",
}
"""Columns a cohort may leave out (model v2): missing, they take the condition's natural history.
``sample_cohort`` always writes them, drawn from the condition's ``natural_history`` (value, sd)."""

# optional column -> (natural-history key, random stream, Patients field)
_COURSES = {
    "natural_pain_course_factor": ("pain_end_frac", "natural_pain_course", "pain_course_factor"),
    "natural_rom_course_factor": ("rom_deficit_end_frac", "natural_rom_course", "rom_course_factor"),
}
COURSE_FACTOR_MAX = 3
"""Largest course multiplier (a patient's untreated course ends at most 3x as far as the typical)."""

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


QUADRATURE_POINTS = 256
"""Quantiles of the baseline-pain distribution over which the measured-ROM moments are averaged."""


def _truncnorm_moments(loc, scale, low, high):
    """Mean and variance of normals ``(loc, scale)`` truncated to ``[low, high]`` (arrays allowed).

    Closed form, in logs so that it stays exact far in a tail (``scipy.stats.truncnorm.stats`` is
    100x slower): with ``a, b`` the standardised bounds, ``Z = Phi(b) - Phi(a)``,
    ``mean = loc + scale (phi(a) - phi(b)) / Z`` and
    ``var = scale^2 (1 + (a phi(a) - b phi(b)) / Z - ((phi(a) - phi(b)) / Z)^2)``.
    """
    from scipy.special import log_ndtr

    a = (np.asarray(low, float) - loc) / scale
    b = (np.asarray(high, float) - loc) / scale
    a, b = np.broadcast_arrays(a, b)
    # in the upper tail, mirror the interval into the lower one (the formulas are symmetric)
    flip = (a + b) > 0
    lo, hi = np.where(flip, -b, a), np.where(flip, -a, b)
    log_z = log_ndtr(hi) + np.log1p(-np.exp(log_ndtr(lo) - log_ndtr(hi)))
    log_phi = lambda x: -0.5 * x * x - 0.5 * math.log(2 * math.pi)  # noqa: E731
    r_lo, r_hi = np.exp(log_phi(lo) - log_z), np.exp(log_phi(hi) - log_z)
    shift = r_lo - r_hi
    var = scale**2 * (1.0 + lo * r_lo - hi * r_hi - shift**2)
    mean = loc + scale * np.where(flip, -shift, shift)
    return mean, np.maximum(var, 0.0)


@functools.lru_cache(maxsize=512)
def truncnorm_for_moments(
    mean: float, sd: float, low: float, highs: tuple
) -> tuple[float, float, float, float]:
    """Location and scale of the normal which, truncated to ``[low, high_k]``, has the cited moments.

    The population is an equal mixture over the upper bounds ``highs`` (one truncation for all when
    there is one). The cited ``mean`` and ``sd`` are matched exactly where a truncated normal can reach
    them; where it cannot (a cited mean above what the bounds allow), the SD is kept and the mean comes
    as close as it can (least squares, the SD residual weighted 10x).

    Returns
    -------
    loc, scale, achieved_mean, achieved_sd : float
    """
    from scipy import optimize

    hi = np.asarray(highs, float)

    def moments(x):
        m, v = _truncnorm_moments(x[0], math.exp(x[1]), low, hi)
        mu = float(m.mean())
        return mu, math.sqrt(max(float((v + m**2).mean()) - mu**2, 0.0))

    def residuals(x):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            mu, s = moments(x)
        if not (math.isfinite(mu) and math.isfinite(s)):  # a trial step far out in a tail
            return [1e6, 1e6]
        return [(mu - mean) / sd, 10.0 * (s - sd) / sd]

    fit = optimize.least_squares(residuals, [mean, math.log(sd)], xtol=1e-12, ftol=1e-12, gtol=1e-12)
    loc, scale = float(fit.x[0]), math.exp(float(fit.x[1]))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return (loc, scale, *moments(fit.x))


def _quantiles(k: int = QUADRATURE_POINTS) -> np.ndarray:
    return (np.arange(k) + 0.5) / k


def _point_mass(dist) -> bool:
    """An SD so small against the range that the distribution is its mean (the moment solve of a
    truncated normal cannot resolve it, and every draw would equal the mean anyway)."""
    scale = max(abs(dist.high - dist.low), abs(dist.mean), 1.0)
    # a range too narrow to hold a spread (e.g. [0, 5e-324]): truncation cannot be solved in it
    return dist.sd <= 1e-9 * scale or (dist.high - dist.low) <= 1e-12 * scale


# The quantile functions below are those of scipy.stats (truncnorm, norm, beta), written with
# scipy.special alone and bit for bit the same arithmetic (tests/test_baseline.py compares them):
# importing scipy.stats takes about 0.8 s, most of the dashboard's first render.


def _log_gauss_mass(a, b):
    """Log of the standard normal's probability in ``[a, b]`` (scipy.stats' ``_log_gauss_mass``)."""
    from scipy import special

    a, b = np.broadcast_arrays(a, b)

    def left(a, b):  # both bounds at or below 0: log(Phi(b) - Phi(a)) in logs (a complex log-sum)
        return special.logsumexp([special.log_ndtr(b), special.log_ndtr(a) + np.pi * 1j], axis=0)

    case_left, case_right = b <= 0, a > 0
    central = ~(case_left | case_right)
    out = np.full_like(a, fill_value=np.nan, dtype=np.complex128)
    if a[case_left].size:
        out[case_left] = left(a[case_left], b[case_left])
    if a[case_right].size:  # the right tail mirrored into the left, where it is accurate
        out[case_right] = left(-b[case_right], -a[case_right])
    if a[central].size:
        out[central] = special.log1p(-special.ndtr(a[central]) - special.ndtr(-b[central]))
    return np.real(out)


def truncnorm_ppf(u, a, b, loc, scale):
    """Quantiles ``u`` of a normal ``(loc, scale)`` truncated to the standardised bounds ``[a, b]``.

    The same numbers as ``scipy.stats.truncnorm.ppf(u, a, b, loc=loc, scale=scale)`` (its algorithm:
    inverted in logs from the nearer tail), without importing scipy.stats. ``u`` of 0 and 1 give the
    bounds; bounds with ``a >= b`` give NaN.
    """
    from scipy import special

    u, a, b = (np.asarray(x, float) for x in (u, a, b))
    shape = np.broadcast_shapes(u.shape, a.shape, b.shape)
    u, a, b = (np.broadcast_to(x, shape) for x in (u, a, b))
    out = np.full(shape, np.nan)
    valid = (a < b) & (scale > 0)
    out[valid & (u == 0)] = (a * scale + loc)[valid & (u == 0)]
    out[valid & (u == 1)] = (b * scale + loc)[valid & (u == 1)]
    inner = valid & (0 < u) & (u < 1)
    q, a, b = u[inner], a[inner], b[inner]
    x = np.empty_like(q)
    lo = a < 0
    if lo.any():  # the quantile measured from the lower tail
        log_phi = special.logsumexp(
            [special.log_ndtr(a[lo]), np.log(q[lo]) + _log_gauss_mass(a[lo], b[lo])], axis=0
        )
        x[lo] = special.ndtri_exp(log_phi)
    hi = ~lo
    if hi.any():  # from the upper tail
        log_phi = special.logsumexp(
            [special.log_ndtr(-b[hi]), np.log1p(-q[hi]) + _log_gauss_mass(a[hi], b[hi])], axis=0
        )
        x[hi] = -special.ndtri_exp(log_phi)
    out[inner] = x * scale + loc
    return out if out.ndim else out[()]


def _draw(dist, kind, u):
    """Draws with the distribution's cited moments (a truncated normal's location and scale are solved
    so that the truncated distribution has the cited mean and SD, not the untruncated one)."""
    from scipy import special

    if kind == "truncated normal":
        if _point_mass(dist):
            return np.full_like(u, dist.mean)
        loc, scale, _, _ = truncnorm_for_moments(dist.mean, dist.sd, dist.low, (dist.high,))
        a, b = (dist.low - loc) / scale, (dist.high - loc) / scale
        return truncnorm_ppf(u, a, b, loc, scale)
    if kind == "log-normal with mean 1":
        sigma = math.sqrt(math.log1p((dist.sd / dist.mean) ** 2)) if dist.sd else 0.0
        z = special.ndtri(u)  # the standard normal's quantiles (scipy.stats.norm.ppf)
        return dist.mean * np.exp(sigma * z - sigma**2 / 2)
    if kind == "beta":
        m, v = dist.mean, dist.sd**2
        if v == 0:
            return np.full_like(u, m)
        k = m * (1 - m) / v - 1
        a, b = m * k, (1 - m) * k
        if min(a, b) < 1e-12:
            # The limit of a beta whose shape parameters vanish: 1 with probability m, else 0 (scipy's
            # beta overflows there). Its mean is m; a cited mean of 0 or 1 gives every patient that.
            return (u > 1.0 - m).astype(float)
        return special.betaincinv(a, b, u)  # the beta's quantiles (scipy.stats.beta.ppf)
    raise AssertionError(kind)


def _guarded_share(condition: Condition, pain_nprs) -> np.ndarray:
    """Share of the tissue range a patient shows at a pain (1 - guarding), as ``model.rom_deg``."""
    guarding = condition.parameters["guarding_frac_at_max_pain"]
    if np.ndim(guarding):
        raise ValueError("sample_cohort needs one value of guarding_frac_at_max_pain, not one per patient")
    return 1.0 - guarding * np.asarray(pain_nprs, float) / 10.0


def measured_rom_fit(condition) -> dict:
    """How the cohort's measured pre-treatment ROM is built to match the condition's cited baseline.

    The cited ``baseline.rom_deg`` (mean, SD, min, max) is a *measured* range: the tissues' range less
    the guarding of the patient's pain. Each patient's measured range is drawn from a normal truncated
    to ``[min, min(max, normal x (1 - guarding x pain / 10))]`` (no patient measures more than their
    pain lets the normal range show), with its location and scale solved so that the cohort's measured
    mean and SD are the cited ones; the tissue range is then ``measured / (1 - guarding x pain / 10)``.

    Returns
    -------
    dict
        ``loc, scale`` of the untruncated normal, ``cited_mean, cited_sd``, ``mean, sd`` (the measured
        moments of the population), ``reachable_mean`` (the largest measured mean the normal range
        allows at the cohort's pain) and ``matched`` (whether the cited moments are met, within 0.1 %).
    """
    cond = load_condition(condition)
    rom, pain = cond.baseline["rom_deg"], cond.baseline["pain_nprs"]
    pain_q = _draw(pain, BASELINE_KEYS["pain_nprs"], _quantiles())
    caps = np.minimum(rom.high, cond.rom_normal_deg * _guarded_share(cond, pain_q))
    # A cap at or below the cited minimum leaves no room (such patients measure their cap, see
    # _draw_rom); a sliver of room keeps the moment solve defined for them.
    room = np.maximum(caps, rom.low + 1e-6 * max(rom.high - rom.low, 1e-9))
    loc, scale, mean, sd = truncnorm_for_moments(rom.mean, rom.sd, rom.low, tuple(np.round(room, 9)))
    if not (math.isfinite(loc) and math.isfinite(scale) and scale > 0):  # degenerate bounds
        loc, scale = rom.mean, rom.sd
    matched = abs(mean - rom.mean) <= 1e-3 * rom.mean and abs(sd - rom.sd) <= 1e-3 * rom.sd
    return {
        "loc": loc,
        "scale": scale,
        "cited_mean": rom.mean,
        "cited_sd": rom.sd,
        "mean": mean,
        "sd": sd,
        "reachable_mean": float(caps.mean()),
        "matched": bool(matched),
        "caps": caps,
    }


def _draw_rom(cond: Condition, u, pain_nprs) -> np.ndarray:
    """Tissue ranges whose measured (guarded) values have the cited baseline moments."""
    rom = cond.baseline["rom_deg"]
    share = _guarded_share(cond, pain_nprs)
    cap = np.broadcast_to(np.minimum(rom.high, cond.rom_normal_deg * share), np.shape(u)).astype(float)
    if _point_mass(rom):
        measured = np.minimum(rom.mean, cap)
    else:
        # No room above the cited minimum (pain guards that much): the patient measures the cap.
        measured = cap.copy()
        room = cap > rom.low
        if room.any():
            fit = measured_rom_fit(cond)
            a, b = (rom.low - fit["loc"]) / fit["scale"], (cap[room] - fit["loc"]) / fit["scale"]
            measured[room] = truncnorm_ppf(np.asarray(u)[room], a, b, fit["loc"], fit["scale"])
    # the tissue range the guarding leaves at this measurement (never above normal: cap above)
    return np.minimum(measured / share, cond.rom_normal_deg)


def sample_cohort(condition, n_patients: int = 200, seed: int = 0, first_id: int = 0):
    """Sample a virtual cohort from a condition's baseline distributions.

    The cited baselines are what patients *measure* before care: a truncated normal's location and
    scale are solved so that its truncated mean and SD are the cited ones, and the tissue range is
    solved from the measured range, the patient's pain and the guarding (see :func:`measured_rom_fit`).

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
        One row a patient, the columns of ``COLUMNS`` and ``OPTIONAL_COLUMNS``.
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
        if key == "rom_deg":  # needs the patient's pain: see measured_rom_fit
            continue
        data[col] = _draw(cond.baseline[key], BASELINE_KEYS[key], u)
    u = uniforms(seed, _STREAMS["rom_deg"], ids)
    data["rom_baseline_deg"] = _draw_rom(cond, u, data["pain_baseline_nprs"])
    for col, (key, stream, _) in _COURSES.items():
        # a multiplier around 1 whose truncated normal on [0, COURSE_FACTOR_MAX] has mean 1 and the
        # condition's natural-history sd (sd 0: exactly 1)
        dist = Distribution(1.0, cond.natural_history_sd.get(key, 0.0), 0.0, float(COURSE_FACTOR_MAX))
        data[col] = _draw(dist, "truncated normal", uniforms(seed, stream, ids))
    return pd.DataFrame({col: data[col] for col in (*COLUMNS, *OPTIONAL_COLUMNS)})


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
        value: int | None = None
        if isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_):
            value = int(v)
        elif isinstance(v, str):
            try:
                value = int(v.strip())
            except ValueError:
                v = _as_float(v)
        if value is None and isinstance(v, float | np.floating):
            fv = float(v)
            # Floats hold whole numbers exactly only up to 2**53.
            if math.isfinite(fv) and fv == int(fv) and abs(fv) <= 2**53:
                value = int(fv)
            elif math.isfinite(fv) and fv == int(fv):
                raise ValueError(
                    f"{source}: column 'patient_id', row {row}: {describe(v)} is a decimal number above "
                    "2**53, which cannot tell neighbouring ids apart; write ids as whole numbers"
                )
        if value is None or not 0 <= value <= ID_MAX:
            raise ValueError(
                f"{source}: column 'patient_id', row {row}: expected {accepted}, got {describe(v)}"
            )
        ids.append(value)
    seen: dict[int, int] = {}
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
    known = (*COLUMNS, *OPTIONAL_COLUMNS)
    unknown = [c for c in df.columns if c not in known]
    if unknown:
        guess = closest(str(unknown[0]), OPTIONAL_COLUMNS) or closest(str(unknown[0]), COLUMNS)
        hint = f"; did you mean {guess!r}?" if guess else ""
        raise ValueError(
            f"{source}: unknown column {str(unknown[0])!r}{hint} (a cohort holds only the columns the model "
            f"reads: rename or remove it); accepted: {', '.join(known)}"
        )
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
    for col in _COURSES:
        limits[col] = (0, COURSE_FACTOR_MAX)
    for col in (*COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in df.columns)):
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
    for col in _COURSES:
        if col not in out:
            out[col] = 1.0  # the condition's own course (exactly as without the column)
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
    """Write a cohort to CSV (``COLUMNS`` and the ``OPTIONAL_COLUMNS`` it has, full precision)."""
    path = Path(path)
    cols = [*COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in df.columns)]
    df.loc[:, cols].to_csv(path, index=False, float_format="%.17g")
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
        **{
            # each patient's own course when the cohort has it; else the condition's (exactly v1)
            field: df[col].to_numpy(float) if col in df.columns else None
            for col, (_, _, field) in _COURSES.items()
        },
    )
