"""The lesson-app framework: controls declared as data, checked against the app's compute function.

This and :mod:`ptsim.teaching.apps` are the only modules of ptsim that import ipywidgets. An
:class:`App` is an ipywidgets container (controls on the left; the figure, the table and a status
line on the right) that a notebook displays and a Voila dashboard can reuse. Every app has

- ``controls``: a dict of widgets built from a dict of control specs (:func:`build_controls`); the
  specs must name exactly the keyword arguments of the app's compute function;
- ``update(**values)``: sets the controls (unnamed ones go back to their defaults), recomputes,
  redraws, and returns the table it shows (a pandas DataFrame) -- or None, with a short message in
  the app, if the combination of values is invalid. A notebook calls it in a checked cell, and tests
  drive the app headless with it;
- ``figure`` (the matplotlib Figure shown), ``numbers`` (the table shown), ``alt`` (a one-line
  description of the figure, also the image's alt text), ``message`` and ``status``.

Moving a control recomputes the app; while it works the status line says so.
"""

from __future__ import annotations

import html
import inspect
import time
from collections.abc import Callable

from ptsim.core.extras import missing_extra_error
from ptsim.inputs.conditions import list_conditions, load_condition
from ptsim.teaching.computations import DEFAULT_CONDITION

try:
    import ipywidgets as widgets
except ModuleNotFoundError:
    raise missing_extra_error("lab", "the lesson apps (ptsim.teaching)", ["ipywidgets"]) from None

CONTROL_KINDS = ("int_slider", "float_slider", "dropdown", "toggle_buttons", "checkbox")
"""Kinds of control a spec may ask for."""


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
    common = {"description": spec["label"], **control_layout(kind)}
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
    # The label's title is the tooltip (ipywidgets writes the model's ``tooltip`` there: None would
    # read "null"); an explained control also carries its explanation on the label's text itself.
    w.tooltip = spec.get("tooltip", "")
    if spec.get("tooltip"):
        w.description_allow_html = True
        w.description = (
            f"<span title='{html.escape(spec['tooltip'], quote=True)}'>{html.escape(spec['label'])}</span>"
        )
    return w


def control_layout(kind: str) -> dict:
    """The ``style`` and ``layout`` keywords that keep a control and its label fully visible.

    A slider's (or toggle buttons' or dropdown's) label gets a line of its own above it, so that a long
    label with its unit cannot squeeze the slider to a bare handle, or a dropdown's value to a few
    letters, in a narrow column, in JupyterLab, in the classic notebook and in Voila alike (the widgets
    carry it; the app's ``LABEL_STYLE`` lets long labels and options wrap).
    """
    if kind in ("int_slider", "float_slider", "toggle_buttons", "dropdown"):
        style = {"description_width": "100%"}
        if kind == "toggle_buttons":
            style["button_width"] = "auto"  # each button as wide as its option, not a fixed 148 px
        return {"style": style, "layout": widgets.Layout(width="100%", height="auto", flex_flow="row wrap")}
    return {"style": {"description_width": "initial"}, "layout": widgets.Layout(width="100%")}


LABEL_STYLE = (
    "<style>.ptsim-app .widget-label{white-space:normal;overflow:visible;text-overflow:clip;"
    "height:auto;line-height:1.3}"
    ".ptsim-app .widget-hslider>.widget-label,.ptsim-app .widget-toggle-buttons>.widget-label,"
    ".ptsim-app .widget-dropdown>.widget-label"
    "{text-align:left;max-width:100%;margin-right:0;box-sizing:border-box}"
    ".ptsim-app .widget-toggle-button{max-width:100%;white-space:normal;height:auto;min-height:28px}"
    ".ptsim-app .widget-dropdown>select{height:var(--jp-widgets-inline-height,28px)}"
    "</style>"
)
"""CSS each app carries (in its header): a label longer than the column of controls wraps onto a
second line instead of being cut off with an ellipsis, and a label on its own line above a slider
starts at the column's left edge and ends inside it (ipywidgets right-aligns it with a margin that,
at 100 % width, pushed its last characters out of the column); a toggle button's option wraps rather
than ending in an ellipsis. The widgets' own ``style`` cannot say these."""


