"""The "Forecast a patient" app: type a patient's visits, choose the care so far and the plans, and
see each plan's forecast with its intervals (the dashboard and lesson 10).

Visits are typed as CSV text (``day`` and instrument columns), so students enter a case without
editing code; a mistake in the text gets the forecast's own message naming the row and column. The
forecast runs when "Forecast" is pressed (it takes seconds: thousands of candidate patients).
"""

from __future__ import annotations

import html
import io
import warnings

import ipywidgets as widgets

from ptsim.analysis.forecast import Forecast, forecast
from ptsim.inputs.plans import PLAN_NAMES
from ptsim.teaching.appkit import (
    CONTROLS_BOX,
    FIGURE_BOX,
    LABEL_STYLE,
    NUMBERS_TITLE,
    SMALL_TEXT,
    condition_spec,
    figure_png,
    make_control,
    table_html,
)
from ptsim.teaching.forecast_views import SHORT_NOTE, horizon_table, mcid_caption, plot_forecast
from ptsim.teaching.lesson10 import CASES, LESSON_PLANS, STORY

PLAN_SETS = {
    "no treatment, manual, exercise, combined": LESSON_PLANS,
    "all six standard plans": PLAN_NAMES,
    "manual, exercise, combined": ("manual_only", "exercise_only", "combined"),
}
"""The plan sets the app offers (label -> standard plan names)."""

OUTCOME_CHOICES = (
    ("Pain (NPRS)", "pain"),
    ("ROM (deg)", "rom"),
    ("Questionnaire", "questionnaire"),
    ("Strength (% of normal)", "strength"),
    ("Function (0-100)", "function"),
)


