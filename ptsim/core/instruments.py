"""Clinical instruments: a goniometer, the NPRS and a hand-held dynamometer, each with its error.

A reading is the true value plus an additive (SEM) and a multiplicative (CV) error, rounded to the
instrument's resolution and bounded by its scale. Lives in the core because adaptive policies read
patients through these instruments during treatment; ``ptsim.analysis.outcomes`` builds the
measurement of whole results on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Instrument:
    """A clinical instrument: its error, resolution and range.

    Attributes
    ----------
    name, unit : str
    sem : float
        Standard error of measurement, in ``unit`` (additive), or 0.
    cv : float
        Coefficient of variation (multiplicative error), or 0.
    resolution : float
        The instrument reads in steps of this size.
    low, high : float
        The range of the scale (an NPRS reads 0 to 10).
    source : str
    """

    name: str
    unit: str
    sem: float = 0.0
    cv: float = 0.0
    resolution: float = 0.0
    low: float = -np.inf
    high: float = np.inf
    source: str = "assumption"

    def read(self, true_values, z) -> np.ndarray:
        """Readings of ``true_values`` given standard-normal errors ``z``."""
        x = np.asarray(true_values, dtype=float) * (1.0 + self.cv * z) + self.sem * z
        if self.resolution:
            x = np.round(x / self.resolution) * self.resolution
        # The scale itself has ends (an NPRS cannot read 11): a reading, not an input, is bounded.
        return np.clip(x, self.low, self.high)


GONIOMETER_SEM_DEG = {
    "shoulder": (11.0, "Hayes et al. 2001 (shoulder goniometry in patients: SEM 11-23 deg same rater)"),
    "cervical spine": (6.0, "instrumented CROM studies (cervical ROM SEM 4.3-7.9 deg)"),
    "knee": (5.0, "assumption (knee goniometry; no row of EVIDENCE.md)"),
    "lumbar spine": (5.0, "assumption (inclinometry; no row of EVIDENCE.md)"),
}
"""Goniometer SEM by joint (degrees, same rater) with its source."""

INSTRUMENTS = {
    "nprs": Instrument(
        "numeric pain rating scale",
        "points",
        sem=0.8,
        resolution=1.0,
        low=0.0,
        high=10.0,
        source="assumption (test-retest error under the 1-point minimal change of Salaffi et al. 2004)",
    ),
    "dynamometer": Instrument(
        "hand-held dynamometer",
        "% of normal",
        cv=0.08,
        resolution=0.1,
        low=0.0,
        source="Wang et al. 2002 (CV ~5 % in older adults); Ann Rehabil Med 44(6) (MDC 24 % same rater): "
        "8 % assumed between the two",
    ),
}
"""Pain and strength instruments. The goniometer depends on the joint: see :func:`goniometer`."""


GONIOMETER_RESOLUTION_DEG = 1.0
"""A goniometer reads to whole degrees."""


def goniometer(condition) -> Instrument:
    """The goniometer for a condition's joint (SEM from ``GONIOMETER_SEM_DEG``; reads to 1 degree)."""
    sem, source = GONIOMETER_SEM_DEG.get(condition.joint, (5.0, "assumption"))
    return Instrument(
        "goniometer",
        "deg",
        sem=sem,
        resolution=GONIOMETER_RESOLUTION_DEG,
        low=0.0,
        high=condition.rom_normal_deg + 3 * sem,
        source=source,
    )
