"""The techniques table: every hands-on technique the model knows, read from ``techniques.toml``.

A technique is one table in ``ptsim/core/techniques.toml``: its place in the model (the tissues it
acts on, whether it takes a Maitland grade, whether a condition's generic manual therapy may use it)
and its own defaults with their sources. :mod:`ptsim.core.parameters` builds the technique parameters
from it, and every other layer asks this module instead of naming techniques, so a new technique
needs no code edit (``docs/architecture.md``, "How to add a technique").
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import NoReturn

TABLE_PATH = Path(__file__).with_name("techniques.toml")
"""The table this module reads."""

TISSUES = ("capsule", "muscle_tendon", "fascia")
"""Tissues whose restrictions make up the durable ROM deficit (DESIGN M10)."""

DEFAULT_FIELDS = (
    "window_max_frac",
    "relief_max_frac",
    "pain_drop_frac",
    "remodel_per_min",
    "lasting_drop_frac",
)
"""Per-technique defaults; the model parameter is ``<technique>_<field>``."""

# Maitland grades I-IV: small-amplitude grades I-II are used for pain, large end-range grades III-IV
# for stiffness. Assumption: the factors scale a technique's window (ROM) and relief by grade.
GRADE_ROM_FACTOR = (0.3, 0.6, 0.9, 1.0)
GRADE_RELIEF_FACTOR = (1.0, 1.0, 0.85, 0.7)

_KEYS = ("label", "description", "graded", "manual_therapy", "targets", *DEFAULT_FIELDS)


@dataclass(frozen=True)
class Default:
    """One default of a technique and where it comes from."""

    value: float
    source: str


@dataclass(frozen=True)
class Technique:
    """One hands-on technique.

    Attributes
    ----------
    name : str
        The key of its table, as plans and condition files spell it.
    label : str
        How apps and docs name it, in lower case ("joint mobilization").
    description : str
        What it is, in a sentence.
    graded : bool
        Whether it takes a Maitland grade I-IV.
    manual_therapy : bool
        Whether a condition's ``[manual_therapy]`` mix may name it.
    targets : mapping of str to float
        Share of its effect on each tissue of :data:`TISSUES` (0-1).
    targets_source : str
        Where the targets come from.
    defaults : mapping of str to Default
        Its value of each field of :data:`DEFAULT_FIELDS`, with the source.
    """

    name: str
    label: str
    description: str
    graded: bool
    manual_therapy: bool
    targets: MappingProxyType
    targets_source: str
    defaults: MappingProxyType


def _fail(where: str, accepted: str, got: object = None) -> NoReturn:
    tail = "" if got is None else f", got {got!r}"
    raise ValueError(f"{TABLE_PATH.name}: {where} must be {accepted}{tail}")


def _source(where: str, entry: dict) -> str:
    source = entry.get("source")
    if not isinstance(source, str) or not source.strip():
        _fail(f"{where}.source", 'a non-empty text (a citation, or "assumption")', source)
    return source


def _share(where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        _fail(where, "a number in [0, 1]", value)
    return float(value)


def parse_technique(name: str, entry: object) -> Technique:
    """Check one table of ``techniques.toml`` and return its :class:`Technique`.

    Raises
    ------
    ValueError
        Naming the technique and key, and what is accepted.
    """
    if not name.isidentifier() or not name.islower():
        _fail(f"[{name}]", "a lower-case name of letters, digits and underscores")
    if not isinstance(entry, dict):
        _fail(f"[{name}]", "a table", entry)
    unknown = sorted(set(entry) - set(_KEYS))
    missing = [k for k in _KEYS if k not in entry]
    if unknown:
        _fail(f"[{name}] keys", f"among {', '.join(_KEYS)} (unknown: {', '.join(unknown)})")
    if missing:
        _fail(f"[{name}]", f"given {', '.join(missing)} (nothing is inherited from another technique)")
    for flag in ("graded", "manual_therapy"):
        if not isinstance(entry[flag], bool):
            _fail(f"{name}.{flag}", "true or false", entry[flag])
    for text in ("label", "description"):
        if not isinstance(entry[text], str) or not entry[text].strip():
            _fail(f"{name}.{text}", "a non-empty text", entry[text])
    targets = entry["targets"]
    if not isinstance(targets, dict) or set(targets) != {*TISSUES, "source"}:
        _fail(f"{name}.targets", f'{{ {" = <0-1>, ".join(TISSUES)} = <0-1>, source = "..." }}', targets)
    defaults = {}
    for field in DEFAULT_FIELDS:
        value = entry[field]
        if not isinstance(value, dict) or set(value) != {"value", "source"}:
            _fail(f"{name}.{field}", '{ value = <number>, source = "..." }', value)
        number = value["value"]
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            _fail(f"{name}.{field}.value", "a finite number", number)
        defaults[field] = Default(float(number), _source(f"{name}.{field}", value))
    return Technique(
        name=name,
        label=entry["label"],
        description=entry["description"],
        graded=entry["graded"],
        manual_therapy=entry["manual_therapy"],
        targets=MappingProxyType({t: _share(f"{name}.targets.{t}", targets[t]) for t in TISSUES}),
        targets_source=_source(f"{name}.targets", targets),
        defaults=MappingProxyType(defaults),
    )


def load_table(path: Path = TABLE_PATH) -> dict[str, Technique]:
    """Read and check a techniques table, in its order."""
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    if not doc:
        _fail("the table", "at least one technique")
    return {name: parse_technique(name, entry) for name, entry in doc.items()}


TABLE: MappingProxyType = MappingProxyType(load_table())
"""Every technique, by name, in the table's order."""

TECHNIQUES: tuple[str, ...] = tuple(TABLE)
"""Hands-on techniques, in the table's order."""

GRADED_TECHNIQUES: tuple[str, ...] = tuple(t for t in TECHNIQUES if TABLE[t].graded)
"""Techniques that take a Maitland grade."""

MANUAL_THERAPY_TECHNIQUES: tuple[str, ...] = tuple(t for t in TECHNIQUES if TABLE[t].manual_therapy)
"""Techniques a condition's generic manual therapy may use."""

TECHNIQUE_TARGETS: dict[str, dict[str, float]] = {t: dict(TABLE[t].targets) for t in TECHNIQUES}
"""Share of each technique's effect on each tissue."""


def grade_factors(technique: str, grade: int | None) -> tuple[float, float]:
    """The factors by which a Maitland ``grade`` (1-4) scales a technique's window (ROM) and relief.

    A technique the table marks ungraded (``graded = false``) takes no grade: its defaults are its full
    effect, so both factors are 1 and ``grade`` must be None or is not read.
    """
    if not TABLE[technique].graded:
        return 1.0, 1.0
    if grade not in (1, 2, 3, 4):
        raise ValueError(f"{technique}: grade must be a Maitland grade 1, 2, 3 or 4, got {grade!r}")
    return GRADE_ROM_FACTOR[grade - 1], GRADE_RELIEF_FACTOR[grade - 1]