class ForecastApp(widgets.HBox):
    """Visits in, each plan's forecast out (see the module notes).

    Attributes
    ----------
    result : Forecast or None
        The last forecast (None before the first, or after an error).
    error : str or None
        The last error message shown.
    """

    def __init__(self, case: str = STORY, css_prefix: str = "ptsim"):
        if case not in CASES:
            raise ValueError(f"case must be one of {', '.join(CASES)}, got {case!r}")
        # the suite's controls (labels on a line of their own, never squeezed: appkit.make_control)
        self.case = make_control(
            "case",
            {
                "kind": "dropdown",
                "label": "Case",
                "options": [(c.title, k) for k, c in CASES.items()],
                "default": case,
            },
        )
        self.condition = make_control("condition", condition_spec(CASES[case].condition))
        self.so_far = make_control(
            "so_far",
            {
                "kind": "dropdown",
                "label": "Care so far",
                "options": list(PLAN_NAMES),
                "default": "usual_care",
            },
        )
        self.visits = widgets.Textarea(
            description="Visits (CSV)",
            rows=6,
            style={"description_width": "100%"},
            layout=widgets.Layout(width="100%", height="auto", flex_flow="row wrap"),
        )
        self.plans = make_control(
            "plans",
            {
                "kind": "dropdown",
                "label": "Plans",
                "options": list(PLAN_SETS),
                "default": next(iter(PLAN_SETS)),
            },
        )
        self.horizon = make_control(
            "horizon",
            {
                "kind": "int_slider",
                "label": "Days after the last visit",
                "min": 28,
                "max": 365,
                "step": 7,
                "default": 182,
            },
        )
        self.outcome = make_control(
            "outcome",
            {"kind": "dropdown", "label": "Figure", "options": list(OUTCOME_CHOICES), "default": "pain"},
        )
        self.button = widgets.Button(description="Forecast", button_style="primary")
        self.status = widgets.HTML()
        self.message = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="100%"))
        self.alt_text = widgets.HTML()
        self.header = widgets.HTML()
        self.table = widgets.HTML()
        help_text = widgets.HTML(
            f"<span style='font-size:{SMALL_TEXT}'>One row a visit: <code>day</code> (0 = intake, before "
            "the first session) and any of "
            "<code>pain_nprs</code>, <code>rom_deg</code>, <code>strength_pct_normal</code> and the "
            "condition's questionnaire column; leave a cell empty when it was not measured.</span>"
        )
        left = widgets.VBox(
            [
                widgets.HTML(LABEL_STYLE + "<b>Forecast a patient</b>"),
                self.case,
                self.condition,
                self.so_far,
                self.visits,
                help_text,
                self.plans,
                self.horizon,
                self.outcome,
                self.button,
                self.status,
                self.message,
            ],
            layout=widgets.Layout(**CONTROLS_BOX),
        )
        # predict, then reveal: the forecast's numbers (its description, header and table) start collapsed
        self.reveal = widgets.Accordion(
            children=[widgets.VBox([self.alt_text, self.header, self.table])], selected_index=None
        )
        self.reveal.set_title(0, NUMBERS_TITLE)
        self.reveal.add_class("ptsim-reveal")
        right = widgets.VBox([self.image, self.reveal], layout=widgets.Layout(**FIGURE_BOX))
        super().__init__([left, right], layout=widgets.Layout(flex_flow="row wrap"))
        # CSS classes name the parts in the page: the suite's ("ptsim-app", ...: the lessons' browser test
        # finds an app's figure and alt text by them), or another prefix beside another app (the dashboard)
        self.add_class(f"{css_prefix}-app")
        self.add_class("ptsim-forecast")
        self.image.add_class(f"{css_prefix}-figure")
        self.alt_text.add_class(f"{css_prefix}-alt")
        self.table.add_class(f"{css_prefix}-table-view")
        self.status.add_class(f"{css_prefix}-status")
        self.message.add_class(f"{css_prefix}-message")
        self.result: Forecast | None = None
        self.error: str | None = None
        self.figure = None
        self._load_case({"new": case})
        self.case.observe(self._load_case, names="value")
        self.button.on_click(lambda _: self.run())
        self.outcome.observe(lambda _: self._draw(), names="value")

    def _load_case(self, change) -> None:
        c = CASES[change["new"]]
        self.condition.value = c.condition
        self.so_far.value = c.so_far
        self.visits.value = c.visits.strip()

    def run(self, **values):
        """Forecast with the controls' values (``values`` set controls first, by name: ``visits``,
        ``condition``, ``so_far``, ``plans``, ``horizon``, ``outcome``, ``case``).

        Returns
        -------
        Forecast or None
            None when the visits or settings are refused (the message is shown and in ``error``).
        """
        for name, value in values.items():
            if name not in ("case", "visits", "condition", "so_far", "plans", "horizon", "outcome"):
                raise ValueError(f"unknown control {name!r}")
            getattr(self, name).value = value
        self.status.value = "\u23f3 Forecasting: weighting thousands of virtual patients by the visits..."
        try:
            import pandas as pd

            try:
                table = pd.read_csv(io.StringIO(self.visits.value), dtype=str, keep_default_na=False)
            except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
                raise ValueError(f"visits: not readable as CSV ({exc})") from None
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # cautions are part of the header shown
                fc = forecast(
                    self.condition.value,
                    table,
                    list(PLAN_SETS[self.plans.value]),
                    horizon_days=self.horizon.value,
                    so_far=self.so_far.value,
                )
        except (ValueError, FileNotFoundError) as exc:
            self.result, self.error = None, str(exc)
            self.message.value = f"<span style='color:#b00'>{html.escape(str(exc))}</span>"
            self.status.value = "Not forecast: fix the visits or settings (see the message)."
            return None
        self.result, self.error = fc, None
        self.message.value = ""
        self.status.value = f"Effective sample size {fc.ess:.0f} of {fc.n_candidates} candidate patients."
        self._draw()
        return fc

    def _draw(self) -> None:
        fc = self.result
        if fc is None:
            return
        outcome = self.outcome.value
        if outcome == "questionnaire" and fc.condition.questionnaire is None:
            outcome = "pain"
        self.figure = plot_forecast(fc, outcome, fig=self.figure)
        self.image.value = figure_png(self.figure)
        alt = alt_text(fc, outcome)
        self.alt_text.value = (
            f"<div style='font-size:{SMALL_TEXT};color:#444'><i>Figure:</i> {html.escape(alt)}</div>"
        )
        lines = html.escape(fc.header()).replace("\n", "<br>")
        self.header.value = f"<div style='font-size:{SMALL_TEXT}'>{lines}</div>"
        caption = mcid_caption(fc, outcome) + " " + SHORT_NOTE
        self.table.value = table_html(horizon_table(fc, outcome), caption)


def alt_text(fc: Forecast, outcome: str) -> str:
    """One line describing the forecast figure (the image's alt text)."""
    last = int(fc.course["day"].max())
    rows = fc.course[(fc.course["outcome"] == outcome) & (fc.course["day"] == last)]
    medians = ", ".join(
        f"{p.replace('_', ' ')} {m:.0f}" for p, m in zip(rows["plan"], rows["median"], strict=True)
    )
    return (
        f"{outcome} readings: the patient's visits as dots, then each plan's median with its 50 % and 90 % "
        f"predictive intervals from day {fc.switch_day}; medians on day {last}: {medians}."
    )


def forecast_app(case: str = STORY, css_prefix: str = "ptsim") -> ForecastApp:
    """The "Forecast a patient" app, loaded with a preset case (press Forecast, or call ``.run()``).

    ``css_prefix`` names its parts in the page (default the suite's ``ptsim-app``, ``ptsim-figure``,
    ...; the dashboard, where it sits beside the compare-plans app, uses ``ptsim-forecast``)."""
    return ForecastApp(case, css_prefix)
