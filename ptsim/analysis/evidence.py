"""Published results and clinical instruments as validated tables (calibration v2's evidence).

Two files in ``data/evidence`` (documented in its README):

- ``published.csv``: one row a published result that the model can be compared with: the condition,
  whether calibration may fit it or must hold it out (``role``), what is compared (``quantity``), the
  trial arms as ptsim plans, the day of measurement counted from the start of care, the instrument
  and its scale, the estimate with its 95 % interval, how the interval was obtained, the citation and
  what was checked against the source.
- ``instruments.csv``: per condition, the patient-reported instrument its trials use (range,
  direction and minimal clinically important difference with its source).

Where an interval was derived rather than reported, the row's ``derivation`` column holds the
formula as a small expression (e.g. ``wilson(40,45)``); :func:`published_targets` recomputes every
derivation and rejects a row whose ``estimate``/``low``/``high`` do not match it, so a derived
number cannot drift from its inputs. The formulas are :func:`wilson`, :func:`newcombe`,
:func:`mean_t`, :func:`mean_z`, :func:`diff_z` and :func:`scaled`.

Every problem found while reading raises ``ValueError`` naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

from ptsim.inputs.conditions import list_conditions
from ptsim.inputs.paths import data_dir

ROLES = ("fit", "held_out", "known_gap")
"""``fit``: calibration may use the row; ``held_out``: chosen before any fit, never fitted, reported as
a check; ``known_gap``: reported, never fitted, because the condition cannot represent the row's
population or design, or the model cannot read the row's definition (e.g. a patient's global rating
of change); the reason is in ``notes``."""

DESIGNS = ("pooled", "single")
"""What produced a row: ``pooled``, a meta-analysis's (or a review's) pooled estimate, which estimates
the population effect itself; ``single``, one trial, cohort or case series, which scatters around the
population effect by the between-study heterogeneity (:mod:`ptsim.analysis.likelihood`)."""

TAGS = ("pooled_end_of_care", "followup_6mo", "usual_care_change", "responder_or_recurrence")
"""The kinds of result every condition must have (issue 13, item 1); a row may carry several."""

QUANTITIES = {
    "between_arm_difference": True,
    "within_arm_change": False,
    "within_arm_level": False,
    "percent_of_baseline": False,
    "proportion": False,
    "proportion_difference": True,
    "ratio": True,
    "time_to_event": False,
}
"""What a row compares, and whether it needs a comparator arm (``arm`` minus ``comparator``)."""

INSTRUMENTS = {
    # token: (scale_min, scale_max, higher_is_worse, meaning)
    "NPRS": (0.0, 10.0, True, "numeric pain rating scale 0-10"),
    "pain_0_100": (0.0, 100.0, True, "pain on 0-100 (VAS mm, or a review's rescaled pain)"),
    "function_0_100": (0.0, 100.0, True, "functional limitation rescaled to 0-100 by a review"),
    "WOMAC_0_100": (0.0, 100.0, True, "WOMAC total normalised to 0-100"),
    "WOMAC_0_240": (0.0, 240.0, True, "WOMAC total, VAS version 0-240"),
    "KOOS4_0_100": (0.0, 100.0, False, "mean of four KOOS subscales, 0 worst to 100 best"),
    "NDI_0_50": (0.0, 50.0, True, "Neck Disability Index, raw 0-50"),
    "RMDQ_0_24": (0.0, 24.0, True, "Roland-Morris Disability Questionnaire 0-24"),
    "ODI_0_100": (0.0, 100.0, True, "Oswestry Disability Index %"),
    "SPADI_0_100": (0.0, 100.0, True, "Shoulder Pain and Disability Index 0-100"),
    "DASH_0_100": (0.0, 100.0, True, "Disabilities of the Arm, Shoulder and Hand 0-100"),
    "Constant_0_100": (0.0, 100.0, False, "Constant-Murley shoulder score, 100 best"),
    "degrees": (0.0, 360.0, False, "joint range of motion in degrees"),
    "percent": (0.0, 100.0, None, "a share of patients or a level in %"),
    "SMD": (-10.0, 10.0, None, "standardised mean difference (arm minus comparator, or later minus earlier)"),
    "risk_ratio": (0.0, 100.0, None, "risk ratio arm / comparator"),
    "days": (0.0, 36500.0, None, "time in days"),
}
"""Accepted ``instrument`` tokens: (scale_min, scale_max, higher_is_worse, meaning). A level or a
proportion must lie within [scale_min, scale_max]; a difference or change within +/- the range."""

INTERVALS = ("95% CI", "95% CI derived", "range reported")
"""``95% CI``: as reported (signs may be converted, see ``derivation``); ``95% CI derived``: computed
here from the reported counts or mean, SD and n; ``range reported``: the source gives a range only."""

VERIFIED = ("yes", "partial", "no")

PUBLISHED_COLUMNS = (
    "id",
    "condition",
    "role",
    "tags",
    "quantity",
    "arm",
    "comparator",
    "day",
    "timing",
    "instrument",
    "estimate",
    "low",
    "high",
    "interval",
    "derivation",
    "n",
    "design",
    "source",
    "verified",
    "checked",
    "notes",
)
"""Columns of ``published.csv``, all required in the header and no others."""

INSTRUMENT_COLUMNS = (
    "condition",
    "instrument",
    "scale_min",
    "scale_max",
    "higher_is_worse",
    "unit",
    "mcid",
    "mcid_source",
    "verified",
    "notes",
)
"""Columns of ``instruments.csv``, all required in the header and no others."""

DERIVATION_TOLERANCE = 0.051
"""How far a stored estimate or bound may sit from its recomputed derivation (values are stored
rounded to one decimal)."""


# ---------------------------------------------------------------------------------------------------
# the derivation formulas (95 % intervals)

Z95 = 1.959963984540054


def wilson(k: float, n: float) -> tuple[float, float, float]:
    """Share ``k/n`` in % with its Wilson score 95 % interval."""
    p = k / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return 100 * p, 100 * (centre - half), 100 * (centre + half)


def newcombe(k1: float, n1: float, k2: float, n2: float) -> tuple[float, float, float]:
    """Difference of shares ``k1/n1 - k2/n2`` in percentage points with Newcombe's hybrid score
    95 % interval (method 10: Wilson intervals of each share combined)."""
    p1, l1, u1 = (v / 100 for v in wilson(k1, n1))
    p2, l2, u2 = (v / 100 for v in wilson(k2, n2))
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return 100 * d, 100 * low, 100 * high


def mean_t(mean: float, sd: float, n: float) -> tuple[float, float, float]:
    """A mean with its 95 % interval ``mean +/- t(0.975, n-1) sd / sqrt(n)`` (small samples)."""
    from scipy.stats import t

    half = float(t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def mean_z(mean: float, sd: float, n: float) -> tuple[float, float, float]:
    """A mean with its 95 % interval ``mean +/- 1.96 sd / sqrt(n)``."""
    half = Z95 * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def diff_z(m1: float, sd1: float, n1: float, m2: float, sd2: float, n2: float) -> tuple[float, float, float]:
    """Difference of two independent means with ``+/- 1.96 sqrt(sd1^2/n1 + sd2^2/n2)``."""
    d = m1 - m2
    half = Z95 * math.sqrt(sd1**2 / n1 + sd2**2 / n2)
    return d, d - half, d + half


def scaled(value: float, low: float, high: float, factor: float) -> tuple[float, float, float]:
    """A reported value and interval multiplied by ``factor`` (a sign change with -1, a change of
    scale, a share of a baseline mean with 100/baseline); the bounds are re-ordered if needed."""
    a, b = low * factor, high * factor
    return value * factor, min(a, b), max(a, b)


DERIVATIONS = {f.__name__: f for f in (wilson, newcombe, mean_t, mean_z, diff_z, scaled)}
_CALL = re.compile(r"^\s*([a-z_]+)\((.*)\)\s*$")


def derive(expression: str) -> tuple[float, float, float]:
    """Evaluate a ``derivation`` expression such as ``newcombe(29,47,15,47)`` (no other code runs).

    Returns
    -------
    (estimate, low, high)

    Raises
    ------
    ValueError
        An unknown function, a non-numeric argument or the wrong number of arguments.
    """
    m = _CALL.match(expression)
    if not m or m.group(1) not in DERIVATIONS:
        raise ValueError(f"expected one of {', '.join(f'{k}(...)' for k in DERIVATIONS)}")
    try:
        args = [float(a) for a in m.group(2).split(",")]
    except ValueError:
        raise ValueError("arguments must be numbers separated by commas") from None
    try:
        return DERIVATIONS[m.group(1)](*args)
    except TypeError:
        raise ValueError(f"wrong number of arguments for {m.group(1)}") from None
    except (ZeroDivisionError, ValueError) as exc:
        raise ValueError(f"cannot evaluate: {exc}") from None


# ---------------------------------------------------------------------------------------------------
# reading and validation


def _evidence_dir() -> Path:
    return data_dir() / "evidence"


def _fail(file, line, column, expected, got):
    raise ValueError(f"{file}: line {line}: column '{column}': expected {expected}, got {got!r}")


def _read(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict]]:
    if not path.is_file():
        raise FileNotFoundError(f"evidence file not found: {path}")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        missing = [c for c in columns if c not in header]
        unknown = [c for c in header if c not in columns]
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"missing column(s) {', '.join(missing)}")
            if unknown:
                parts.append(f"unknown column(s) {', '.join(unknown)}")
            raise ValueError(f"{path}: header: {'; '.join(parts)}; accepted: {', '.join(columns)}")
        rows = []
        for row in reader:
            if None in row:  # more fields than the header
                raise ValueError(f"{path}: line {reader.line_num}: more fields than columns in the header")
            rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
    return rows


def _number(text, file, line, column, required=True, integer=False, minimum=None):
    if not text:
        if required:
            _fail(file, line, column, "a number", text)
        return None
    try:
        value = float(text)
    except ValueError:
        _fail(file, line, column, "an integer" if integer else "a number", text)
    if not math.isfinite(value):
        _fail(file, line, column, "a finite number", text)
    if integer and value != int(value):
        _fail(file, line, column, "a whole number", text)
    if minimum is not None and value < minimum:
        _fail(file, line, column, f"a number >= {minimum:g}", text)
    return int(value) if integer else value


def _arm_names() -> set[str]:
    from ptsim.analysis.calibrate import load_arms

    return set(load_arms())


def _parse_identity(row: dict, file, line: int, conditions, arms) -> tuple[str, ...]:
    """Check what a row is (id, condition, role, tags, quantity, arms); return its tags."""
    rid = row["id"]
    if not rid or not rid.replace("_", "").isalnum():
        _fail(file, line, "id", "an identifier (letters, digits, underscores)", rid)
    if row["condition"] not in conditions:
        _fail(file, line, "condition", f"one of {', '.join(conditions)}", row["condition"])
    if row["role"] not in ROLES:
        _fail(file, line, "role", f"one of {', '.join(ROLES)}", row["role"])
    tags = tuple(t.strip() for t in row["tags"].split(";") if t.strip())
    for t in tags:
        if t not in TAGS:
            _fail(file, line, "tags", f"';'-separated tags from {', '.join(TAGS)}", row["tags"])
    if row["quantity"] not in QUANTITIES:
        _fail(file, line, "quantity", f"one of {', '.join(QUANTITIES)}", row["quantity"])
    needs_comparator = QUANTITIES[row["quantity"]]
    if row["arm"] not in arms:
        _fail(file, line, "arm", "a standard plan name or an arm of arms.toml", row["arm"])
    if needs_comparator and row["comparator"] not in arms:
        _fail(
            file,
            line,
            "comparator",
            f"an arm (quantity {row['quantity']} compares two arms)",
            row["comparator"],
        )
    if not needs_comparator and row["comparator"]:
        _fail(file, line, "comparator", f"empty for quantity {row['quantity']}", row["comparator"])
    return tags


def _scale_bounds(quantity: str, instrument: str) -> tuple[float, float]:
    """The range a row's interval must lie in: the instrument's scale, or its width for a difference."""
    lo_s, hi_s, _, _ = INSTRUMENTS[instrument]
    if quantity in ("within_arm_level", "proportion", "time_to_event"):
        return lo_s, hi_s
    if quantity == "percent_of_baseline":
        return 0.0, 1000.0
    if quantity == "ratio":
        return 0.0, hi_s
    return -(hi_s - lo_s), hi_s - lo_s


def _parse_interval(row: dict, file, line: int) -> tuple[float, float, float]:
    """Check a row's instrument, estimate and interval (and its derivation); return them."""
    if row["instrument"] not in INSTRUMENTS:
        _fail(file, line, "instrument", f"one of {', '.join(INSTRUMENTS)}", row["instrument"])
    est = _number(row["estimate"], file, line, "estimate")
    low = _number(row["low"], file, line, "low")
    high = _number(row["high"], file, line, "high")
    if low > high:
        _fail(file, line, "low", f"low <= high ({high:g})", row["low"])
    if not low <= est <= high or low == high:
        _fail(
            file,
            line,
            "estimate",
            f"low <= estimate <= high with low < high ({low:g}, {high:g})",
            row["estimate"],
        )
    bounds = _scale_bounds(row["quantity"], row["instrument"])
    if low < bounds[0] or high > bounds[1]:
        _fail(
            file,
            line,
            "low/high",
            f"an interval within [{bounds[0]:g}, {bounds[1]:g}] for {row['quantity']} on {row['instrument']}",
            (low, high),
        )
    if row["interval"] not in INTERVALS:
        _fail(file, line, "interval", f"one of {', '.join(INTERVALS)}", row["interval"])
    if row["interval"] == "95% CI derived" and not row["derivation"]:
        _fail(
            file,
            line,
            "derivation",
            "the formula of a derived interval, e.g. wilson(40,45)",
            row["derivation"],
        )
    if row["derivation"]:
        try:
            d_est, d_low, d_high = derive(row["derivation"])
        except ValueError as exc:
            _fail(file, line, "derivation", str(exc), row["derivation"])
        for col, stored, computed in (("estimate", est, d_est), ("low", low, d_low), ("high", high, d_high)):
            if abs(stored - computed) > DERIVATION_TOLERANCE:
                _fail(file, line, col, f"{computed:.2f} as computed by {row['derivation']}", row[col])
    return est, low, high


