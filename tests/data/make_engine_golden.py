"""Regenerate ``engine_golden.npz``: the golden values pin the engine's numbers. They were first made
at commit a2a425f by main's plain engine before the performance work was merged; they were
regenerated on branch modelv2 when the cohort began to be sampled so that its *measured* baseline has
the cited moments (truncated normals with the cited mean and SD; the tissue range solved from the
measured range and guarding): run ``python tests/data/make_engine_golden.py`` from a checkout (the
file is written next to this script). Only regenerate it when the model's numbers are meant to
change, and say so in the commit."""

from pathlib import Path

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
np.savez_compressed(Path(__file__).with_name("engine_golden.npz"), **out)
