"""Regenerate ``engine_golden.npz``: run at commit c5f7566 (the engine before the performance work)
from the repository root, ``python tests/data/make_engine_golden.py``. Only regenerate it when the
model's numbers are meant to change, and say so in the commit."""

import numpy as np

import ptsim

out = {}
for c in ptsim.list_conditions():
    comp = ptsim.compare(c, n_patients=12, days=365, seed=3)
    for k, r in comp.items():
        for name in ("rom", "pain", "strength", "function", "exercise_dose"):
            a = getattr(r, name)
            out[f"{c}/{k}/{name}/sum"] = a.sum(axis=1)
            out[f"{c}/{k}/{name}/days"] = a[:, ::29]
        out[f"{c}/{k}/setbacks"] = r.setback_events.sum(axis=1)
        out[f"{c}/{k}/flares"] = r.flare_events.sum(axis=1)
np.savez_compressed("tests/data/engine_golden.npz", **out)
