"""Interactive lesson apps: controls declared as data, a figure and a table that follow them.

This is the only module of ptsim that imports ipywidgets. Each app is a function returning an
:class:`App`, an ipywidgets container (controls on the left; the figure, the table and a status
line on the right) that a notebook displays and a Voila dashboard can reuse. Every app has

- ``controls``: a dict of widgets built from a dict of control specs (:func:`build_controls`);
- ``update(**values)``: sets the controls (unnamed ones go back to their defaults), recomputes,
  redraws, and returns the table it shows (a pandas DataFrame) -- or None, with a short message in
  the app, if the combination of values is invalid. A notebook calls it in a checked cell, and tests
  drive the app headless with it;
- ``figure`` (the matplotlib Figure shown), ``numbers`` (the table shown), ``message`` and
  ``status`` (ipywidgets with the last error message and progress text).

Moving a control recomputes the app; while it works the status line says so.
"""

from __future__ import annotations

import html
import io
import time
from collections.abc import Callable

import ipywidgets as widgets
import numpy as np

from ptsim.core import mechanisms_v2 as v2
from ptsim.core import model
from ptsim.core.parameters import PARAMETERS, TECHNIQUES, TISSUES
from ptsim.core.vocabulary import OUTCOMES
from ptsim.engine.simulate import compare, simulate, trace_session
from ptsim.inputs.cohort import sample_cohort, to_patients
from ptsim.inputs.conditions import list_conditions, load_condition
from ptsim.inputs.plans import PLAN_NAMES, Component, HomeProgramme, Plan, Session, standard_plans
from ptsim.teaching import lessons
from ptsim.teaching import plotting as plots

CONTROL_KINDS = ("int_slider", "float_slider", "dropdown", "toggle_buttons", "checkbox")
"""Kinds of control a spec may ask for."""

DEFAULT_CONDITION = "knee_oa"


def condition_spec(default: str = DEFAULT_CONDITION) -> dict:
    """The spec of a condition dropdown listing the shipped conditions by title."""
    options = [(load_condition(n).title, n) for n in list_conditions()]
    return {
        "kind": "dropdown",
        "label": "Condition",
        "options": options,
        "default": default,
        # update(condition=...) also takes a path to a condition file: it is added to the options
        "accept": lambda value: f"{load_condition(value).title} ({value})",
    }


def make_control(name: str, spec: dict) -> widgets.Widget:
    """One ipywidget from a control spec.

    Parameters
    ----------
    name : str
        The control's name (the keyword its value is passed under).
    spec : dict
        ``kind`` (one of ``CONTROL_KINDS``), ``label`` (with units), ``default``; sliders also
        ``min``, ``max``, ``step``; dropdowns and toggle buttons ``options`` (values, or
        ``(label, value)`` pairs); optional ``tooltip``; a dropdown's optional ``accept``,
        ``accept(value) -> label``, lets :meth:`App.update` add a value that is not among the options
        (it raises ``ValueError`` or ``FileNotFoundError`` for a value it does not accept).
    """
    kind = spec.get("kind")
    if kind not in CONTROL_KINDS:
        raise ValueError(
            f"control {name!r}: kind {kind!r} is not known; accepted: {', '.join(CONTROL_KINDS)}"
        )
    for key in ("label", "default"):
        if key not in spec:
            raise ValueError(f"control {name!r}: spec needs a {key!r}")
    style = {"description_width": "initial"}
    layout = widgets.Layout(width="100%")
    common = {"description": spec["label"], "style": style, "layout": layout}
    if kind in ("int_slider", "float_slider"):
        for key in ("min", "max", "step"):
            if key not in spec:
                raise ValueError(f"control {name!r}: a slider spec needs {key!r}")
        if not spec["min"] <= spec["default"] <= spec["max"]:
            raise ValueError(f"control {name!r}: default {spec['default']!r} is outside [min, max]")
        cls = widgets.IntSlider if kind == "int_slider" else widgets.FloatSlider
        extra = {} if kind == "int_slider" else {"readout_format": spec.get("format", ".2f")}
        w = cls(
            value=spec["default"],
            min=spec["min"],
            max=spec["max"],
            step=spec["step"],
            continuous_update=False,
            **extra,
            **common,
        )
    elif kind == "dropdown":
        w = widgets.Dropdown(options=spec["options"], value=spec["default"], **common)
    elif kind == "toggle_buttons":
        w = widgets.ToggleButtons(options=spec["options"], value=spec["default"], **common)
    else:
        w = widgets.Checkbox(value=spec["default"], indent=False, **common)
    if "tooltip" in spec:
        w.tooltip = spec["tooltip"]
    return w


def build_controls(specs: dict[str, dict]) -> dict[str, widgets.Widget]:
    """Controls from a dict of specs, in the dict's order (see :func:`make_control`)."""
    return {name: make_control(name, spec) for name, spec in specs.items()}


def table_html(df, caption: str = "") -> str:
    """A DataFrame as a compact HTML table for the apps."""
    body = df.to_html(border=0, classes="ptsim-table", na_rep="")
    cap = f"<div style='font-size:90%;color:#444'>{html.escape(caption)}</div>" if caption else ""
    style = (
        "<style>.ptsim-table{border-collapse:collapse;font-size:12px}"
        ".ptsim-table td,.ptsim-table th{padding:2px 8px;text-align:right}</style>"
    )
    return style + cap + body