NUMBERS_TITLE = "The numbers behind the figure (open once you have made your prediction)"
"""The title of the collapsed panel holding an app's table: predict, then reveal."""

CONTROLS_BOX = {"flex": "1 1 280px", "min_width": "260px", "max_width": "420px"}
FIGURE_BOX = {"flex": "1 1 960px", "min_width": "0"}
"""How an app lays out its controls and its figure (CSS flex): side by side when the cell holds both
(about 1 240 px), otherwise the figure wraps below the controls and takes the cell's full width, so
that its 12-point text stays at least 12 px on a projector's 1024 x 768."""


def check_specs(specs: dict[str, dict], compute: Callable) -> None:
    """Check that control specs name exactly the keyword arguments of an app's compute function.

    Raises
    ------
    ValueError
        A control the function does not take, or an argument without a default that no control
        gives, naming both sides.
    """
    params = inspect.signature(compute).parameters
    named = {n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    required = {n for n in named if params[n].default is inspect.Parameter.empty}
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    extra = [] if takes_any else sorted(set(specs) - named)
    missing = sorted(required - set(specs))
    if extra or missing:
        what = getattr(compute, "__name__", repr(compute))
        raise ValueError(
            f"the controls do not match {what}({', '.join(named)}): "
            + (f"controls it does not take: {', '.join(extra)}; " if extra else "")
            + (f"arguments no control gives: {', '.join(missing)}" if missing else "")
        )


def build_controls(specs: dict[str, dict]) -> dict[str, widgets.Widget]:
    """Controls from a dict of specs, in the dict's order (see :func:`make_control`)."""
    return {name: make_control(name, spec) for name, spec in specs.items()}


SMALL_TEXT = "max(12px, 0.9em)"
"""The CSS font size of an app's captions: a little smaller than the text, never below 12 px as rendered."""

TABLE_DECIMALS = 2
"""Every number with a fraction in an app's table has this many decimals (units are in the labels)."""


def table_html(df, caption: str = "") -> str:
    """A DataFrame as a compact HTML table for the apps, every fractional number with the same decimals."""
    body = df.to_html(
        border=0, classes="ptsim-table", na_rep="", float_format=lambda x: f"{x:.{TABLE_DECIMALS}f}"
    )
    cap = f"<div style='font-size:{SMALL_TEXT};color:#444'>{html.escape(caption)}</div>" if caption else ""
    style = (
        "<style>.ptsim-table{border-collapse:collapse;font-size:14px;max-width:100%}"
        ".ptsim-table td,.ptsim-table th{padding:2px 8px;text-align:right}"
        ".ptsim-table th{white-space:normal;overflow-wrap:anywhere}"
        ".ptsim-table-view{overflow-x:auto;max-width:100%}</style>"
    )
    return style + cap + body


def figure_png(fig, dpi: int | None = None) -> bytes:
    """A figure rendered to PNG bytes (what the app's image shows), at the suite's screen dpi."""
    from ptsim.teaching.plotting import png_bytes

    return png_bytes(fig, dpi)


class App(widgets.HBox):
    """A lesson app: controls, a figure, a table, a status line and an error message.

    Parameters
    ----------
    title : str
        Shown above the controls.
    specs : dict
        Control specs (see :func:`make_control`).
    compute : callable
        ``compute(**values) -> (table, figure, caption, alt)``: ``alt`` is a one-line description
        of the figure (the image's alt text, also shown under it). Raises ``ValueError`` with a short,
        helpful message for an invalid combination. Its keyword arguments must be the controls
        (:func:`check_specs`; for a ``compute(**values)``, pass ``signature``).
    busy_text : callable, optional
        ``busy_text(**values) -> str`` shown while computing.
    on_values : callable, optional
        ``on_values(app, values)`` called before computing (e.g. to disable a control that does
        not apply).
    signature : callable, optional
        The function whose keyword arguments the controls must match, when ``compute`` takes
        ``**values`` (usually the ``*_table`` function it calls).
    dpi : int, optional
        Resolution of the figure's image (default: the suite's screen dpi).
    """

    def __init__(
        self,
        title: str,
        specs: dict,
        compute: Callable,
        busy_text: Callable | None = None,
        on_values: Callable | None = None,
        signature: Callable | None = None,
        dpi: int | None = None,
    ):
        if signature is None:
            check_specs(specs, compute)
        else:  # controls compute names itself, then the rest against the signature it passes them to
            own = {
                n
                for n, p in inspect.signature(compute).parameters.items()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and n != "fig"
            }
            check_specs({k: s for k, s in specs.items() if k not in own}, signature)
        self.specs = specs
        self._reuses_figure = "fig" in inspect.signature(compute).parameters
        # a compute that takes ``progress`` reports each chunk of patients in the busy line
        self._reports_progress = "progress" in inspect.signature(compute).parameters
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
        self.alt = ""
        self.error: str | None = None
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="100%"))
        self.alt_text = widgets.HTML(value="")
        self.table = widgets.HTML()
        # predict, then reveal: the figure's one-line description and the table state the numbers
        self.reveal = widgets.Accordion(
            children=[widgets.VBox([self.alt_text, self.table])], selected_index=None
        )
        self.reveal.set_title(0, NUMBERS_TITLE)
        self.status = widgets.Label(value="")
        self.message = widgets.HTML(value="")
        header = widgets.HTML(LABEL_STYLE + f"<b>{html.escape(title)}</b>")
        left = widgets.VBox(
            [header, *self.controls.values(), self.status, self.message],
            layout=widgets.Layout(**CONTROLS_BOX),
        )
        right = widgets.VBox([self.image, self.reveal], layout=widgets.Layout(**FIGURE_BOX))
        super().__init__([left, right], layout=widgets.Layout(flex_flow="row wrap", width="100%"))
        # CSS classes name the parts in the page (the dashboard's browser test finds them by these).
        self.add_class("ptsim-app")
        self.image.add_class("ptsim-figure")
        self.alt_text.add_class("ptsim-alt")
        self.table.add_class("ptsim-table-view")
        self.reveal.add_class("ptsim-reveal")
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
        busy = "\u23f3 " + self._busy_text(**values)
        self.status.value = busy  # shown while it works
        start = time.perf_counter()
        try:
            extra: dict = {"fig": self.figure} if self._reuses_figure else {}  # update it in place
            if self._reports_progress:

                def progress(done, total, plan):
                    # (done, total: chunks of patients over all plans, as ptsim.compare counts them)
                    self.status.value = f"{busy} {done} of {total} parts done ({plan.replace('_', ' ')})"

                extra["progress"] = progress
            numbers, fig, caption, alt = self._compute(**values, **extra)
        except ValueError as exc:
            self._fail(str(exc))
            return None
        self.error = None
        self.message.value = ""
        self.figure, self.numbers, self.caption, self.alt = fig, numbers, caption, alt
        self.image.value = figure_png(fig, self._dpi)
        self.alt_text.value = (
            f"<div style='font-size:{SMALL_TEXT};color:#444'><i>Figure:</i> {html.escape(alt)}</div>"
        )
        self.table.value = table_html(numbers, caption)
        self.status.value = f"Updated in {time.perf_counter() - start:.1f} s."
        return numbers

    def _resolve_aliases(self, values: dict) -> dict:
        """``values`` with a control's former names (its spec's ``aliases``) read as its name."""
        names = {old: name for name, spec in self.specs.items() for old in spec.get("aliases", ())}
        resolved: dict = {}
        for key, value in values.items():
            name = names.get(key, key)
            if name in resolved:
                raise ValueError(f"{key!r} and {name!r} name the same control; give it once, as {name!r}")
            resolved[name] = value
        return resolved

    def update(self, **values):
        """Set the controls (others to their defaults), recompute and redraw. A control's former name
        (its spec's ``aliases``, e.g. ``maintenance_days_per_week``) is accepted for it.

        Returns
        -------
        pandas.DataFrame or None
            The table the app shows, or None if the values are invalid (the app then shows a short
            message, also in ``app.error``).
        """
        values = self._resolve_aliases(values)
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


def _busy(patients: int, plans: int, days: int, members: int = 1) -> str:
    each = f" x {members} evidence members" if members > 1 else ""
    return f"Simulating {patients} patients{each} x {plans} plans x {days} days..."