def _check_provenance(row: dict, file, line: int) -> None:
    """Check where a row comes from: design, timing, source, what was checked and verified, notes."""
    if row["design"] not in DESIGNS:
        _fail(file, line, "design", f"one of {', '.join(DESIGNS)}", row["design"])
    for col in ("timing", "source", "checked"):
        if not row[col]:
            _fail(file, line, col, "a non-empty text", row[col])
    if row["verified"] not in VERIFIED:
        _fail(file, line, "verified", f"one of {', '.join(VERIFIED)}", row["verified"])
    if row["role"] == "held_out" and not row["notes"]:
        _fail(file, line, "notes", "the reason the result is held out", row["notes"])
    if row["role"] == "known_gap" and not row["notes"]:
        _fail(file, line, "notes", "the reason the condition cannot represent the result", row["notes"])


def _parse_published(row: dict, file, line: int, conditions, arms) -> dict:
    """One row of ``published.csv`` checked, with its numbers parsed (the checks in column order)."""
    tags = _parse_identity(row, file, line, conditions, arms)
    day = _number(row["day"], file, line, "day", integer=True, minimum=0)
    est, low, high = _parse_interval(row, file, line)
    n = _number(row["n"], file, line, "n", required=False, integer=True, minimum=1)
    _check_provenance(row, file, line)
    out = dict(row)
    out.update(tags=tags, day=day, estimate=est, low=low, high=high, n=n, line=line)
    return out