def figure_png(fig, dpi: int = 80) -> bytes:
    """A figure rendered to PNG bytes (what the app's image shows)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


class App(widgets.HBox):
    """A lesson app: controls, a figure, a table, a status line and an error message.

    Parameters
    ----------
    title : str
        Shown above the controls.
    specs : dict
        Control specs (see :func:`make_control`).
    compute : callable
        ``compute(**values) -> (table, figure, caption)``; raises ``ValueError`` with a short,
        helpful message for an invalid combination.
    busy_text : callable, optional
        ``busy_text(**values) -> str`` shown while computing.
    on_values : callable, optional
        ``on_values(app, values)`` called before computing (e.g. to disable a control that does
        not apply).
    """

    def __init__(
        self,
        title: str,
        specs: dict,
        compute: Callable,
        busy_text: Callable | None = None,
        on_values: Callable | None = None,
        dpi: int = 80,
    ):
        self.specs = specs
        self.controls = build_controls(specs)
        self.defaults = {k: s["default"] for k, s in specs.items()}
        self._compute = compute
        self._busy_text = busy_text or (lambda **v: "Simulating...")
        self._on_values = on_values
        self._dpi = dpi
        self._quiet = False
        self.figure = None
        self.numbers = None
        self.caption = ""
        self.error: str | None = None
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="100%"))
        self.table = widgets.HTML()
        self.status = widgets.Label(value="")
        self.message = widgets.HTML(value="")
        header = widgets.HTML(f"<b>{html.escape(title)}</b>")
        left = widgets.VBox(
            [header, *self.controls.values(), self.status, self.message],
            layout=widgets.Layout(width="32%", min_width="260px"),
        )
        right = widgets.VBox([self.image, self.table], layout=widgets.Layout(width="68%"))
        super().__init__([left, right])
        # CSS classes name the parts in the page (the dashboard's browser test finds them by these).
        self.add_class("ptsim-app")
        self.image.add_class("ptsim-figure")
        self.table.add_class("ptsim-table-view")
        self.status.add_class("ptsim-status")
        self.message.add_class("ptsim-message")
        for name, w in self.controls.items():
            w.add_class(f"ptsim-control-{name}")
        for w in self.controls.values():
            w.observe(self._changed, names="value")

    def values(self) -> dict:
        """The controls' current values."""
        return {k: w.value for k, w in self.controls.items()}

    def _changed(self, change):
        if self._quiet:
            return
        try:
            values = self.values()
            # A client can send any value (and move a slider's min and max first): check the
            # values against the specs, on the kernel's side, before computing anything.
            for name, value in values.items():
                problem = control_value_error(self.specs[name], self.controls[name], value)
                if problem:
                    self._fail(problem)
                    return
            self._run(values)
        except Exception as exc:  # a control must never print a traceback into the lesson
            self._fail(f"Could not update ({type(exc).__name__}: {exc}).")

    def _fail(self, text: str):
        self.error = text
        self.numbers = None
        self.message.value = f"<span style='color:#b00'>{html.escape(text)}</span>"
        self.status.value = "Not updated: change a control to fix the message below."

    def _run(self, values: dict):
        if self._on_values is not None:
            self._on_values(self, values)
        self.status.value = self._busy_text(**values)
        start = time.perf_counter()
        try:
            numbers, fig, caption = self._compute(**values)
        except ValueError as exc:
            self._fail(str(exc))
            return None
        self.error = None
        self.message.value = ""
        self.figure, self.numbers, self.caption = fig, numbers, caption
        self.image.value = figure_png(fig, self._dpi)
        self.table.value = table_html(numbers, caption)
        self.status.value = f"Updated in {time.perf_counter() - start:.1f} s."
        return numbers

    def update(self, **values):
        """Set the controls (others to their defaults), recompute and redraw.

        Returns
        -------
        pandas.DataFrame or None
            The table the app shows, or None if the values are invalid (the app then shows a short
            message, also in ``app.error``).
        """
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(
                f"unknown control {sorted(unknown)[0]!r}; this app has: {', '.join(self.controls)}"
            )
        full = {**self.defaults, **values}
        self._quiet = True
        try:
            for k, v in full.items():
                w = self.controls[k]
                if isinstance(w, widgets.IntSlider | widgets.FloatSlider) and not w.min <= v <= w.max:
                    self._fail(f"{self.specs[k]['label']}: {v!r} is outside the range {w.min}-{w.max}.")
                    return None
                if isinstance(w, widgets.Dropdown | widgets.ToggleButtons) and v not in _option_values(w):
                    accept = self.specs[k].get("accept")
                    if accept is None:
                        allowed = ", ".join(map(repr, _option_values(w)))
                        self._fail(f"{self.specs[k]['label']}: {v!r} is not one of {allowed}.")
                        return None
                    try:
                        label = accept(v)
                    except (ValueError, FileNotFoundError) as exc:
                        self._fail(f"{self.specs[k]['label']}: {exc}")
                        return None
                    w.options = [*_option_pairs(w), (label, v)]
                w.value = v
        finally:
            self._quiet = False
        return self._run(full)


def control_value_error(spec: dict, widget: widgets.Widget, value) -> str | None:
    """Why a control's value is not one its spec allows, or None if it is.

    The range of a slider is the spec's (the widget's own ``min`` and ``max`` can be changed by any
    client); a dropdown's or toggle's value must be among the options the kernel holds; a checkbox's
    must be a bool.
    """
    label = spec["label"]
    kind = spec["kind"]
    if kind in ("int_slider", "float_slider"):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if kind == "int_slider" and number and value != int(value):
            number = False
        if not number or not spec["min"] <= value <= spec["max"]:
            return f"{label}: {value!r} is outside the range {spec['min']}-{spec['max']}."
    elif kind == "checkbox":
        if not isinstance(value, bool):
            return f"{label}: {value!r} is not true or false."
    elif value not in _option_values(widget):
        return f"{label}: {value!r} is not one of the options."
    return None


def _option_pairs(w) -> list[tuple[str, object]]:
    return list(zip(w._options_labels, w._options_values, strict=True))


def _option_values(w) -> tuple:
    return tuple(w._options_values)


def _busy(patients: int, plans: int, days: int) -> str:
    return f"Simulating {patients} patients x {plans} plans x {days} days..."


# ---------------------------------------------------------------------------------------------------
# Lesson 1: one virtual patient


PATIENT_SPECS = {
    "condition": condition_spec(),
    "patient": {
        "kind": "int_slider",
        "label": "Virtual patient number",
        "min": 0,
        "max": 49,
        "step": 1,
        "default": 0,
    },
    "show_usual_care": {"kind": "checkbox", "label": "Show no treatment (usual care)", "default": True},
}

