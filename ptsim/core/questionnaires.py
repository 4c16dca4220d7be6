"""Patient-reported questionnaires (WOMAC, NDI, RMDQ, SPADI, ...): a condition's clinical scale.

Trials report outcomes on the condition's own questionnaire, not on the model's pain, ROM and
strength. A :class:`Questionnaire` holds the scale (range and direction), its minimal clinically
important difference (MCID) and a mapping from the model's state to the scale:

    score = floor + (ceiling - floor) * (w_pain * pain / 10
                                         + w_rom * (1 - rom / normal ROM)
                                         + w_strength * (1 - min(strength / 100, 1)))

for a scale on which higher is worse (``floor``/``ceiling`` swap otherwise). The three impairments
each lie in [0, 1]; the weights are non-negative and sum to 1, so a patient without impairment scores
the scale's best end, a patient with every impairment at its worst scores the worst end, and the score
never leaves the scale. The score rises (worsens) with pain and falls with ROM and strength: monotone
in each. The weights are per condition in its TOML file (``[questionnaire]``) with their sources;
where no source gives them they are called assumptions (``docs/model.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

MCID_KINDS = ("points", "percent_of_baseline")
"""How a questionnaire's MCID is stated: a change in points, or a share of the baseline score."""

WEIGHTS = ("pain", "rom", "strength")
"""The impairments a questionnaire maps from, in the order of :meth:`Questionnaire.weights`."""


@dataclass(frozen=True)
class Questionnaire:
    """A patient-reported questionnaire and its mapping from the model's state.

    Attributes
    ----------
    name : str
        Short lower-case name, e.g. ``"womac"``; also the outcome name (``res.outcome("womac")``).
    title : str
        What the scale is, e.g. ``"WOMAC total (Likert 3.1), normalised to 0-100"``.
    scale_min, scale_max : float
        The ends of the scale (points).
    higher_is_worse : bool
        Direction: True for disability scales (WOMAC, NDI, RMDQ, SPADI, ODI, DASH).
    mcid : float
        Minimal clinically important difference, in points or in % of the baseline score.
    mcid_kind : str
        ``"points"`` or ``"percent_of_baseline"`` (``MCID_KINDS``).
    weight_pain, weight_rom, weight_strength : float
        Share of the scale driven by each impairment (>= 0, summing to 1).
    sources : dict of str to str
        Source of each number (``scale``, ``mcid``, ``weight_pain``, ...).
    """

    name: str
    title: str
    scale_min: float
    scale_max: float
    higher_is_worse: bool
    mcid: float
    mcid_kind: str
    weight_pain: float
    weight_rom: float
    weight_strength: float
    sources: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        if not (isinstance(self.name, str) and self.name.isidentifier() and self.name.islower()):
            raise ValueError(f"questionnaire name must be a lower-case identifier, got {self.name!r}")
        for key in ("scale_min", "scale_max", "mcid", *(f"weight_{w}" for w in WEIGHTS)):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"questionnaire {self.name}: {key} must be a finite number, got {value!r}")
        if not self.scale_max > self.scale_min:
            raise ValueError(
                f"questionnaire {self.name}: scale_max ({self.scale_max:g}) must exceed scale_min "
                f"({self.scale_min:g})"
            )
        if self.mcid_kind not in MCID_KINDS:
            raise ValueError(
                f"questionnaire {self.name}: mcid_kind must be one of {', '.join(MCID_KINDS)}, "
                f"got {self.mcid_kind!r}"
            )
        if self.mcid <= 0:
            raise ValueError(f"questionnaire {self.name}: mcid must be > 0, got {self.mcid!r}")
        weights = self.weights
        if min(weights) < 0 or abs(sum(weights) - 1.0) > 1e-6:
            raise ValueError(
                f"questionnaire {self.name}: weight_pain, weight_rom and weight_strength must be >= 0 "
                f"and sum to 1 (so the score stays on the scale), got {', '.join(f'{w:g}' for w in weights)}"
            )

    @property
    def weights(self) -> tuple[float, float, float]:
        return (self.weight_pain, self.weight_rom, self.weight_strength)

    @property
    def unit(self) -> str:
        """The scale as a unit, e.g. ``"WOMAC 0-100 (higher is worse)"``."""
        worse = "higher" if self.higher_is_worse else "lower"
        return f"{self.name.upper()} {self.scale_min:g}-{self.scale_max:g} ({worse} is worse)"

    @property
    def column(self) -> str:
        """Column name in tables, with the scale in it: ``womac_0_100``."""
        return f"{self.name}_{self.scale_min:g}_{self.scale_max:g}".replace(".", "p").replace("-", "m")

    def score(self, pain_nprs, rom_deg, strength_pct_normal, rom_normal_deg: float) -> np.ndarray:
        """The questionnaire score of states given by pain (0-10), ROM (deg) and strength (% normal).

        Raises
        ------
        ValueError
            If an input is outside its domain (pain outside [0, 10], ROM outside [0, normal],
            strength below 0, or NaN): the mapping does not extrapolate and nothing is clipped.
        """
        pain = np.asarray(pain_nprs, dtype=float)
        rom = np.asarray(rom_deg, dtype=float)
        strength = np.asarray(strength_pct_normal, dtype=float)
        tol = 1e-9
        for label, x, lo, hi in (
            ("pain_nprs", pain, 0.0, 10.0),
            ("rom_deg", rom, 0.0, rom_normal_deg),
            ("strength_pct_normal", strength, 0.0, math.inf),
        ):
            if np.isnan(x).any() or (x < lo - tol).any() or (x > hi + tol * max(1.0, hi)).any():
                bad = x[np.isnan(x) | (x < lo - tol) | (x > hi + tol * max(1.0, hi))].ravel()[0]
                raise ValueError(
                    f"questionnaire {self.name}: {label} must be in [{lo:g}, {hi:g}], got {float(bad):g}"
                )
        impairment = (
            self.weight_pain * pain / 10.0
            + self.weight_rom * (1.0 - rom / rom_normal_deg)
            + self.weight_strength * (1.0 - np.minimum(strength / 100.0, 1.0))
        )
        # rounding at the ends of [0, 1] (e.g. rom a hair above normal) must not leave the scale
        impairment = np.minimum(np.maximum(impairment, 0.0), 1.0)
        span = self.scale_max - self.scale_min
        if self.higher_is_worse:
            return self.scale_min + span * impairment
        return self.scale_max - span * impairment

    def improvement(self, baseline, followup) -> np.ndarray:
        """Improvement from ``baseline`` to ``followup`` in points (positive = better)."""
        change = np.asarray(followup, float) - np.asarray(baseline, float)
        return -change if self.higher_is_worse else change

    def responders(self, baseline, followup) -> np.ndarray:
        """Whether each patient improved by at least the MCID (points, or % of the baseline score).

        With a percent MCID the baseline is counted from the scale's best end; a patient at the best
        end at baseline cannot improve and is not a responder.
        """
        gain = self.improvement(baseline, followup)
        if self.mcid_kind == "points":
            return gain >= self.mcid
        best = self.scale_min if self.higher_is_worse else self.scale_max
        room = np.abs(np.asarray(baseline, float) - best)
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(room > 0, 100.0 * gain / room, 0.0)
        return pct >= self.mcid

    def __str__(self) -> str:
        unit = "points" if self.mcid_kind == "points" else "% of baseline"
        return f"{self.title} ({self.unit}; MCID {self.mcid:g} {unit})"
