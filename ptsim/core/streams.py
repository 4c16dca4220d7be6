"""Counter-based random numbers: one uniform per (seed, stream, patient, day).

Every random draw in ptsim is a pure function of the seed, a named stream, the patient's id and the
day. That gives common random numbers for free: patient *i* sees the same draws in every plan and in
a cohort of any size, and the numbers are identical on every machine (integer arithmetic only).
The mixer is SplitMix64 (Steele, Lea & Flood 2014), applied to a combined 64-bit key.
"""

from __future__ import annotations

import numpy as np

# Named streams keep independent uses apart; add new names at the end so old numbers never change.
STREAMS = {
    "rom_baseline": 1,
    "pain_baseline": 2,
    "strength_baseline": 3,
    "manual_responsiveness": 4,
    "exercise_responsiveness": 5,
    "home_adherence": 6,
    "home_exercise": 7,
    "setback": 8,
    "measurement": 9,
    "trial": 10,
    "dropout": 11,
    "visit_measurement": 12,
    "fluctuation": 13,
    "flare": 14,
    "natural_pain_course": 15,
    "natural_rom_course": 16,
    # Numbered apart from the model's own streams, which grow from 13.
    "ensemble_member": 40,
    "forecast_measurement": 41,
}

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix64(z):
    """SplitMix64 finaliser of a uint64 number or array (wrapping arithmetic). Plain arithmetic, so
    the compiled engine runs the same function on one patient's key (``ptsim.engine.compiled``)."""
    z = z + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def unit_from_bits(top53):
    """53 random bits (as a float) -> (0, 1): add half a unit so neither end is ever returned."""
    return (top53 + 0.5) * (1.0 / 9007199254740992.0)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """:func:`mix64` on a uint64 array, with numpy's overflow warnings off (wrapping is intended)."""
    with np.errstate(over="ignore"):
        return mix64(x)


def uniforms(seed: int, stream: str, patient_ids, days=0) -> np.ndarray:
    """Uniform numbers in the open interval (0, 1), one per (patient, day) pair.

    Parameters
    ----------
    seed : int
        Non-negative run seed.
    stream : str
        A name from ``STREAMS``; separate uses of randomness never share numbers.
    patient_ids : array_like of int
        Patient identifiers (the cohort's ``patient_id`` column).
    days : int or array_like of int
        Day index (broadcast against ``patient_ids``), or any other counter such as an instrument
        reading's index.

    Returns
    -------
    numpy.ndarray
        Float64 uniforms with the broadcast shape of ``patient_ids`` and ``days``.
    """
    return uniforms_from_keys(patient_keys(seed, stream, patient_ids), days)


def patient_keys(seed: int, stream: str, patient_ids) -> np.ndarray:
    """The patient half of the hash behind :func:`uniforms` (uint64, one per patient).

    ``uniforms_from_keys(patient_keys(seed, stream, ids), days)`` equals
    ``uniforms(seed, stream, ids, days)`` bit for bit; the engine computes the keys once per run
    instead of once per day.
    """
    ids = np.asarray(patient_ids, dtype=np.int64).astype(np.uint64)
    key = _splitmix64(np.full(1, seed, dtype=np.uint64) * np.uint64(1_000_003) + np.uint64(STREAMS[stream]))
    return _splitmix64(ids ^ key)


def uniforms_from_keys(keys: np.ndarray, days=0) -> np.ndarray:
    """Uniforms in (0, 1) from :func:`patient_keys` and day indices (broadcast together)."""
    day = np.asarray(days, dtype=np.int64).astype(np.uint64)
    h = _splitmix64(keys ^ (day * _M1))
    return unit_from_bits((h >> np.uint64(11)).astype(np.float64))


def standard_normals(seed: int, stream: str, patient_ids, days=0) -> np.ndarray:
    """Standard normal draws by the inverse CDF of :func:`uniforms` (same keys, same numbers)."""
    from scipy.special import ndtri

    return ndtri(uniforms(seed, stream, patient_ids, days))
