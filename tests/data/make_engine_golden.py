"""Regenerate ``engine_golden.npz`` from the current checkout:

    python tests/data/make_engine_golden.py

The file pins the engine's numbers (12 patients, every shipped condition and standard plan, 365 days,
seed 3: per-patient sums and every 29th day, event counts), computed by the numpy engine, together
with the sha256 of every condition and calibration file they depend on (``data/conditions/*.toml``,
``data/calibrated/*.toml``). ``tests/test_performance.py`` checks every engine against it to 1e-12 and,
when a data file's hash differs, says "data changed: regenerate with ..." instead of a numeric diff.

Only regenerate when the model's numbers or its data are meant to change, and say so in the commit.
History: values first saved from main's plain engine at commit a2a425f; regenerated with hashes by the
``engine`` branch (issue 11), where the new values agreed with the old ones to 1e-12.
"""

import hashlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("engine_golden.npz")
DATA_GLOBS = ("data/conditions/*.toml", "data/calibrated/*.toml")
TRAJECTORIES = ("rom", "pain", "strength", "function", "exercise_dose")
COMMAND = "python tests/data/make_engine_golden.py"


def data_hashes() -> dict[str, str]:
    """sha256 of each data file the golden values depend on, by path relative to the checkout."""
    files = sorted(p for pattern in DATA_GLOBS for p in ROOT.glob(pattern))
    return {p.relative_to(ROOT).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def golden_values(engine: str = "numpy") -> dict[str, np.ndarray]:
    import ptsim

    out = {}
    for c in ptsim.list_conditions():
        comp = ptsim.compare(c, n_patients=12, days=365, seed=3, engine=engine)
        for k, r in comp.items():
            for name in TRAJECTORIES:
                a = getattr(r, name)
                out[f"{c}/{k}/{name}/sum"] = a.sum(axis=1)
                out[f"{c}/{k}/{name}/days"] = a[:, ::29]
            out[f"{c}/{k}/setbacks"] = r.setback_events.sum(axis=1)
            out[f"{c}/{k}/flares"] = r.flare_events.sum(axis=1)
    return out


if __name__ == "__main__":
    hashes = {f"sha256:{k}": np.array(v) for k, v in data_hashes().items()}
    np.savez_compressed(GOLDEN, **golden_values(), **hashes)
    print(f"wrote {GOLDEN.relative_to(ROOT)} ({len(hashes)} data files hashed)")
