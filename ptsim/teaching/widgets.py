"""The lesson apps and their computations under one name, as the notebooks and the dashboard use them.

``from ptsim.teaching import widgets`` then ``widgets.compare_plans_app()`` is how a lesson shows an
app. The code lives in three modules:

- :mod:`ptsim.teaching.computations`: the pure ``*_table`` functions (no ipywidgets, no matplotlib);
- :mod:`ptsim.teaching.appkit`: the framework (controls declared as data, :class:`App`);
- :mod:`ptsim.teaching.apps`: the nine lesson apps and ``APPS``.
"""

from __future__ import annotations

from ptsim.teaching.appkit import (
    CONTROL_KINDS,
    App,
    build_controls,
    check_specs,
    condition_spec,
    control_value_error,
    figure_png,
    make_control,
    table_html,
)
from ptsim.teaching.apps import (
    APPS,
    capacity_app,
    compare_plans_app,
    evidence_app,
    pain_app,
    patient_app,
    setbacks_app,
    technique_app,
    trial_app,
    window_app,
)
from ptsim.teaching.computations import (
    DEFAULT_CONDITION,
    ORDERS,
    PAIN_GROUPS,
    PATIENT_DAYS,
    SETBACK_PLANS,
    TECHNIQUE_LABELS,
    TRIAL_N_TRIALS,
    TRIAL_PLANS,
    capacity_table,
    compare_table,
    evidence_table,
    pain_table,
    patient_table,
    setback_table,
    technique_table,
    window_session,
    window_table,
)
from ptsim.teaching.forecast_app import forecast_app

__all__ = [
    "APPS",
    "CONTROL_KINDS",
    "DEFAULT_CONDITION",
    "ORDERS",
    "PAIN_GROUPS",
    "PATIENT_DAYS",
    "SETBACK_PLANS",
    "TECHNIQUE_LABELS",
    "TRIAL_N_TRIALS",
    "TRIAL_PLANS",
    "App",
    "build_controls",
    "capacity_app",
    "capacity_table",
    "check_specs",
    "compare_plans_app",
    "compare_table",
    "condition_spec",
    "control_value_error",
    "evidence_app",
    "evidence_table",
    "figure_png",
    "forecast_app",
    "make_control",
    "pain_app",
    "pain_table",
    "patient_app",
    "patient_table",
    "setback_table",
    "setbacks_app",
    "table_html",
    "technique_app",
    "technique_table",
    "trial_app",
    "window_app",
    "window_session",
    "window_table",
]
