"""Matplotlib figures for ptsim results. Functions return the Figure; none calls ``plt.show()``.

One palette for the plans is used across the whole suite (``PLAN_COLORS``), so a plan has the same
colour in every lesson, the dashboard and the command line's figures.
"""

from __future__ import annotations

import numpy as np

from .simulate import OUTCOMES

PLAN_COLORS = {
    "usual_care": "#7f7f7f",
    "massage_only": "#bcbd22",
    "manual_only": "#1f77b4",
    "exercise_only": "#2ca02c",
    "combined": "#d62728",
    "combined_reversed": "#9467bd",
}
"""Colour of each standard plan (colour-blind-aware tab10 choices); other plans cycle through
``EXTRA_COLORS``."""
EXTRA_COLORS = ("#ff7f0e", "#8c564b", "#e377c2", "#17becf")

OUTCOME_LABELS = {
    "rom": "ROM (deg)",
    "pain": "Pain (NPRS 0-10)",
    "strength": "Strength (% of normal)",
    "function": "Function (0-100)",
}


def plan_color(name: str, index: int = 0) -> str:
    """The suite's colour for a plan name (a fixed colour for the standard plans)."""
    return PLAN_COLORS.get(name, EXTRA_COLORS[index % len(EXTRA_COLORS)])


def _figure(nrows, ncols, figsize):
    from matplotlib.figure import Figure

    # A bare Figure (not pyplot) leaves no global state behind and is safe in servers and threads.
    return Figure(figsize=figsize, layout="constrained"), nrows, ncols


