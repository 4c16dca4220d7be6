"""ptsim: simulate and teach how physical-therapy plans change range of motion, pain and strength.

>>> import ptsim
>>> cond = ptsim.load_condition("knee_oa")
>>> comp = ptsim.compare(cond, ptsim.standard_plans(), n_patients=200, days=365, seed=0)
>>> comp.summary()  # doctest: +SKIP
"""

from __future__ import annotations

from .conditions import Condition, list_conditions, load_condition
from .plans import Component, HomeProgramme, Plan, Session, load_plan, standard_plans
from .simulate import Comparison, Result, compare, simulate, trace_session
from .trial import power, run_trial

__version__ = "0.1.0"


def __getattr__(name):
    # ptsim.calibrate is imported on first use, so `python -m ptsim.calibrate` runs cleanly.
    if name == "calibrate":
        import importlib

        return importlib.import_module(".calibrate", __name__)
    raise AttributeError(f"module 'ptsim' has no attribute {name!r}")


__all__ = [
    "Comparison",
    "Component",
    "Condition",
    "HomeProgramme",
    "Plan",
    "Result",
    "Session",
    "calibrate",
    "compare",
    "list_conditions",
    "load_condition",
    "load_plan",
    "power",
    "run_trial",
    "simulate",
    "standard_plans",
    "trace_session",
]