PATIENT_DAYS = (0, 14, 42, 182, 365)


def patient_table(condition=DEFAULT_CONDITION, patient=0, show_usual_care=True, days=365):
    """One virtual patient through the three plans (and no treatment): comparison and table."""
    if isinstance(patient, bool) or not isinstance(patient, int | np.integer) or patient < 0:
        raise ValueError(f"patient must be a whole number >= 0, got {patient!r}")
    cond = load_condition(condition)
    cohort = sample_cohort(cond, 1, seed=0, first_id=int(patient))
    std = standard_plans()
    names = (("usual_care",) if show_usual_care else ()) + lessons.COMPARED_PLANS
    comp = compare(cond, {n: std[n] for n in names}, n_patients=None, days=days, seed=0, cohort=cohort)
    key = [d for d in PATIENT_DAYS if d <= days]
    return comp, lessons.key_day_table(comp, key, ("pain", "rom", "strength", "function"))


def _patient_compute(condition, patient, show_usual_care):
    comp, table = patient_table(condition, patient, show_usual_care)
    row = next(iter(comp.values())).cohort.iloc[0]
    cond = next(iter(comp.values())).condition
    caption = (
        f"Patient {patient} at baseline: the tissues allow {row.rom_baseline_deg:.0f} deg of "
        f"{cond.rom_measure} (less is seen while pain makes them guard), pain "
        f"{row.pain_baseline_nprs:.1f}/10, strength {row.strength_baseline_pct_normal:.0f} % of normal. "
        "End-of-day values at key days (day 0 = the first session, day 42 = discharge)."
    )
    title = f"{cond.title}: virtual patient {patient} in each plan"
    fig = plots.plot_trajectories(comp, band=None, title=title)
    return table, fig, caption


def patient_app() -> App:
    """Lesson 1: follow one virtual patient through manual-only, exercise-only and combined care."""
    return App(
        "One patient, three plans",
        PATIENT_SPECS,
        _patient_compute,
        busy_text=lambda **v: _busy(1, 4, 365),
    )


# ---------------------------------------------------------------------------------------------------
# Lesson 2: manual therapy is not massage

TECHNIQUE_LABELS = {
    "joint_mobilization": "joint mobilization",
    "soft_tissue_mobilization": "soft tissue mobilization",
    "myofascial_release": "myofascial release",
    "massage": "general relaxation massage",
}

TECHNIQUE_SPECS = {
    "condition": condition_spec("adhesive_capsulitis"),
    "technique": {
        "kind": "dropdown",
        "label": "Hands-on technique",
        "options": [(label, name) for name, label in TECHNIQUE_LABELS.items()],
        "default": "joint_mobilization",
    },
    "minutes": {
        "kind": "int_slider",
        "label": "Technique (min)",
        "min": 2,
        "max": 20,
        "step": 1,
        "default": 10,
    },
    "grade": {
        "kind": "int_slider",
        "label": "Maitland grade (I-IV; not for massage)",
        "min": 1,
        "max": 4,
        "step": 1,
        "default": 3,
    },
}

TECHNIQUE_COLORS = {
    "joint_mobilization": "#1f77b4",
    "soft_tissue_mobilization": "#17becf",
    "myofascial_release": "#8c564b",
    "massage": plots.PLAN_COLORS["massage_only"],
}


def technique_table(
    condition="adhesive_capsulitis", technique="joint_mobilization", minutes=10, grade=3, n_patients=100
):
    """What one technique does: per tissue straight after, an hour later and after a week.

    Returns
    -------
    trace : pandas.DataFrame
        The session minute by minute (technique then 60 minutes of rest).
    table : pandas.DataFrame
        Rows: each tissue's range (deg), all tissues, and pain (NPRS); columns: straight after the
        technique, 60 min later, and after a week of two sessions against no treatment.
    """
    if technique not in TECHNIQUES:
        raise ValueError(f"technique must be one of {', '.join(TECHNIQUES)}, got {technique!r}")
    import pandas as pd

    cond = load_condition(condition)
    comp = Component(technique, minutes, None if technique == "massage" else grade)
    cohort = sample_cohort(cond, n_patients, seed=0)
    pts, p = to_patients(cohort, cond), cond.parameters
    s0 = model.initial_state(pts)
    s1 = model.technique(s0, pts, p, technique, float(minutes), 1 if technique == "massage" else int(grade))
    s60 = model.pass_minutes(s1, 60.0, p)

    def released(s):
        # durable remodelling plus the open window, per tissue (degrees)
        return (s0.deficit_deg - s.deficit_deg + s.window * s.deficit_deg).mean(axis=1)

    plan = Plan(technique, Session((comp,), float(minutes)), 2, 1)
    week = compare(
        cond, {"none": "usual_care", technique: plan}, n_patients=None, days=7, seed=0, cohort=cohort
    )
    untreated, treated = week["none"].final_state, week[technique].final_state
    assert untreated is not None and treated is not None  # full trajectories keep the final state
    durable = (untreated.deficit_deg - treated.deficit_deg).mean(axis=1)
    trace = trace_session(
        cond, Session((comp,), float(minutes)), n_patients=None, cohort=cohort, minutes_after=60
    )
    now, later = released(s1), released(s60)
    rows = {
        f"{plots.TISSUE_LABELS[t]} range (deg)": (now[i], later[i], durable[i]) for i, t in enumerate(TISSUES)
    }
    rows["ROM incl. less guarding (deg)"] = (
        (model.rom_deg(s1, pts, p) - model.rom_deg(s0, pts, p)).mean(),
        (model.rom_deg(s60, pts, p) - model.rom_deg(s0, pts, p)).mean(),
        (week[technique].rom[:, 7] - week["none"].rom[:, 7]).mean(),
    )
    rows["pain change (NPRS)"] = (
        (model.pain_nprs(s1) - model.pain_nprs(s0)).mean(),
        (model.pain_nprs(s60) - model.pain_nprs(s0)).mean(),
        (week[technique].pain[:, 7] - week["none"].pain[:, 7]).mean(),
    )
    cols = ["straight after", "60 min later", "after 1 week (2 sessions) vs none"]
    table = pd.DataFrame(rows, index=cols).T.round(2)
    return trace, table


