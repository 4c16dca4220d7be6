"""Conditions: what is treated, its baseline, its natural history and how it responds.

A condition is a TOML file under ``data/conditions/``. Every number sits beside its source, and every
key carries its unit. A user adds a condition by adding a file (or passing a path); a malformed file
raises ``ValueError`` naming the file, the key and what was expected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from ptsim.core.parameters import PARAMETERS, TISSUES, check_parameter_set
from ptsim.core.questionnaires import MCID_KINDS, WEIGHTS, Questionnaire
from ptsim.core.techniques import MANUAL_THERAPY_TECHNIQUES
from ptsim.core.techniques import TABLE as TECHNIQUE_TABLE
from ptsim.inputs.paths import data_dir
from ptsim.inputs.toml_io import TomlReader, check_keys, describe, parse_toml, read_toml

# Per-patient baseline quantities sampled for a cohort, with the distribution family each uses.
BASELINE_KEYS = {
    "rom_deg": "truncated normal",
    "pain_nprs": "truncated normal",
    "strength_pct_normal": "truncated normal",
    "manual_responsiveness": "log-normal with mean 1",
    "exercise_responsiveness": "log-normal with mean 1",
    "home_adherence_prob": "beta",
}
NATURAL_HISTORY_KEYS = {
    "pain_end_frac": "share of the baseline pain set point that the untreated course tends to",
    "pain_tau_days": "time constant of that course (inf: no drift)",
    "rom_deficit_end_frac": "share of the baseline ROM deficit that the untreated course tends to",
    "rom_tau_days": "time constant of that course (inf: no drift)",
    "setback_hazard_per_day": "daily hazard of a setback after discharge at baseline capacity",
}

NATURAL_HISTORY_SD_KEYS = ("pain_end_frac", "rom_deficit_end_frac")
"""Natural-history keys that may vary between patients (an ``sd`` beside the value; model v2)."""


@dataclass(frozen=True)
class Distribution:
    """A baseline distribution: mean, SD and (for truncated normals) bounds, with its source."""

    mean: float
    sd: float
    low: float = -math.inf
    high: float = math.inf
    source: str = "assumption"


@dataclass(frozen=True)
class Condition:
    """A musculoskeletal condition as ptsim models it.

    Attributes
    ----------
    name : str
        Identifier, e.g. ``"knee_oa"``.
    title, description : str
        Human-readable name and one-line description.
    joint, rom_measure : str
        The joint and the movement whose range is modelled, e.g. ``"knee flexion"``.
    rom_normal_deg : float
        Normal range of that movement (degrees); the anatomical maximum of the model.
    tissue_shares : dict[str, float]
        Share of the baseline ROM deficit held by each tissue (capsule, muscle_tendon, fascia); sums
        to 1.
    baseline : dict[str, Distribution]
        Distributions of the per-patient quantities (``BASELINE_KEYS``).
    natural_history : dict[str, float]
        The untreated course (``NATURAL_HISTORY_KEYS``).
    manual_therapy : dict[str, tuple[float, int | None]]
        Indicated techniques: share of the manual minutes and grade (1-4; None for a technique the
        techniques table marks ungraded) for each.
    parameters : dict[str, float]
        Every model parameter (``ptsim.core.parameters.PARAMETERS``) with this condition's overrides.
    sources : dict[str, str]
        Source of every number in the file, by dotted key (calibrated values under
        ``calibrated.<name>``).
    calibration : dict or None
        The calibrated layer applied on top of the file (``data/calibrated/<name>.toml``): its
        date, evidence rows and the values it set, with the file's defaults; None if none.
    natural_history_sd : dict[str, float]
        Between-patient SD of a multiplier of the course's end shares (``pain_end_frac``,
        ``rom_deficit_end_frac``; an optional ``sd`` beside their value, 0-1): each patient's
        multiplier is drawn from a normal with mean 1 truncated to [0, 3] (the cohort columns
        ``natural_pain_course_factor``, ``natural_rom_course_factor``). 0 or absent: every patient
        follows the condition's course.
    scenario : str
        The parameter scenario loaded (``"evidence"`` or ``"premise"``; see :func:`load_condition`).
    questionnaire : Questionnaire or None
        The patient-reported questionnaire trials of this condition report (WOMAC, NDI, ...), with
        its scale, MCID and mapping from the model's state (the file's ``[questionnaire]`` table);
        None for a file without one.
    """

    name: str
    title: str
    description: str
    joint: str
    rom_measure: str
    rom_normal_deg: float
    tissue_shares: dict[str, float]
    baseline: dict[str, Distribution]
    natural_history: dict[str, float]
    manual_therapy: dict[str, tuple[float, int | None]]
    parameters: dict[str, float]
    sources: dict[str, str] = field(default_factory=dict)
    path: str | None = None
    calibration: dict | None = None
    natural_history_sd: dict[str, float] = field(default_factory=dict)
    scenario: str = "evidence"
    questionnaire: Questionnaire | None = None

    def with_parameters(self, **overrides: float) -> Condition:
        """A copy with some model parameters changed (for what-if runs and calibration).

        Raises
        ------
        ValueError
            If a name is not a model parameter, a value is outside its documented bounds, or the
            parameters together are degenerate (e.g. every function weight 0).
        """
        params = dict(self.parameters)
        for key, value in overrides.items():
            params[key] = _check_parameter(key, value, where="with_parameters")
        check_parameter_set(params, where="with_parameters")
        return replace(self, parameters=params)

    def __repr__(self) -> str:
        return (
            f"Condition({self.name!r}: {self.title}, {self.rom_measure} normal {self.rom_normal_deg:g} deg)"
        )


def _check_parameter(key, value, where):
    if key not in PARAMETERS:
        raise ValueError(
            f"{where}: unknown model parameter {key!r}; accepted names are listed in "
            "ptsim.core.parameters.PARAMETERS (e.g. 'consolidation_per_window_min')"
        )
    spec = PARAMETERS[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where}: parameter {key!r} must be a finite number, got {describe(value)}")
    if not spec.low <= value <= spec.high:
        raise ValueError(
            f"{where}: parameter {key!r} = {describe(value)} is outside its accepted range "
            f"[{spec.low:g}, {spec.high:g}]"
        )
    return float(value)


def conditions_dir() -> Path:
    """The folder of shipped condition files (inside the installed package)."""
    return data_dir() / "conditions"


def list_conditions() -> list[str]:
    """Names of the shipped conditions, sorted."""
    return sorted(p.stem for p in conditions_dir().glob("*.toml"))


SCENARIOS = ("evidence", "premise")
"""Named parameter scenarios: ``evidence`` (the calibrated layer: the posterior ensemble's member of
highest posterior, the default) and ``premise`` (the premise's claims: ``data/scenarios/premise.toml``)."""


def load_condition(
    name_or_path: str | Path, calibrated: bool = True, scenario: str = "evidence"
) -> Condition:
    """Load a shipped condition by name, or any condition file by path.

    Parameters
    ----------
    name_or_path : str or pathlib.Path
        A name from :func:`list_conditions` (e.g. ``"knee_oa"``) or a path to a TOML file.
    calibrated : bool
        Apply the calibrated layer ``data/calibrated/<name>.toml`` of a shipped condition on top of
        the condition file (default True). The shipped layers are written by the Bayesian calibration
        (``python -m ptsim.analysis.bayes <condition>``): the member of highest posterior of the
        condition's ensemble in ``data/ensembles/``, whose other members ``simulate(...,
        ensemble=...)`` draws. A condition file outside the shipped folder never gets a layer.
    scenario : {"evidence", "premise"}
        ``"evidence"`` (default): the file with its calibrated layer. ``"premise"``: the file
        without the calibrated layer, then the overlay ``data/scenarios/premise.toml`` -- transient
        manual relief only (lasting effect 0), consolidation on -- under which combined care beats
        either part and manual-only's advantage fades after discharge (DESIGN M5). Every overlay
        value is an assumption of the premise, and its source says so. A Condition passed in is
        returned as it is.

    Raises
    ------
    ValueError
        Unknown name or scenario, or a malformed file (the message names the file and the key).
    FileNotFoundError
        A path that does not exist.
    """
    if isinstance(name_or_path, Condition):
        return name_or_path
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {', '.join(map(repr, SCENARIOS))}, got {scenario!r}")
    if not isinstance(name_or_path, str | Path):
        raise ValueError(f"condition must be a name or a path, got {type(name_or_path).__name__}")
    text = str(name_or_path)
    is_path = isinstance(name_or_path, Path) or text.endswith(".toml") or "/" in text or "\\" in text
    if is_path:
        path = Path(name_or_path)
    else:
        path = conditions_dir() / f"{text}.toml"
        if not path.is_file():
            raise ValueError(
                f"unknown condition {text!r}; accepted: {', '.join(list_conditions())}, "
                "or a path to a .toml file"
            )
    cond = _condition_from_doc(read_toml(path, "condition file"), str(path))
    layer = calibrated_dir() / f"{cond.name}.toml"
    shipped_layer = calibrated and path.resolve().parent == conditions_dir().resolve() and layer.is_file()
    if scenario == "premise":
        return apply_scenario(cond, scenarios_dir() / "premise.toml", layer if shipped_layer else None)
    if shipped_layer:
        cond = apply_calibration(cond, layer)
    return cond


def scenarios_dir() -> Path:
    """The folder of scenario overlays (``data/scenarios``)."""
    return data_dir() / "scenarios"


SCENARIO_KEYS = ("name", "description", "calibrated_layer")
"""Accepted keys of a scenario overlay's ``[scenario]`` table."""


def apply_scenario(cond: Condition, path: str | Path, layer: str | Path | None = None) -> Condition:
    """Apply a scenario overlay: its ``[parameters]`` for every condition, then its
    ``[conditions.<name>]`` table for this one; each entry ``{ value = x, source = "..." }`` sets a
    model parameter (checked against its bounds). The ``[scenario]`` table names it (``name``, an
    optional ``description``) and says whether the calibrated ``layer`` goes under it
    (``calibrated_layer``, default false). Errors name the file and the key."""
    path = Path(path)
    r = TomlReader(read_toml(path, "scenario file"), str(path))
    r.keys("", ("scenario", "parameters", "conditions"))
    r.keys("scenario", SCENARIO_KEYS)
    name = r.text("scenario", "name")
    if "description" in r.table("scenario"):
        r.text("scenario", "description")
    under = r.table("scenario").get("calibrated_layer", False)
    if not isinstance(under, bool):
        r.fail("scenario.calibrated_layer", "true or false", under)
    if under and layer is not None and Path(layer).is_file():
        cond = apply_calibration(cond, layer)
    params = dict(cond.parameters)
    tables = [("parameters", r.table("parameters"))]
    specific = r.table("conditions", required=False).get(cond.name)
    if specific is not None:
        tables.append((f"conditions.{cond.name}", r.table(f"conditions.{cond.name}")))
    for table, entries in tables:
        for key in entries:
            if key not in PARAMETERS:
                r.fail(f"{table}.{key}", "a model parameter name (see ptsim.core.parameters.PARAMETERS)")
            spec = PARAMETERS[key]
            params[key] = r.sourced(table, key, spec.low, spec.high)
    check_parameter_set(params, where=str(path))
    sources = dict(cond.sources)
    sources.update({f"scenario.{name}.{k.split('.')[-1]}": v for k, v in r.sources.items()})
    return replace(cond, parameters=params, sources=sources, scenario=name)


def calibrated_dir() -> Path:
    """The folder of calibrated layers (``data/calibrated``)."""
    return data_dir() / "calibrated"


NATURAL_HISTORY_RANGES = {
    "pain_end_frac": (0.0, 1.0),
    "pain_tau_days": (1.0, math.inf),
    "rom_deficit_end_frac": (0.0, 1.0),
    "rom_tau_days": (1.0, math.inf),
    "setback_hazard_per_day": (0.0, 1.0),
}
"""Accepted range of each natural-history value. The end fractions stop at 1: an untreated course
that ends above the baseline would take pain above 10/10 and ROM below 0 for the worst baselines
(the model's invariants must hold for every patient the baseline distributions allow)."""

RESPONSIVENESS_MEAN_RANGE = (0.01, 10.0)
"""Accepted mean of the responsiveness multipliers; the cohort table accepts values up to 10."""


def baseline_ranges(rom_normal_deg: float) -> dict[str, dict[str, tuple[float, float]]]:
    """Accepted ``mean`` (and ``min``/``max``) and ``sd`` of each baseline distribution.

    The SD of a truncated normal is at most the width of the quantity's range: wider ones make
    scipy's truncated-normal quantiles leave their bounds (ROM 135.13 deg with a 135-deg maximum
    at SD 1e15). ``home_adherence_prob`` also needs ``sd < sqrt(mean (1 - mean))`` (a beta
    distribution) and a mean strictly inside (0, 1); a truncated normal with ``sd > 0`` needs
    ``min < max``.
    """
    return {
        "rom_deg": {"mean": (0.0, rom_normal_deg), "sd": (0.0, rom_normal_deg)},
        "pain_nprs": {"mean": (0.0, 10.0), "sd": (0.0, 10.0)},
        "strength_pct_normal": {"mean": (0.0, 200.0), "sd": (0.0, 200.0)},
        "manual_responsiveness": {"mean": RESPONSIVENESS_MEAN_RANGE, "sd": (0.0, 10.0)},
        "exercise_responsiveness": {"mean": RESPONSIVENESS_MEAN_RANGE, "sd": (0.0, 10.0)},
        "home_adherence_prob": {"mean": (0.0, 1.0), "sd": (0.0, 0.5)},
    }


def apply_calibration(cond: Condition, path: str | Path) -> Condition:
    """Apply a calibrated layer (TOML written by :func:`ptsim.calibrate.write_calibration`).

    Its ``[parameters]`` table sets model parameters or ``natural_history.<key>`` values; each
    gets the source ``calibrated.<name>`` naming the date and the evidence rows. Errors name the
    file and the key.
    """
    path = Path(path)
    r = TomlReader(read_toml(path, "calibrated layer"), str(path))
    r.keys("", ("calibration", "parameters", "residuals"))
    meta = r.table("calibration")
    date = r.text("calibration", "date")
    rows = meta.get("evidence_rows")
    if not isinstance(rows, list) or not all(isinstance(x, str) for x in rows):
        r.fail("calibration.evidence_rows", "a list of evidence target ids", rows)
    params, natural, defaults, sources = (
        dict(cond.parameters),
        dict(cond.natural_history),
        {},
        dict(cond.sources),
    )
    where = f"calibrated {date} (ptsim.calibrate; evidence rows: {', '.join(rows)})"
    for key, entry in r.table("parameters").items():
        full = f"parameters.{key}"
        if not isinstance(entry, dict) or "value" not in entry:
            r.fail(full, "{ value = <number>, default = <number>, low = ..., high = ... }", entry)
        check_keys(entry, ("value", "default", "low", "high"), r.filename, full)
        if key.startswith("natural_history."):
            nh_key = key.split(".", 1)[1]
            if nh_key not in NATURAL_HISTORY_RANGES:
                r.fail(full, f"natural_history.<{'|'.join(NATURAL_HISTORY_RANGES)}>")
            lo, hi = NATURAL_HISTORY_RANGES[nh_key]
            defaults[key] = natural[nh_key]
            natural[nh_key] = r.number(f"{full}.value", entry["value"], lo, hi)
        elif key in PARAMETERS:
            spec = PARAMETERS[key]
            defaults[key] = params[key]
            params[key] = r.number(f"{full}.value", entry["value"], spec.low, spec.high)
        else:
            r.fail(full, "a model parameter name or natural_history.<key>")
        sources[f"calibrated.{key}"] = where
    check_parameter_set(params, where=str(path))
    info = {
        "file": str(path),
        "date": date,
        "evidence_rows": list(rows),
        "values": {
            k: (natural[k.split(".", 1)[1]] if k.startswith("natural_history.") else params[k])
            for k in defaults
        },
        "defaults": defaults,
    }
    return replace(cond, parameters=params, natural_history=natural, sources=sources, calibration=info)


_TABLES = (
    "condition",
    "tissue_shares",
    "baseline",
    "natural_history",
    "manual_therapy",
    "response",
    "questionnaire",
)
_CONDITION_KEYS = ("name", "title", "description", "joint", "rom_measure", "rom_normal_deg")


def parse_condition(text: str | bytes, filename: str = "<string>") -> Condition:
    """Parse and validate the TOML text of a condition (see ``docs/model.md`` for the schema).

    Unknown tables and keys are errors naming the file, the table and the closest accepted key.
    """
    return _condition_from_doc(parse_toml(text, filename), filename)


def _tissue_shares(r: TomlReader) -> dict[str, float]:
    """The ``[tissue_shares]`` table: each tissue's share of the baseline ROM deficit (summing to 1)."""
    shares = {t: r.sourced("tissue_shares", t, 0, 1) for t in TISSUES}
    extra = set(r.table("tissue_shares")) - set(TISSUES)
    if extra:
        r.fail(f"tissue_shares.{sorted(extra)[0]}", f"one of {', '.join(TISSUES)}")
    if abs(sum(shares.values()) - 1) > 1e-6:
        r.fail("tissue_shares", "shares summing to 1", round(sum(shares.values()), 6))
    return shares


def _baseline(r: TomlReader, rom_normal: float) -> dict[str, Distribution]:
    """The ``[baseline]`` table: each baseline quantity's distribution in the cohort."""
    baseline = {}
    ranges = baseline_ranges(rom_normal)
    for key in BASELINE_KEYS:
        full = f"baseline.{key}"
        entry = r.table("baseline").get(key)
        truncated = BASELINE_KEYS[key] == "truncated normal"
        if not isinstance(entry, dict):
            r.fail(full, '{ mean = ..., sd = ..., source = "..." } (min/max for bounded quantities)', entry)
        r.keys(full, ("mean", "sd", "min", "max", "source") if truncated else ("mean", "sd", "source"))
        r.source(full, entry)
        lo, hi = ranges[key]["mean"]
        mean = r.number(f"{full}.mean", entry.get("mean"), lo, hi)
        sd = r.number(f"{full}.sd", entry.get("sd"), 0, math.inf)
        if key == "home_adherence_prob" and 0 < mean < 1 and sd**2 >= mean * (1 - mean):
            r.fail(f"{full}.sd", f"an SD below sqrt(mean*(1-mean)) = {math.sqrt(mean * (1 - mean)):.3f}", sd)
        sd = r.number(f"{full}.sd", sd, *ranges[key]["sd"])
        low = r.number(f"{full}.min", entry.get("min", lo), lo, hi) if truncated else -math.inf
        high = r.number(f"{full}.max", entry.get("max", hi), lo, hi) if truncated else math.inf
        if truncated and not low <= mean <= high:
            r.fail(full, "min <= mean <= max", (low, mean, high))
        if truncated and sd > 0 and not low < high:
            r.fail(full, "min < max when sd > 0 (or sd = 0 for a fixed value)", (low, high))
        if key == "home_adherence_prob" and not 0 < mean < 1:
            r.fail(f"{full}.mean", "a probability strictly between 0 and 1", mean)
        baseline[key] = Distribution(mean, sd, low, high, entry["source"])
    return baseline


def _natural_history(r: TomlReader) -> tuple[dict[str, float], dict[str, float]]:
    """The ``[natural_history]`` table: the untreated course, and the between-patient SDs of its
    multipliers (model v2; only on ``NATURAL_HISTORY_SD_KEYS``)."""
    natural = {
        k: r.sourced(
            "natural_history",
            k,
            *NATURAL_HISTORY_RANGES[k],
            allow_inf=k.endswith("tau_days"),
            extra=("sd",) if k in NATURAL_HISTORY_SD_KEYS else (),
        )
        for k in NATURAL_HISTORY_KEYS
    }
    natural_sd = {
        k: r.number(f"natural_history.{k}.sd", r.table("natural_history")[k]["sd"], 0, 1)
        for k in NATURAL_HISTORY_SD_KEYS
        if "sd" in r.table("natural_history")[k]
    }
    return natural, natural_sd


def _manual_therapy(r: TomlReader) -> dict[str, tuple[float, int | None]]:
    """The ``[manual_therapy]`` table: the indicated techniques' shares (summing to 1) and grades."""
    manual = {}
    for tech, entry in r.table("manual_therapy").items():
        full = f"manual_therapy.{tech}"
        if tech not in MANUAL_THERAPY_TECHNIQUES:
            accepted = ", ".join(MANUAL_THERAPY_TECHNIQUES)
            r.fail(full, f"one of {accepted} (manual_therapy = true in the techniques table)")
        graded = TECHNIQUE_TABLE[tech].graded
        if not isinstance(entry, dict):
            r.fail(full, f'{{ share = <0-1>, {"grade = <1-4>, " if graded else ""}source = "..." }}', entry)
        r.keys(full, ("share", "grade", "source") if graded else ("share", "source"))
        r.source(full, entry)
        share = r.number(f"{full}.share", entry.get("share"), 0, 1)
        grade = entry.get("grade")
        if graded and (grade not in (1, 2, 3, 4) or isinstance(grade, bool)):
            r.fail(f"{full}.grade", "a mobilization grade 1, 2, 3 or 4", grade)
        manual[tech] = (share, grade)
    if not manual:
        r.fail("manual_therapy", "at least one indicated technique")
    if abs(sum(s for s, _ in manual.values()) - 1) > 1e-6:
        r.fail("manual_therapy", "shares summing to 1")
    return manual


def _response(r: TomlReader, filename: str) -> dict[str, float]:
    """Every model parameter, with the ``[response]`` table's overrides."""
    params = {k: p.default for k, p in PARAMETERS.items()}
    for key in r.table("response", required=False):
        if key not in PARAMETERS:
            r.fail(f"response.{key}", "a model parameter name (see ptsim.core.parameters.PARAMETERS)")
        spec = PARAMETERS[key]
        params[key] = r.sourced("response", key, spec.low, spec.high)
    check_parameter_set(params, where=f"{filename}: table [response]")
    return params


def _condition_from_doc(doc: dict, filename: str) -> Condition:
    """A :class:`Condition` from a parsed condition file, every table checked (names the key at fault)."""
    r = TomlReader(doc, filename)
    name = r.text("condition", "name")
    if not name.isidentifier():
        r.fail("condition.name", "a lower-case identifier such as 'knee_oa'", name)
    rom_normal = r.sourced("condition", "rom_normal_deg", 1, 360)
    shares = _tissue_shares(r)
    baseline = _baseline(r, rom_normal)
    natural, natural_sd = _natural_history(r)
    manual = _manual_therapy(r)
    params = _response(r, filename)

    r.keys("", _TABLES)
    r.keys("condition", _CONDITION_KEYS)
    r.keys("baseline", BASELINE_KEYS)
    r.keys("natural_history", NATURAL_HISTORY_KEYS)
    questionnaire = _questionnaire(r) if "questionnaire" in doc else None

    return Condition(
        name=name,
        title=r.text("condition", "title"),
        description=r.text("condition", "description"),
        joint=r.text("condition", "joint"),
        rom_measure=r.text("condition", "rom_measure"),
        rom_normal_deg=rom_normal,
        tissue_shares=shares,
        baseline=baseline,
        natural_history=natural,
        manual_therapy=manual,
        parameters=params,
        sources=r.sources,
        path=filename,
        natural_history_sd=natural_sd,
        questionnaire=questionnaire,
    )


QUESTIONNAIRE_KEYS = (
    "name",
    "title",
    "scale_min",
    "scale_max",
    "higher_is_worse",
    *(f"mcid_{k}" for k in MCID_KINDS),
    *(f"weight_{w}" for w in WEIGHTS),
)
"""Accepted keys of a condition's ``[questionnaire]`` table."""


def _questionnaire(r: TomlReader) -> Questionnaire:
    """The ``[questionnaire]`` table: name, title, scale, direction, MCID and mapping weights."""
    table = r.table("questionnaire")
    r.keys("questionnaire", QUESTIONNAIRE_KEYS)
    name = r.text("questionnaire", "name")
    if not (name.isidentifier() and name.islower()):
        r.fail("questionnaire.name", "a lower-case identifier such as 'womac'", name)
    low = r.sourced("questionnaire", "scale_min")
    high = r.sourced("questionnaire", "scale_max")
    if not high > low:
        r.fail("questionnaire.scale_max", f"a number above scale_min ({low:g})", high)
    worse = table.get("higher_is_worse")
    if not isinstance(worse, bool):
        r.fail("questionnaire.higher_is_worse", "true or false", worse)
    given = [k for k in MCID_KINDS if f"mcid_{k}" in table]
    if len(given) != 1:
        r.fail("questionnaire", "exactly one of mcid_points or mcid_percent_of_baseline", given or None)
    kind = given[0]
    mcid_high = (high - low) if kind == "points" else 100.0
    mcid = r.sourced("questionnaire", f"mcid_{kind}", 0, mcid_high)
    if mcid == 0:
        r.fail(f"questionnaire.mcid_{kind}.value", "a number > 0", mcid)
    weights = {w: r.sourced("questionnaire", f"weight_{w}", 0, 1) for w in WEIGHTS}
    if abs(sum(weights.values()) - 1) > 1e-6:
        r.fail(
            "questionnaire", "weight_pain + weight_rom + weight_strength summing to 1", sum(weights.values())
        )
    sources = {k.split(".", 1)[1]: v for k, v in r.sources.items() if k.startswith("questionnaire.")}
    return Questionnaire(
        name=name,
        title=r.text("questionnaire", "title"),
        scale_min=low,
        scale_max=high,
        higher_is_worse=worse,
        mcid=mcid,
        mcid_kind=kind,
        weight_pain=weights["pain"],
        weight_rom=weights["rom"],
        weight_strength=weights["strength"],
        sources=sources,
    )
