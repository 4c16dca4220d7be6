"""The names ptsim uses for its outcomes: one table, read by the engine, analyses, lessons and CLI.

Every place that lists, labels or checks an outcome reads :data:`OUTCOMES` (in the engine's order:
ROM, pain, strength, function), so a new outcome or a renamed unit is one edit here.

>>> OUTCOMES["pain"].label
'Pain (NPRS 0-10)'
>>> [o.column for o in OUTCOMES.values()]
['rom_deg', 'pain_nprs', 'strength_pct_normal', 'function_0_100']
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """One recorded outcome.

    Attributes
    ----------
    name : str
        Short name used in code and on the command line (``"pain"``).
    unit : str
        Unit or scale (``"NPRS 0-10"``).
    label : str
        Axis or table label with the unit (``"Pain (NPRS 0-10)"``).
    column : str
        Column of patient-level data, unit in the name (``"pain_nprs"``).
    low, high : float or None
        The scale's bounds (None: no fixed bound; ROM's top is the joint's normal range and
        strength may exceed normal).
    lower_is_better : bool
        True when a fall is an improvement (pain).
    """

    name: str
    unit: str
    label: str
    column: str
    low: float | None
    high: float | None
    lower_is_better: bool

    def __str__(self) -> str:
        return self.label


OUTCOMES: dict[str, Outcome] = {
    o.name: o
    for o in (
        Outcome("rom", "deg", "ROM (deg)", "rom_deg", 0.0, None, False),
        Outcome("pain", "NPRS 0-10", "Pain (NPRS 0-10)", "pain_nprs", 0.0, 10.0, True),
        Outcome("strength", "% of normal", "Strength (% of normal)", "strength_pct_normal", 0.0, None, False),
        Outcome("function", "0-100", "Function (0-100)", "function_0_100", 0.0, 100.0, False),
    )
}
"""The recorded outcomes, name -> :class:`Outcome`, in the engine's order."""

OUTCOME_NAMES: tuple[str, ...] = tuple(OUTCOMES)
"""The outcome names in the engine's order: ``rom, pain, strength, function``."""


def get_outcome(name: str) -> Outcome:
    """The outcome called ``name`` (short name or column name).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the accepted names.

    Examples
    --------
    >>> get_outcome("pain_nprs").name
    'pain'
    """
    if name in OUTCOMES:
        return OUTCOMES[name]
    for o in OUTCOMES.values():
        if name == o.column:
            return o
    accepted = ", ".join(f"{o.name!r} ({o.column})" for o in OUTCOMES.values())
    raise ValueError(f"unknown outcome {name!r}; accepted: {accepted}")