def _technique_compute(condition, technique, minutes, grade):
    trace, table = technique_table(condition, technique, minutes, grade)
    tissues = table.iloc[:3].copy()
    tissues.index = list(TISSUES)
    tissues = tissues.rename(
        columns={
            "straight after": "released_now_deg",
            "after 1 week (2 sessions) vs none": "durable_week_deg",
        }
    )
    cond = load_condition(condition)
    grade_text = "" if technique == "massage" else f" grade {'I II III IV'.split()[grade - 1]}"
    title = f"{cond.title}: {minutes} min of {TECHNIQUE_LABELS[technique]}{grade_text} (mean of 100 patients)"
    fig = plots.plot_technique(trace, tissues, title, color=TECHNIQUE_COLORS[technique])
    caption = (
        "Gains against the start of the session (range: degrees; pain: NPRS points, negative = less pain)."
    )
    return table, fig, caption


def _technique_values(app, values):
    app.controls["grade"].disabled = values["technique"] == "massage"


def technique_app() -> App:
    """Lesson 2: what each hands-on technique acts on, and what is left a week later."""
    return App(
        "Hands-on techniques",
        TECHNIQUE_SPECS,
        _technique_compute,
        busy_text=lambda **v: _busy(100, 2, 7),
        on_values=_technique_values,
    )


# ---------------------------------------------------------------------------------------------------
# Lesson 3: the window of opportunity

ORDERS = ("manual first", "exercise first")

WINDOW_SPECS = {
    "condition": condition_spec(),
    "order": {"kind": "toggle_buttons", "label": "Order", "options": list(ORDERS), "default": "manual first"},
    "manual_minutes": {
        "kind": "int_slider",
        "label": "Manual therapy (min)",
        "min": 5,
        "max": 20,
        "step": 1,
        "default": 15,
    },
    "exercise_minutes": {
        "kind": "int_slider",
        "label": "Exercise (min)",
        "min": 5,
        "max": 30,
        "step": 1,
        "default": 25,
    },
    "gap_minutes": {
        "kind": "int_slider",
        "label": "Gap between them (min)",
        "min": 0,
        "max": 60,
        "step": 5,
        "default": 0,
    },
    "consolidation": {
        "kind": "float_slider",
        "label": "Consolidation per window-minute (0 = hypothesis off)",
        "min": 0.0,
        "max": 0.12,
        "step": 0.01,
        "default": PARAMETERS["consolidation_per_window_min"].default,
        "format": ".2f",
    },
}


def window_session(order="manual first", manual_minutes=15, exercise_minutes=25, gap_minutes=0) -> Session:
    """Manual therapy and exercise in the given order with an optional rest gap between them."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, got {order!r}")
    manual = Component("manual_therapy", manual_minutes)
    ex = Component("exercise", exercise_minutes)
    first, second = (manual, ex) if order == "manual first" else (ex, manual)
    comps = (first, Component("rest", gap_minutes), second) if gap_minutes > 0 else (first, second)
    return Session(comps, float(manual_minutes + exercise_minutes + gap_minutes))


def window_table(
    condition=DEFAULT_CONDITION,
    order="manual first",
    manual_minutes=15,
    exercise_minutes=25,
    gap_minutes=0,
    consolidation=None,
    n_patients=100,
):
    """One session minute by minute in the chosen order, and the same minutes in the other order.

    Returns
    -------
    trace, other : pandas.DataFrame
        Traces of the chosen session and of the other order (same gap), 60 minutes of rest after.
    table : pandas.DataFrame
        Per order: durable range gained, ROM and pain at the start of the exercise, ROM and pain an
        hour after the session.
    """
    import pandas as pd

    cond = load_condition(condition)
    if consolidation is not None:
        cond = cond.with_parameters(consolidation_per_window_min=consolidation)
    traces = {}
    for o in ORDERS:
        session = window_session(o, manual_minutes, exercise_minutes, gap_minutes)
        traces[o] = trace_session(cond, session, n_patients=n_patients, minutes_after=60)
    rows = {}
    for o, tr in traces.items():
        ex_start = tr.loc[tr.component == "exercise", "minute"].min() - 1
        at_ex = tr[tr.minute == ex_start].iloc[0]
        rows[o] = {
            "durable range gained (deg)": tr.durable_rom_deg.iloc[-1] - tr.durable_rom_deg.iloc[0],
            "ROM as exercise starts (deg)": at_ex.rom_deg,
            "pain as exercise starts (NPRS)": at_ex.pain_nprs,
            "ROM 1 h after (deg)": tr.rom_deg.iloc[-1],
            "pain 1 h after (NPRS)": tr.pain_nprs.iloc[-1],
        }
    table = pd.DataFrame(rows).T.round(2)
    other = ORDERS[1] if order == ORDERS[0] else ORDERS[0]
    return traces[order], traces[other], table


def _window_compute(condition, order, manual_minutes, exercise_minutes, gap_minutes, consolidation):
    trace, other, table = window_table(
        condition, order, manual_minutes, exercise_minutes, gap_minutes, consolidation
    )
    cond = load_condition(condition)
    other_name = ORDERS[1] if order == ORDERS[0] else ORDERS[0]
    title = (
        f"{cond.title}: {order}, gap {gap_minutes} min, consolidation {consolidation:.2f}\n"
        "(mean of 100 patients; grey: the other order)"
    )
    fig = plots.plot_session(trace, title, reference=other, reference_label=other_name)
    caption = (
        "One session from baseline; the durable range is what stays once the window has closed "
        f"({cond.rom_measure})."
    )
    return table, fig, caption


def window_app() -> App:
    """Lesson 3: one session minute by minute; order, gap and the consolidation hypothesis."""
    return App(
        "The window of opportunity",
        WINDOW_SPECS,
        _window_compute,
        busy_text=lambda **v: "Tracing the session minute by minute...",
    )


# ---------------------------------------------------------------------------------------------------
# Lesson 4: building capacity

CAPACITY_SPECS = {
    "condition": condition_spec(),
    "sessions_per_week": {
        "kind": "int_slider",
        "label": "Supervised sessions / week",
        "min": 1,
        "max": 5,
        "step": 1,
        "default": 3,
    },
    "weeks": {
        "kind": "int_slider",
        "label": "Weeks of the programme",
        "min": 2,
        "max": 16,
        "step": 1,
        "default": 12,
    },
    "exercise_minutes": {
        "kind": "int_slider",
        "label": "Exercise per session (min)",
        "min": 10,
        "max": 60,
        "step": 5,
        "default": 40,
    },
    "effort": {
        "kind": "float_slider",
        "label": "Effort (share of maximal)",
        "min": 0.3,
        "max": 1.0,
        "step": 0.05,
        "default": 0.8,
        "format": ".2f",
    },
    "home_days_per_week": {
        "kind": "int_slider",
        "label": "Home sessions / week during the programme (20 min)",
        "min": 0,
        "max": 4,
        "step": 1,
        "default": 0,
    },
    "maintenance_days_per_week": {
        "kind": "int_slider",
        "label": "Home sessions / week after it ends",
        "min": 0,
        "max": 5,
        "step": 1,
        "default": 0,
    },
}


def capacity_table(
    condition=DEFAULT_CONDITION,
    sessions_per_week=3,
    weeks=12,
    exercise_minutes=40,
    effort=0.8,
    home_days_per_week=0,
    maintenance_days_per_week=0,
    n_patients=100,
    days=365,
):
    """An exercise programme's strength by source; the table at key days."""
    plan = lessons.exercise_plan(
        sessions_per_week, weeks, exercise_minutes, effort, home_days_per_week, maintenance_days_per_week
    )
    res = simulate(condition, plan, n_patients=n_patients, days=days, seed=0)
    comp = lessons.capacity_components(res)
    end = plan.discharge_day
    key = sorted({d for d in (0, 21, end, end + 28, end + 91, days) if d <= days})
    table = comp.set_index("day").loc[key].drop(columns=["baseline_pct_normal"])
    table = table.rename(
        columns={
            "neural_pct_normal": "neural gain (% normal)",
            "structural_pct_normal": "structural gain (% normal)",
            "fatigue_pct_normal": "held back by fatigue (% normal)",
            "strength_pct_normal": "strength (% normal)",
            "motor_control_0_1": "motor control (0-1)",
        }
    )
    return res, comp, table.round(2)


