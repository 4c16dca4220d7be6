"""ptsim: simulate and teach how physical-therapy plans change range of motion, pain and strength.

>>> import ptsim
>>> cond = ptsim.load_condition("knee_oa")
>>> comp = ptsim.compare(cond, ptsim.standard_plans(), n_patients=200, days=365, seed=0)
>>> comp.summary()  # doctest: +SKIP
"""

from __future__ import annotations

from ptsim.analysis.forecast import Forecast, forecast
from ptsim.analysis.trial import power, run_trial
from ptsim.engine.simulate import Comparison, Result, compare, simulate, trace_session
from ptsim.inputs.conditions import Condition, list_conditions, load_condition
from ptsim.inputs.plans import Component, HomeProgramme, Plan, Session, load_plan, standard_plans

__version__ = "0.1.0"


def __getattr__(name):
    # ptsim.calibrate is imported on first use (it needs scipy).
    if name == "calibrate":
        import importlib

        return importlib.import_module("ptsim.analysis.calibrate")
    raise AttributeError(f"module 'ptsim' has no attribute {name!r}")


__all__ = [
    "Comparison",
    "Component",
    "Condition",
    "Forecast",
    "HomeProgramme",
    "Plan",
    "Result",
    "Session",
    "calibrate",
    "compare",
    "forecast",
    "list_conditions",
    "load_condition",
    "load_plan",
    "power",
    "run_trial",
    "simulate",
    "standard_plans",
    "trace_session",
]