def published_targets(condition: str | None = None, role: str | None = None, path: str | Path | None = None):
    """The published results of ``data/evidence/published.csv`` as a validated table.

    Parameters
    ----------
    condition : str, optional
        Keep only this shipped condition's rows.
    role : {'fit', 'held_out', 'known_gap'}, optional
        Keep only rows calibration may fit, or only the held-out ones.
    path : str or Path, optional
        Another CSV file in the same format (tests).

    Returns
    -------
    pandas.DataFrame
        One row a result, the columns of :data:`PUBLISHED_COLUMNS` (``tags`` a tuple, ``day`` an
        int in days from the start of care, ``estimate``/``low``/``high`` floats in the
        instrument's units, ``n`` an int or None) plus ``line`` (the line in the file).

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        An unknown or missing column, a bad number, low > high, an estimate outside its interval, a
        derivation that does not reproduce the stored numbers, an unknown condition, arm, role,
        tag, quantity or instrument, a repeated id: the message names the file, line and column.
        Also an unknown ``condition`` or ``role`` argument.
    """
    import pandas as pd

    conditions = list_conditions()
    if condition is not None and condition not in conditions:
        raise ValueError(f"condition: unknown {condition!r}; accepted: {', '.join(conditions)}")
    if role is not None and role not in ROLES:
        raise ValueError(f"role: unknown {role!r}; accepted: {', '.join(ROLES)}")
    file = Path(path) if path is not None else _evidence_dir() / "published.csv"
    arms = _arm_names()
    rows: list[dict] = []
    seen: dict[str, int] = {}  # key -> line it is on
    for line, row in _read(file, PUBLISHED_COLUMNS):
        parsed = _parse_published(row, file, line, conditions, arms)
        if parsed["id"] in seen:
            _fail(
                file,
                line,
                "id",
                f"a unique id ({parsed['id']!r} is already on line {seen[parsed['id']]})",
                parsed["id"],
            )
        seen[parsed["id"]] = line
        rows.append(parsed)
    frame = pd.DataFrame(rows, columns=[*PUBLISHED_COLUMNS, "line"])
    if condition is not None:
        frame = frame[frame["condition"] == condition]
    if role is not None:
        frame = frame[frame["role"] == role]
    return frame.reset_index(drop=True)