def _capacity_compute(**values):
    res, comp, table = capacity_table(**values)
    v = values
    title = (
        f"{res.condition.title}: exercise {v['sessions_per_week']}x/week for {v['weeks']} weeks, "
        f"{v['exercise_minutes']} min at {v['effort']:.0%} effort\n(mean of {res.n_patients} patients)"
    )
    fig = plots.plot_capacity(comp, res.discharge_day, title)
    caption = f"Cohort means at key days (day {res.discharge_day} = programme ends)."
    return table, fig, caption


def capacity_app() -> App:
    """Lesson 4: exercise dose, fitness and fatigue, neural and structural gains, detraining."""
    return App(
        "Building capacity", CAPACITY_SPECS, _capacity_compute, busy_text=lambda **v: _busy(100, 1, 365)
    )


# ---------------------------------------------------------------------------------------------------
# Lesson 5: compare plans (the main dashboard)

COMPARE_SPECS = {
    "condition": condition_spec(),
    "sessions_per_week": {
        "kind": "int_slider",
        "label": "Clinic sessions / week",
        "min": 1,
        "max": 5,
        "step": 1,
        "default": 2,
    },
    "weeks": {"kind": "int_slider", "label": "Weeks of care", "min": 2, "max": 16, "step": 1, "default": 6},
    "session_minutes": {
        "kind": "int_slider",
        "label": "Session length (min, incl. 5 min education)",
        "min": 20,
        "max": 90,
        "step": 5,
        "default": 45,
    },
    "manual_minutes": {
        "kind": "int_slider",
        "label": "Combined: manual therapy (min)",
        "min": 1,
        "max": 60,
        "step": 1,
        "default": 15,
    },
    "exercise_minutes": {
        "kind": "int_slider",
        "label": "Combined: exercise (min)",
        "min": 1,
        "max": 80,
        "step": 1,
        "default": 25,
    },
    "home_adherence": {
        "kind": "float_slider",
        "label": "Home adherence (mean share of home sessions done)",
        "min": 0.0,
        "max": 0.95,
        "step": 0.05,
        "default": 0.6,
        "format": ".2f",
    },
    "n_patients": {
        "kind": "int_slider",
        "label": "Virtual patients",
        "min": 50,
        "max": 500,
        "step": 50,
        "default": 200,
    },
    "outcomes": {
        "kind": "dropdown",
        "label": "Outcomes shown",
        "options": [
            ("pain, ROM, strength, function", "model"),
            ("the condition's questionnaire (WOMAC, NDI, RMDQ, SPADI) and pain", "questionnaire"),
        ],
        "default": "model",
        "tooltip": "Trials report the condition's own questionnaire; its mapping from pain, ROM and strength "
        "is documented in docs/model.md",
    },
}

COMPARE_OUTCOMES = {
    "model": ("pain", "rom", "function", "strength"),
    "questionnaire": ("questionnaire", "pain"),
}
"""What the compare-plans app's ``outcomes`` control shows: table rows (the figure: the same panels)."""


