"""Figures and tables of one patient's forecast (:func:`ptsim.forecast`), for the CLI, the app and
lesson 10.

One large figure per outcome: the patient's measured visits as black dots, then for each plan the
median of what the instruments would read (the plan's colour and line style, as everywhere in the
suite) with its 50 % predictive interval as a band and its 90 % interval as thin lines; the day the
plans start is marked. The framing (a model forecast for teaching, not clinical advice) is printed
under every figure.
"""

from __future__ import annotations

import textwrap

import numpy as np

from ptsim.analysis.forecast import FORECAST_NOTE, Forecast, mcid_text
from ptsim.teaching.plotting import _figure, outcome_label, outcome_limits, plan_style, styled

SHORT_NOTE = (
    "A model forecast for teaching and exploration, not clinical advice "
    "(the model's checks against trials, held-out results included: docs/evidence_report.md)."
)
"""The framing printed under every forecast figure (the full text is :data:`FORECAST_NOTE`)."""


def forecast_outcomes(fc: Forecast) -> list[str]:
    """The outcomes a forecast can show, in the suite's order (the questionnaire last)."""
    return fc.outcomes


def _check_outcome(fc: Forecast, outcome: str) -> str:
    q = fc.condition.questionnaire
    if outcome == "questionnaire" and q is not None:
        outcome = q.name
    if outcome not in fc.outcomes:
        raise ValueError(f"outcome must be one of {', '.join(fc.outcomes)}, got {outcome!r}")
    return outcome


def observed(fc: Forecast, outcome: str) -> tuple[np.ndarray, np.ndarray]:
    """The visit days and readings of ``outcome`` (empty when no visit measured it)."""
    from ptsim.analysis.forecast import visit_columns

    for col, spec in visit_columns(fc.condition).items():
        if spec.outcome == outcome and col in fc.visits.readings:
            values = fc.visits.readings[col]
            keep = ~np.isnan(values)
            return fc.visits.day[keep], values[keep]
    return np.array([], dtype=np.int64), np.array([])


@styled
def plot_forecast(fc: Forecast, outcome: str = "pain", plans=None, title=None, fig=None, intervals=(50, 90)):
    """One outcome's forecast under each plan, after the patient's measured visits.

    Parameters
    ----------
    fc : Forecast
    outcome : str
        ``rom``, ``pain``, ``strength``, ``function`` or the questionnaire (its name or
        ``"questionnaire"``).
    plans : list of str, optional
        Plans to draw (default all of the forecast's).
    title : str, optional
    fig : matplotlib Figure, optional
        Drawn into (cleared first), e.g. an app's figure; a new 10 x 6 inch figure otherwise.
    intervals : tuple of int
        Which predictive intervals to draw: 50 as bands, 90 as thin lines (default both).

    Returns
    -------
    matplotlib.figure.Figure
    """
    outcome = _check_outcome(fc, outcome)
    names = list(fc.plans) if plans is None else list(plans)
    unknown = [p for p in names if p not in fc.plans]
    if unknown:
        raise ValueError(f"plans {unknown} were not forecast; accepted: {', '.join(fc.plans)}")
    if fig is None:
        fig, _, _ = _figure(1, 1, (10, 6))
    else:
        fig.clear()
    ax = fig.add_subplot(1, 1, 1)
    course = fc.course[fc.course["outcome"] == outcome]
    for i, name in enumerate(names):
        c = course[course["plan"] == name]
        style = plan_style(name, i)
        ax.plot(c["day"], c["median"], color=style["color"], ls=style["ls"], label=style["label"])
        if 50 in intervals:
            ax.fill_between(c["day"], c["low_50"], c["high_50"], color=style["color"], alpha=0.18, lw=0)
        if 90 in intervals:
            for col in ("low_90", "high_90"):
                ax.plot(c["day"], c[col], color=style["color"], lw=0.9, ls=":")
    days, values = observed(fc, outcome)
    if len(days):
        ax.plot(days, values, "o", color="black", ms=8, label="measured visits", zorder=5)
    ax.axvline(fc.switch_day, color="k", ls="--", lw=1)
    ax.text(fc.switch_day, 1.0, " plans start", transform=ax.get_xaxis_transform(), va="top", ha="left")
    ax.set_xlim(0, int(course["day"].max()))
    ax.set_ylim(*outcome_limits(outcome, fc.condition))
    ax.set_xlabel("Day (day 0 = first session)")
    ax.set_ylabel(outcome_label(outcome, fc.condition))
    bands = " and ".join(
        {50: "50 % interval (band)", 90: "90 % interval (dotted)"}[k] for k in intervals if k in (50, 90)
    )
    ax.set_title(title or f"What the instruments would read: median, {bands}")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=min(4, len(names) + 1), frameon=False)
    fig.text(0.01, 0.0, textwrap.fill(SHORT_NOTE, 120), fontsize=12, va="bottom", ha="left")
    fig.get_layout_engine().set(h_pad=0.3)
    return fig


def horizon_table(fc: Forecast, outcome: str, days_after=None):
    """A readable table of one outcome: per plan, the median with its 50 % and 90 % intervals, the
    probability of an MCID improvement and of a setback, at the days given (default: 6 weeks after
    the last visit and the horizon).

    Returns
    -------
    pandas.DataFrame
        One row a plan; text cells (numbers to the instrument's sensible precision).
    """
    import pandas as pd

    outcome = _check_outcome(fc, outcome)
    if days_after is None:
        days_after = sorted({min(42, fc.horizon_days), fc.horizon_days})
    summary = fc.summary(days=[fc.visits.last_day + a for a in days_after])
    rows = summary[summary["outcome"] == outcome]
    digits = 0 if outcome in ("pain", "rom") else 1
    out = []
    for name in fc.plans:
        row: dict[str, str] = {"plan": name.replace("_", " ")}
        for _, r in rows[rows["plan"] == name].iterrows():
            when = f"+{int(r['days_after_last_visit'])} d"
            row[f"{when}: median [50 %] (90 %)"] = (
                f"{r['median']:.{digits}f} [{r['low_50']:.{digits}f}-{r['high_50']:.{digits}f}] "
                f"({r['low_90']:.{digits}f}-{r['high_90']:.{digits}f})"
            )
            if not np.isnan(r["p_mcid"]):
                row[f"{when}: P(MCID)"] = f"{r['p_mcid']:.0%}"
            row[f"{when}: P(setback)"] = f"{r['p_setback']:.0%}"
        out.append(row)
    return pd.DataFrame(out)


def mcid_caption(fc: Forecast, outcome: str) -> str:
    """What "P(MCID)" means for an outcome, in one sentence."""
    outcome = _check_outcome(fc, outcome)
    text = mcid_text(fc.condition, outcome)
    if not text:
        return f"{outcome}: ptsim's evidence tables give no MCID, so no probability of an important change."
    return f"P(MCID): the probability that the reading has improved from the first visit by at least {text}."


__all__ = ["FORECAST_NOTE", "SHORT_NOTE", "horizon_table", "mcid_caption", "observed", "plot_forecast"]
