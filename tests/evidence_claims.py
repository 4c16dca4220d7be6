"""Checking a lesson's calibration-dependent sentences against the stored ensemble (issue 23 item 7).

A sentence such as "exercise alone lowers knee pain by about a point" is not checked against a band
around today's calibrated output. Its quantity is computed for each of :data:`MEMBERS` members of the
condition's stored posterior ensemble (``data/ensembles/``), and

- a number the lesson states must lie inside the members' 95 % evidence interval
  (:func:`assert_stated`), and
- a direction or bound the lesson states ("combined care has less pain", "within half a point") must
  hold in at least 95 % of the members (:func:`assert_holds`); where it does not, the evidence cannot
  tell, and the lesson must say so rather than the test being loosened.

A refit moves the numbers; a test fails only when a sentence leaves what the evidence allows.
"""

from __future__ import annotations

import functools

import numpy as np

import ptsim
from ptsim.analysis.bayes import stored_ensemble
from ptsim.analysis.calibrate import with_values
from ptsim.inputs.ensembles import spaced_members

MEMBERS = 20
"""Members of the stored ensemble a claim is computed for (spread evenly over the kept draws)."""
LEVEL = 0.95
"""The evidence interval's level and the share of members in which a stated direction must hold."""


@functools.cache
def members(condition: str, count: int = MEMBERS) -> tuple:
    """``count`` conditions, one per member of the stored ensemble (evidence scenario)."""
    base = ptsim.load_condition(condition)
    ensemble = stored_ensemble(condition)
    assert ensemble is not None, f"no stored ensemble for {condition}"
    return tuple(with_values(base, ensemble.member(i)) for i in spaced_members(ensemble.n_members, count))


def across(quantity, condition: str, count: int = MEMBERS) -> np.ndarray:
    """``quantity(member_condition)`` for each member (an array; a quantity may return an array)."""
    return np.array([quantity(c) for c in members(condition, count)], dtype=float)


def interval(values: np.ndarray) -> tuple[float, float]:
    """The central :data:`LEVEL` interval of the members' values."""
    tail = 100 * (1 - LEVEL) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def assert_stated(stated: float, values: np.ndarray, sentence: str) -> None:
    """The number a sentence states lies inside the members' evidence interval."""
    low, high = interval(values)
    assert low <= stated <= high, (
        f"the lesson says {sentence!r} ({stated:g}), but the stored ensemble's {LEVEL:.0%} evidence "
        f"interval is [{low:.3g}, {high:.3g}] ({len(values)} members): restate the sentence"
    )


def assert_holds(flags: np.ndarray, sentence: str) -> None:
    """A direction or bound a sentence states holds in at least :data:`LEVEL` of the members."""
    flags = np.asarray(flags, dtype=bool)
    share = flags.mean()
    assert share >= LEVEL, (
        f"the lesson says {sentence!r}, which holds in only {share:.0%} of the stored ensemble's "
        f"{flags.size} members: the evidence cannot tell, so the lesson must say so"
    )