def compare_table(comp, outcomes=("pain", "rom", "function", "strength")):
    """The compare-plans table: means at key days, and setbacks per patient over the period."""
    import pandas as pd

    first = next(iter(comp.values()))
    last = int(first.day[-1])
    days = ["baseline", *sorted({d for d in (14, first.discharge_day, 91, 182, 365) if d <= last})]
    table = lessons.key_day_table(comp, days, outcomes)
    setbacks = pd.DataFrame(
        [[round(float(comp[p].setbacks.mean()), 2) for p in comp]],
        index=pd.MultiIndex.from_tuples([("setbacks per patient", last)], names=["outcome", "day"]),
        columns=list(comp),
    )
    return pd.concat([table, setbacks])


def _compare_compute(outcomes="model", **values):
    comp = lessons.compare_plans(**values)
    first = next(iter(comp.values()))
    shown = COMPARE_OUTCOMES[outcomes]
    if outcomes == "questionnaire":
        q = first.condition.questionnaire
        if q is None:
            raise ValueError(f"{first.condition.title} names no questionnaire; choose the model's outcomes")
        shown = (q.name, "pain")
    v = values
    title = (
        f"{first.condition.title}: {v['sessions_per_week']}x/week for {v['weeks']} weeks, "
        f"{v['session_minutes']}-min sessions\n"
        f"{first.n_patients} patients: mean and 10th-90th percentile band"
    )
    if outcomes == "model":
        fig = plots.plot_trajectories(comp, title=title)  # the default panels, as before
    else:
        fig = plots.plot_trajectories(comp, outcomes=shown, title=title)
    caption = (
        f"Means at key days (day {first.discharge_day} = discharge). Combined: {v['manual_minutes']} min "
        f"manual then {v['exercise_minutes']} min exercise; the single-treatment plans use all "
        f"{v['manual_minutes'] + v['exercise_minutes']} working minutes for their one kind of care."
    )
    if outcomes == "questionnaire":
        caption += f" {first.condition.questionnaire}: mapped from pain, ROM and strength (docs/model.md)."
    return compare_table(comp, shown), fig, caption


def compare_plans_app() -> App:
    """Lesson 5 and the dashboard: manual-only, exercise-only and combined on the same patients.

    Returns a widget container; ``app.update(**values)`` returns the table it shows.
    """
    return App(
        "Compare plans",
        COMPARE_SPECS,
        _compare_compute,
        busy_text=lambda **v: _busy(v["n_patients"], 3, 365),
    )


# ---------------------------------------------------------------------------------------------------
# Lesson 6: pain, tolerance and flares

PAIN_SPECS = {
    "condition": condition_spec(),
    "effort": {
        "kind": "float_slider",
        "label": "Exercise effort (share of maximal)",
        "min": 0.3,
        "max": 1.0,
        "step": 0.05,
        "default": 0.7,
        "format": ".2f",
    },
    "exercise_minutes": {
        "kind": "int_slider",
        "label": "Exercise per session (min)",
        "min": 10,
        "max": 45,
        "step": 5,
        "default": 25,
    },
    "manual_minutes": {
        "kind": "int_slider",
        "label": "Manual therapy before it (min)",
        "min": 0,
        "max": 20,
        "step": 5,
        "default": 0,
    },
    "sessions_per_week": {
        "kind": "int_slider",
        "label": "Clinic sessions / week",
        "min": 1,
        "max": 5,
        "step": 1,
        "default": 2,
    },
}

PAIN_GROUPS = (("baseline pain < 5", 0.0, 5.0), ("5 to 7", 5.0, 7.0), ("7 or more", 7.0, 10.01))


def pain_table(
    condition=DEFAULT_CONDITION,
    effort=0.7,
    exercise_minutes=25,
    manual_minutes=0,
    sessions_per_week=2,
    n_patients=200,
    days=182,
):
    """Six weeks of exercise (optionally after manual therapy): dose done and flares by baseline pain.

    The plan is education, optional manual therapy, then exercise at each clinic visit for six weeks,
    with the standard home programme (5 days a week, or the days without a visit if fewer). Dose and
    flares are counted during care (clinic and home sessions).

    Returns
    -------
    result : Result
    dose_done_min, flares : (n_patients,) arrays
        Effective exercise minutes and flares of each patient during care.
    table : pandas.DataFrame
        By baseline-pain group.
    """
    import pandas as pd

    comps = [Component("education", 5)]
    if manual_minutes > 0:
        comps.append(Component("manual_therapy", manual_minutes))
    comps.append(Component("exercise", exercise_minutes, effort))
    session = Session(tuple(comps), float(sum(c.minutes for c in comps)))
    # The standard home programme (5 days a week), on at most the days without a clinic visit.
    home = HomeProgramme(days_per_week=min(5, 7 - sessions_per_week) if sessions_per_week <= 7 else 5)
    plan = Plan("graded_exercise", session, sessions_per_week, 6, home)
    res = simulate(condition, plan, n_patients=n_patients, days=days, seed=0)
    pain0 = res.cohort["pain_baseline_nprs"].to_numpy()
    care = res.day < res.discharge_day
    done = res.exercise_dose[:, care].sum(axis=1)
    flares = res.flare_events[:, care].sum(axis=1)
    rows = {}
    for label, lo, hi in PAIN_GROUPS:
        sel = (pain0 >= lo) & (pain0 < hi)
        if not sel.any():
            continue
        rows[label] = {
            "patients": int(sel.sum()),
            "effective exercise in care (min)": done[sel].mean(),
            "flares in care per patient": flares[sel].mean(),
            f"pain at discharge, day {res.discharge_day} (NPRS)": res.pain[sel, res.discharge_day].mean(),
            f"pain on day {days} (NPRS)": res.pain[sel, days].mean(),
        }
    table = pd.DataFrame(rows).T
    table["patients"] = table["patients"].astype(int)
    return res, done, flares, table.round(2)