def instruments(path: str | Path | None = None):
    """Each shipped condition's patient-reported instrument from ``data/evidence/instruments.csv``.

    Returns
    -------
    pandas.DataFrame
        One row a condition: ``condition``, ``instrument`` (a token of :data:`INSTRUMENTS`),
        ``scale_min``/``scale_max`` (floats, in ``unit``), ``higher_is_worse`` (bool), ``unit``,
        ``mcid`` (float, in ``unit``), ``mcid_source``, ``verified``, ``notes``.

    Raises
    ------
    FileNotFoundError, ValueError
        As :func:`published_targets`; also a condition listed twice or missing, a range that
        differs from the instrument token's, or an MCID outside (0, scale_max - scale_min).
    """
    import pandas as pd

    conditions = list_conditions()
    file = Path(path) if path is not None else _evidence_dir() / "instruments.csv"
    rows: list[dict] = []
    seen: dict[str, int] = {}  # key -> line it is on
    for line, row in _read(file, INSTRUMENT_COLUMNS):
        if row["condition"] not in conditions:
            _fail(file, line, "condition", f"one of {', '.join(conditions)}", row["condition"])
        if row["condition"] in seen:
            _fail(
                file,
                line,
                "condition",
                f"one row per condition (also on line {seen[row['condition']]})",
                row["condition"],
            )
        seen[row["condition"]] = line
        if row["instrument"] not in INSTRUMENTS or INSTRUMENTS[row["instrument"]][2] is None:
            accepted = [k for k, v in INSTRUMENTS.items() if v[2] is not None]
            _fail(file, line, "instrument", f"one of {', '.join(accepted)}", row["instrument"])
        lo, hi, worse, _ = INSTRUMENTS[row["instrument"]]
        smin = _number(row["scale_min"], file, line, "scale_min")
        smax = _number(row["scale_max"], file, line, "scale_max")
        if (smin, smax) != (lo, hi):
            _fail(
                file, line, "scale_min/scale_max", f"({lo:g}, {hi:g}) for {row['instrument']}", (smin, smax)
            )
        if row["higher_is_worse"] not in ("true", "false"):
            _fail(file, line, "higher_is_worse", "true or false", row["higher_is_worse"])
        if (row["higher_is_worse"] == "true") != worse:
            _fail(
                file,
                line,
                "higher_is_worse",
                f"{str(worse).lower()} for {row['instrument']}",
                row["higher_is_worse"],
            )
        mcid = _number(row["mcid"], file, line, "mcid")
        if not 0 < mcid < smax - smin:
            _fail(file, line, "mcid", f"a number in (0, {smax - smin:g})", row["mcid"])
        for col in ("unit", "mcid_source"):
            if not row[col]:
                _fail(file, line, col, "a non-empty text", row[col])
        if row["verified"] not in VERIFIED:
            _fail(file, line, "verified", f"one of {', '.join(VERIFIED)}", row["verified"])
        rows.append(
            {
                **row,
                "scale_min": smin,
                "scale_max": smax,
                "higher_is_worse": row["higher_is_worse"] == "true",
                "mcid": mcid,
            }
        )
    missing = [c for c in conditions if c not in seen]
    if missing:
        raise ValueError(
            f"{file}: no row for condition(s) {', '.join(missing)}; every shipped condition needs one"
        )
    return pd.DataFrame(rows, columns=list(INSTRUMENT_COLUMNS))