def plot_trajectories(results, outcomes=("pain", "rom", "strength", "function"), band=(10, 90), title=None):
    """Mean trajectory of each plan with a band for the spread across patients.

    Parameters
    ----------
    results : Comparison or mapping of name to Result
    outcomes : sequence of str
        Which outcomes to draw, one panel each.
    band : (float, float) or None
        Percentiles of the cohort drawn as a shaded band (default 10th-90th), or None.
    title : str, optional
        Figure title (default: the condition and cohort size).

    Returns
    -------
    matplotlib.figure.Figure
    """
    for o in outcomes:
        if o not in OUTCOMES:
            raise ValueError(f"unknown outcome {o!r}; accepted: {', '.join(OUTCOMES)}")
    items = list(results.items())
    if not items:
        raise ValueError("results is empty: nothing to plot")
    fig, _, _ = _figure(1, 1, (4.2 * min(len(outcomes), 2), 3.2 * ((len(outcomes) + 1) // 2)))
    ncols = 2 if len(outcomes) > 1 else 1
    axes = fig.subplots((len(outcomes) + ncols - 1) // ncols, ncols, squeeze=False).ravel()
    first = items[0][1]
    for ax, outcome in zip(axes, outcomes, strict=False):
        for i, (name, res) in enumerate(items):
            values = res.outcome(outcome)
            color = plan_color(name, i)
            ax.plot(res.day, values.mean(axis=0), color=color, lw=2, label=name.replace("_", " "))
            if band is not None and res.n_patients > 1:
                lo, hi = np.percentile(values, band, axis=0)
                ax.fill_between(res.day, lo, hi, color=color, alpha=0.12, lw=0)
        ax.axvline(first.discharge_day, color="k", ls="--", lw=1)
        ax.text(
            first.discharge_day,
            1.0,
            " discharge",
            transform=ax.get_xaxis_transform(),
            va="top",
            ha="left",
            fontsize=8,
        )
        ax.set_xlabel("Day (0 = first session)")
        label = OUTCOME_LABELS[outcome]
        if outcome == "rom":
            label = f"{first.condition.rom_measure.capitalize()} (deg)"
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    for ax in axes[len(outcomes) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=8, loc="best")
    if title is None:
        shown = f"mean and {band[0]:g}th-{band[1]:g}th percentile band" if band else "mean"
        title = f"{first.condition.title}: {first.n_patients} virtual patients ({shown})"
    fig.suptitle(title, fontsize=11)
    return fig


def plot_session(trace, title=None):
    """A session minute by minute: ROM and pain, with the components shaded.

    Parameters
    ----------
    trace : pandas.DataFrame
        From :func:`ptsim.trace_session`.
    """
    fig, _, _ = _figure(1, 1, (8, 4.5))
    ax_rom, ax_pain = fig.subplots(2, 1, sharex=True)
    ax_rom.plot(trace.minute, trace.rom_deg, color="#1f77b4", lw=2, label="ROM now")
    ax_rom.plot(
        trace.minute,
        trace.durable_rom_deg,
        color="k",
        ls=":",
        lw=1.5,
        label="durable range (window closed, no guarding)",
    )
    ax_pain.plot(trace.minute, trace.pain_nprs, color="#d62728", lw=2)
    short = {
        "joint_mobilization": "joint\nmob.",
        "soft_tissue_mobilization": "STM",
        "myofascial_release": "MFR",
        "education": "edu.",
    }
    shades = {"exercise": "#2ca02c", "massage": "#bcbd22", "education": "#cccccc", "rest": "#ffffff"}
    comp = trace.component.to_numpy()
    minutes = trace.minute.to_numpy()
    start = 0.0
    for i in range(1, len(trace)):
        if i == len(trace) - 1 or comp[i + 1] != comp[i]:
            color = shades.get(comp[i], "#1f77b4")
            for ax in (ax_rom, ax_pain):
                ax.axvspan(start, minutes[i], color=color, alpha=0.12, lw=0)
            ax_rom.text(
                (start + minutes[i]) / 2,
                1.0,
                short.get(comp[i], comp[i]),
                rotation=0,
                transform=ax_rom.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=7,
            )
            start = minutes[i]
    ax_rom.set_ylabel("ROM (deg)")
    ax_rom.legend(fontsize=8, loc="lower right")
    ax_pain.set_ylabel("Pain (NPRS 0-10)")
    ax_pain.set_xlabel("Minutes from the start of the session")
    for ax in (ax_rom, ax_pain):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plot_evidence(report, ncols: int = 4, title=None):
    """Model versus published numbers: one small panel per target, with the published interval.

    Each panel shows the published value with its interval as an error bar (black) and the value the
    model simulates (red dot if within the interval, orange cross if not). Targets kept in view as
    known gaps (``use == "known_gap"``) have a grey panel background.

    Parameters
    ----------
    report : pandas.DataFrame
        From :func:`ptsim.calibrate.report` (columns ``condition, target, published, simulated,
        low, high, within, unit``; ``use`` optional).
    ncols : int
        Panels per row (>= 1).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    needed = {"condition", "target", "published", "simulated", "low", "high", "within", "unit"}
    missing = needed - set(getattr(report, "columns", ()))
    if missing:
        raise ValueError(
            f"report lacks column(s) {', '.join(sorted(missing))}; pass the DataFrame of "
            "ptsim.calibrate.report()"
        )
    if len(report) == 0:
        raise ValueError("report is empty: nothing to plot")
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a whole number >= 1, got {ncols!r}")
    n = len(report)
    ncols = min(ncols, n)
    nrows = (n + ncols - 1) // ncols
    fig, _, _ = _figure(1, 1, (3.0 * ncols, 2.3 * nrows + 0.6))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, (_, row) in zip(axes, report.iterrows(), strict=False):
        pub, lo, hi = row["published"], row["low"], row["high"]
        ax.errorbar(
            [0], [pub], yerr=[[pub - lo], [hi - pub]], fmt="s", color="k", capsize=5, label="published"
        )
        sim = row["simulated"]
        if np.isfinite(sim):
            ok = bool(row["within"])
            ax.plot(
                [1],
                [sim],
                "o" if ok else "X",
                color="#d62728" if ok else "#ff7f0e",
                ms=8,
                label="model" + ("" if ok else " (outside)"),
            )
        else:
            ax.text(1, pub, "model:\nundefined", ha="center", va="center", fontsize=7)
        ax.set_xlim(-0.6, 1.6)
        ax.set_xticks([0, 1], ["published", "model"], fontsize=7)
        ax.set_ylabel(str(row["unit"]), fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(f"{row['target']}\n({row['condition']})", fontsize=7)
        ax.grid(alpha=0.3, axis="y")
        if row.get("use", "calibration") == "known_gap":
            ax.set_facecolor("#eeeeee")
    for ax in axes[n:]:
        ax.set_visible(False)
    within = int(report["within"].sum())
    gaps = (
        " (grey panels: known gaps, reported but not fitted)"
        if "use" in report and (report["use"] == "known_gap").any()
        else ""
    )
    fig.suptitle(
        title or f"Model vs published: {within} of {n} targets within the published interval{gaps}",
        fontsize=11,
    )
    return fig