def _pain_compute(**values):
    import pandas as pd

    res, done, flares, table = pain_table(**values)
    p = res.condition.parameters
    pain = np.linspace(0, 10, 101)
    curve = pd.DataFrame({"pain_nprs": pain, "dose_share": model.tolerance(pain, p)})
    pain0 = res.cohort["pain_baseline_nprs"].to_numpy()
    patients = pd.DataFrame({"pain_baseline_nprs": pain0, "dose_done_min": done, "flares": flares})
    groups = {}
    for label, lo, hi in PAIN_GROUPS:
        sel = (pain0 >= lo) & (pain0 < hi)
        if sel.any():
            groups[label] = (res.day, res.pain[sel].mean(axis=0))
    # The prescribed exercise (a typical patient: responsiveness 1) may flare where pain during it goes
    # above the pain-monitoring ceiling: 5/10, or a rise of more than the allowed points above that.
    effort_given = values["effort"] * model.tolerance(pain, p)
    excess = v2.flare_excess_nprs(
        pain,
        effort_given,
        p["exercise_provocation_nprs"],
        p["flare_threshold_nprs"],
        p["flare_rise_allowed_nprs"],
    )
    over = excess > 0
    zone = (float(pain[over].min()), float(pain[over].max())) if over.any() else None
    title = (
        f"{res.condition.title}: {values['exercise_minutes']} min exercise at {values['effort']:.0%} effort"
        + (f" after {values['manual_minutes']} min manual therapy" if values["manual_minutes"] else "")
        + f",\n{values['sessions_per_week']}x/week for 6 weeks ({res.n_patients} patients)"
    )
    fig = plots.plot_pain_gating(curve, patients, groups, res.discharge_day, zone, title)
    where = (
        f"goes above it when pain before it is {zone[0]:.1f} to {zone[1]:.1f}/10"
        if zone
        else "stays within it at any pain"
    )
    caption = (
        f"By baseline pain. A flare may follow when pain during exercise goes above "
        f"{p['flare_threshold_nprs']:g}/10, or rises by more than {p['flare_rise_allowed_nprs']:g} point "
        f"above that (pain-monitoring model); for a typical patient the prescribed exercise {where}; "
        "patients who respond more strongly, or have a bad day, may still go above it."
    )
    return table, fig, caption


def pain_app() -> App:
    """Lesson 6: how pain gates exercise, overload and flares, and the pain-monitoring model."""
    return App(
        "Pain, tolerance and flares", PAIN_SPECS, _pain_compute, busy_text=lambda **v: _busy(200, 1, 182)
    )


# ---------------------------------------------------------------------------------------------------
# Lesson 7: after discharge

SETBACK_PLANS = ("usual_care", "manual_only", "exercise_only", "combined")

SETBACK_SPECS = {
    "condition": condition_spec(),
    "maintenance_days_per_week": {
        "kind": "int_slider",
        "label": "Home sessions / week after discharge",
        "min": 0,
        "max": 5,
        "step": 1,
        "default": 3,
    },
    "maintenance_adherence": {
        "kind": "float_slider",
        "label": "Adherence after discharge (share of adherence in care)",
        "min": 0.0,
        "max": 1.0,
        "step": 0.1,
        "default": 0.5,
        "format": ".1f",
    },
    "years": {"kind": "int_slider", "label": "Years followed", "min": 1, "max": 3, "step": 1, "default": 1},
}


def setback_table(
    condition=DEFAULT_CONDITION,
    maintenance_days_per_week=3,
    maintenance_adherence=0.5,
    years=1,
    n_patients=200,
):
    """Setbacks after discharge for the standard plans, with a maintenance programme after discharge."""
    import pandas as pd

    std = standard_plans()
    plans = {}
    for name in SETBACK_PLANS:
        plan = std[name]
        if plan.home is not None:
            home = plan.home.__class__(
                days_per_week=plan.home.days_per_week,
                minutes=plan.home.minutes,
                intensity=plan.home.intensity,
                after_discharge_days_per_week=maintenance_days_per_week,
                after_discharge_adherence_factor=maintenance_adherence,
            )
            plan = plan.with_(home=home)
        plans[name] = plan
    days = 365 * years
    comp = compare(condition, plans, n_patients=n_patients, days=days, seed=0)
    end = next(iter(comp.values())).discharge_day
    rows = {}
    for name, res in comp.items():
        rows[name] = {
            "setbacks per patient": res.setbacks.mean(),
            "patients with a setback (%)": 100 * (res.setbacks > 0).mean(),
            "strength at discharge (% normal)": res.strength[:, end].mean(),
            "pain at discharge (NPRS)": res.pain[:, end].mean(),
            f"pain on day {days} (NPRS)": res.pain[:, days].mean(),
        }
    return comp, pd.DataFrame(rows).T.round(2)


def _setback_compute(**values):
    comp, table = setback_table(**values)
    first = next(iter(comp.values()))
    title = (
        f"{first.condition.title}: after discharge, {values['maintenance_days_per_week']} home sessions/week "
        f"scheduled ({first.n_patients} patients)"
    )
    fig = plots.plot_setbacks(comp, title)
    caption = (
        f"Over {values['years']} year(s) from the first session; setbacks can happen only after discharge."
    )
    return table, fig, caption


def setbacks_app() -> App:
    """Lesson 7: setbacks after discharge, and why exercise prevents them."""
    return App(
        "After discharge",
        SETBACK_SPECS,
        _setback_compute,
        busy_text=lambda **v: _busy(200, 4, 365 * v["years"]),
    )


APPS = {
    "patient": patient_app,
    "technique": technique_app,
    "window": window_app,
    "capacity": capacity_app,
    "compare_plans": compare_plans_app,
    "pain": pain_app,
    "setbacks": setbacks_app,
}
"""Every lesson app by name."""

__all__ = [
    "APPS",
    "App",
    "build_controls",
    "capacity_app",
    "compare_plans_app",
    "make_control",
    "pain_app",
    "patient_app",
    "setbacks_app",
    "technique_app",
    "window_app",
]


# ---------------------------------------------------------------------------------------------------
# Lesson 8: the model against the evidence, and where the evidence is mixed

EVIDENCE_SPECS = {
    "condition": condition_spec(),
    "consolidation": {
        "kind": "float_slider",
        "label": "Consolidation per window-minute (0 = hypothesis off)",
        "min": 0.0,
        "max": 0.12,
        "step": 0.01,
        "default": PARAMETERS["consolidation_per_window_min"].default,
        "format": ".2f",
    },
    "design": {
        "kind": "toggle_buttons",
        "label": "Exercise-alone arm gets",
        "options": [
            ("the same session minutes", "same session minutes"),
            ("only the exercise minutes", "manual therapy added on"),
        ],
        "default": "same session minutes",
        "tooltip": "Same session minutes: the exercise arm exercises for the manual-therapy minutes too "
        "(DESIGN M8). Added on: combined care is the exercise plus extra minutes of manual therapy.",
    },
    "manual_minutes": {
        "kind": "int_slider",
        "label": "Combined: manual therapy (min)",
        "min": 0,
        "max": 30,
        "step": 1,
        "default": 15,
    },
    "exercise_minutes": {
        "kind": "int_slider",
        "label": "Combined: exercise (min)",
        "min": 5,
        "max": 40,
        "step": 1,
        "default": 25,
    },
}


def evidence_table(
    condition=DEFAULT_CONDITION,
    consolidation=None,
    design="same session minutes",
    manual_minutes=15,
    exercise_minutes=25,
    n_patients=200,
):
    """Combined care against exercise alone, and the evidence report, at one consolidation value.

    Returns
    -------
    comp : Comparison
        ``exercise_only`` and ``combined`` (:func:`ptsim.teaching.lessons.combined_vs_exercise`).
    table : pandas.DataFrame
        Outcomes at discharge and day 365, and the difference combined minus exercise alone.
    report : pandas.DataFrame
        :func:`ptsim.calibrate.report` of the condition with that consolidation value.
    """
    from ptsim.analysis.calibrate import report

    cond = load_condition(condition)
    if consolidation is not None:
        cond = cond.with_parameters(consolidation_per_window_min=consolidation)
    comp, table = lessons.combined_vs_exercise(
        cond, None, manual_minutes, exercise_minutes, design, n_patients=n_patients
    )
    return comp, table, report(cond)


def _evidence_compute(condition, consolidation, design, manual_minutes, exercise_minutes):
    comp, table, rep = evidence_table(condition, consolidation, design, manual_minutes, exercise_minutes)
    first = comp["combined"]
    arm = manual_minutes + exercise_minutes if design == "same session minutes" else exercise_minutes
    title = (
        f"{first.condition.title}: combined ({manual_minutes} min manual then {exercise_minutes} min "
        f"exercise) vs exercise alone ({arm} min);\nconsolidation {consolidation:.2f}, "
        f"{first.n_patients} patients: mean and 10th-90th percentile band"
    )
    fig = plots.plot_trajectories(comp, outcomes=("pain", "rom", "function"), title=title)
    if rep.empty:
        evidence = "This condition has no evidence targets."
    else:
        c = lessons.evidence_counts(rep)
        evidence = (
            f"Evidence targets within their published intervals at this consolidation: "
            f"{c['fitted_within']} of {c['fitted']} fitted ({c['within']} of {c['targets']} with the "
            "known gaps)."
        )
    caption = f"Means at discharge (day {first.discharge_day}) and a year on. {evidence}"
    return table, fig, caption


def evidence_app() -> App:
    """Lesson 8: combined care vs exercise alone, the consolidation hypothesis and the time budget."""
    return App(
        "Where the evidence is mixed",
        EVIDENCE_SPECS,
        _evidence_compute,
        busy_text=lambda **v: _busy(200, 2, 365) + " and the evidence targets...",
    )


# ---------------------------------------------------------------------------------------------------
# Lesson 9: run a virtual trial

TRIAL_PLANS = PLAN_NAMES
TRIAL_N_TRIALS = 100

TRIAL_SPECS = {
    "condition": condition_spec(),
    "reference": {
        "kind": "dropdown",
        "label": "Control arm",
        "options": list(TRIAL_PLANS),
        "default": "exercise_only",
    },
    "arm": {
        "kind": "dropdown",
        "label": "Treatment arm",
        "options": list(TRIAL_PLANS),
        "default": "combined",
    },
    "n_per_arm": {
        "kind": "int_slider",
        "label": "Patients per arm (n)",
        "min": 4,
        "max": 200,
        "step": 2,
        "default": 10,
    },
    "outcome": {
        "kind": "dropdown",
        "label": "Primary outcome (day 42)",
        "options": [(OUTCOMES[k].label, k) for k in ("pain", "rom", "function")],
        "default": "pain",
    },
}


def _trial_compute(condition, reference, arm, n_per_arm, outcome):
    if reference == arm:
        raise ValueError(
            f"the control and treatment arms are both {arm!r}: a trial compares two different plans"
        )
    trials, truth, table = lessons.trial_estimates(
        condition, (reference, arm), n_per_arm=n_per_arm, n_trials=TRIAL_N_TRIALS, outcome=outcome
    )
    cond = load_condition(condition)
    title = (
        f"{cond.title}: {TRIAL_N_TRIALS} virtual trials of {arm} against {reference},\n"
        f"{n_per_arm} patients per arm ({outcome} at discharge, day 42)"
    )
    fig = plots.plot_trials(trials, truth, reference, arm, outcome, title=title)
    caption = (
        f"{TRIAL_N_TRIALS} trials, each with its own patients, 10 % drop-out, ANCOVA on baseline. True "
        "difference: one trial of 5000 patients per arm. Significant: p < 0.05 (the share is the power)."
    )
    return table, fig, caption


def trial_app() -> App:
    """Lesson 9: many virtual trials of the same two plans; sample size, power, misleading small trials."""
    return App(
        "Run a virtual trial",
        TRIAL_SPECS,
        _trial_compute,
        busy_text=lambda **v: f"Simulating {TRIAL_N_TRIALS} trials of {2 * v['n_per_arm']} patients...",
    )


APPS.update({"evidence": evidence_app, "trial": trial_app})
__all__ += ["evidence_app", "trial_app"]
