"""Matplotlib figures for ptsim results. Functions return the Figure; none calls ``plt.show()``.

One palette for the plans is used across the whole suite (``PLAN_COLORS``), so a plan has the same
colour in every lesson, the dashboard and the command line's figures.
"""

from __future__ import annotations

import numpy as np

from ptsim.core.vocabulary import OUTCOMES
from ptsim.engine.simulate import outcome_names, outcome_unit

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


def figure_file_types() -> tuple[str, ...]:
    """The file extensions matplotlib can save a figure as (``png``, ``pdf``, ``svg``, ...)."""
    from matplotlib.backend_bases import FigureCanvasBase

    return tuple(sorted(FigureCanvasBase.get_supported_filetypes()))


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
    items = list(results.items())
    if not items:
        raise ValueError("results is empty: nothing to plot")
    accepted = outcome_names(items[0][1].condition)  # OUTCOMES and the condition's questionnaire
    for o in outcomes:
        if o not in accepted:
            raise ValueError(f"unknown outcome {o!r}; accepted: {', '.join(accepted)}")
    fig, _, _ = _figure(1, 1, (4.2 * min(len(outcomes), 2), 3.2 * ((len(outcomes) + 1) // 2)))
    ncols = 2 if len(outcomes) > 1 else 1
    axes = fig.subplots((len(outcomes) + ncols - 1) // ncols, ncols, squeeze=False).ravel()
    first = items[0][1]
    for ax, outcome in zip(axes, outcomes, strict=False):
        for i, (name, res) in enumerate(items):
            # the pre-treatment values (the same patients in every plan) at day -1, then each day
            values = np.column_stack([res.baseline(outcome), res.outcome(outcome)])
            day = np.concatenate([[-1], res.day])
            color = plan_color(name, i)
            ax.plot(day, values.mean(axis=0), color=color, lw=2, label=name.replace("_", " "))
            if band is not None and res.n_patients > 1:
                lo, hi = np.percentile(values, band, axis=0)
                ax.fill_between(day, lo, hi, color=color, alpha=0.12, lw=0)
        ax.plot([-1], [first.baseline(outcome).mean()], "ko", ms=4, label="before care")
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
        ax.set_xlabel("Day (0 = first session; the dot: before care)")
        label = OUTCOMES[outcome].label if outcome in OUTCOMES else outcome_unit(first.condition, outcome)
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


def plot_session(trace, title=None, reference=None, reference_label="reference"):
    """A session minute by minute: ROM and pain, with the components shaded.

    Parameters
    ----------
    trace : pandas.DataFrame
        From :func:`ptsim.trace_session`.
    title : str, optional
    reference : pandas.DataFrame, optional
        Another trace (e.g. the same minutes in the other order) drawn thin and grey for comparison.
    reference_label : str
        Legend label of the reference trace.
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
    ax_pain.plot(trace.minute, trace.pain_nprs, color="#d62728", lw=2, label="this session")
    if reference is not None:
        ax_rom.plot(
            reference.minute, reference.rom_deg, color="0.55", lw=1, label=f"ROM now, {reference_label}"
        )
        ax_rom.plot(
            reference.minute,
            reference.durable_rom_deg,
            color="0.55",
            ls=":",
            lw=1,
            label=f"durable range, {reference_label}",
        )
        ax_pain.plot(reference.minute, reference.pain_nprs, color="0.55", lw=1, label=reference_label)
        ax_pain.legend(fontsize=8, loc="upper right")
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


# ---------------------------------------------------------------------------------------------------
# Lesson figures (used by ptsim.teaching.widgets and the notebooks)

TISSUE_LABELS = {"capsule": "joint capsule", "muscle_tendon": "muscle-tendon", "fascia": "fascia"}


def _mark_discharge(ax, day, label=" discharge"):
    ax.axvline(day, color="k", ls="--", lw=1)
    ax.text(day, 1.0, label, transform=ax.get_xaxis_transform(), va="top", ha="left", fontsize=8)


def plot_technique(trace, tissues, title=None, color="#1f77b4"):
    """One hands-on technique: ROM and pain minute by minute, and what it did to each tissue.

    Parameters
    ----------
    trace : pandas.DataFrame
        From :func:`ptsim.trace_session` (the technique, then rest).
    tissues : pandas.DataFrame
        Indexed by tissue name (``capsule``, ``muscle_tendon``, ``fascia``) with columns
        ``released_now_deg`` (range released straight after the technique) and
        ``durable_week_deg`` (durable range gained after a week of sessions, against no treatment).
    title : str, optional
    color : str
        Colour of the technique's lines and bars.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, _, _ = _figure(1, 3, (11, 3.4))
    ax_rom, ax_pain, ax_bar = fig.subplots(1, 3)
    ax_rom.plot(trace.minute, trace.rom_deg, color=color, lw=2, label="ROM now")
    ax_rom.plot(trace.minute, trace.durable_rom_deg, color="k", ls=":", lw=1.5, label="durable range")
    ax_pain.plot(trace.minute, trace.pain_nprs, color="#d62728", lw=2)
    end = trace.loc[trace.component != "rest", "minute"].max()
    for ax in (ax_rom, ax_pain):
        ax.axvspan(0, end, color=color, alpha=0.12, lw=0)
        ax.set_xlabel("Minutes from the start of the session")
        ax.grid(alpha=0.3)
    ax_rom.set_ylabel("ROM (deg)")
    ax_rom.set_title("Range of motion", fontsize=10)
    ax_rom.legend(fontsize=8, loc="lower right")
    ax_pain.set_ylabel("Pain (NPRS 0-10)")
    ax_pain.set_title("Pain", fontsize=10)
    x = np.arange(len(tissues))
    ax_bar.bar(
        x - 0.2, tissues["released_now_deg"], 0.4, color=color, alpha=0.45, label="released straight after"
    )
    ax_bar.bar(x + 0.2, tissues["durable_week_deg"], 0.4, color=color, label="durable after a week")
    ax_bar.set_xticks(x, [TISSUE_LABELS.get(t, t) for t in tissues.index], fontsize=8)
    ax_bar.set_ylabel("Range gained (deg)")
    ax_bar.set_title("What it acts on", fontsize=10)
    ax_bar.axhline(0, color="k", lw=0.8)
    ax_bar.legend(fontsize=8)
    ax_bar.grid(alpha=0.3, axis="y")
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plot_capacity(components, discharge_day, title=None):
    """Strength built by exercise, split into baseline, neural and structural gains, less fatigue.

    Parameters
    ----------
    components : pandas.DataFrame
        From :func:`ptsim.teaching.lessons.capacity_components`: columns ``day``, ``baseline_pct_normal``,
        ``neural_pct_normal``, ``structural_pct_normal``, ``fatigue_pct_normal`` and
        ``strength_pct_normal`` (cohort means).
    discharge_day : int
        Day the programme stops (marked).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, _, _ = _figure(1, 1, (8, 3.8))
    ax = fig.subplots()
    d = components["day"].to_numpy()
    base = components["baseline_pct_normal"].to_numpy()
    neural = components["neural_pct_normal"].to_numpy()
    structural = components["structural_pct_normal"].to_numpy()
    ax.fill_between(d, 0, base, color="0.85", lw=0, label="baseline strength")
    ax.fill_between(d, base, base + neural, color="#2ca02c", alpha=0.35, lw=0, label="neural gain")
    ax.fill_between(
        d,
        base + neural,
        base + neural + structural,
        color="#2ca02c",
        alpha=0.75,
        lw=0,
        label="structural (hypertrophy) gain",
    )
    ax.plot(d, components["strength_pct_normal"], color="k", lw=2, label="strength today (less fatigue)")
    _mark_discharge(ax, discharge_day, " programme ends")
    ymin = max(0.0, float(base.min()) - 15)
    ax.set_ylim(ymin, max(100.0, float((base + neural + structural).max()) + 5))
    ax.set_xlabel("Day (0 = first session)")
    ax.set_ylabel("Strength (% of normal)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(title or "Where strength comes from (cohort mean)", fontsize=11)
    return fig


def plot_pain_gating(tolerance_curve, patients, groups, discharge_day, flare_zone_nprs, title=None):
    """How pain gates exercise: the tolerance curve, dose done per patient, pain by baseline group.

    Parameters
    ----------
    tolerance_curve : pandas.DataFrame
        Columns ``pain_nprs`` and ``dose_share`` (share of the prescribed dose completed).
    patients : pandas.DataFrame
        One row a patient: ``pain_baseline_nprs``, ``dose_done_min`` (effective exercise minutes
        during care) and ``flares``.
    groups : dict of str to (day array, mean pain array)
        Mean pain over time for groups of patients (e.g. by baseline pain).
    discharge_day : int
    flare_zone_nprs : (float, float) or None
        Range of pain before exercise in which the prescribed exercise goes above the pain-monitoring
        ceiling (and may flare), or None if it never does.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, _, _ = _figure(1, 3, (12, 3.6))
    ax_tol, ax_dose, ax_pain = fig.subplots(1, 3)
    ax_tol.plot(tolerance_curve.pain_nprs, 100 * tolerance_curve.dose_share, color="#2ca02c", lw=2)
    if flare_zone_nprs is not None:
        lo, hi = flare_zone_nprs
        ax_tol.axvspan(lo, hi, color="#d62728", alpha=0.12, lw=0)
        ax_tol.text(
            min(lo + 0.2, 8.5),
            5,
            "exercise may flare\n(above the pain-\nmonitoring ceiling)",
            fontsize=8,
            color="#d62728",
        )
    ax_tol.set_xlim(0, 10)
    ax_tol.set_ylim(0, 105)
    ax_tol.set_xlabel("Pain before exercising (NPRS 0-10)")
    ax_tol.set_ylabel("Prescribed dose completed (%)")
    ax_tol.set_title("Tolerance", fontsize=10)
    flared = patients.flares.to_numpy() > 0
    ax_dose.scatter(
        patients.pain_baseline_nprs[~flared],
        patients.dose_done_min[~flared],
        s=10,
        color="#2ca02c",
        label="no flare",
    )
    ax_dose.scatter(
        patients.pain_baseline_nprs[flared],
        patients.dose_done_min[flared],
        s=10,
        color="#d62728",
        label="flared",
    )
    ax_dose.set_xlabel("Pain at baseline (NPRS 0-10)")
    ax_dose.set_ylabel("Effective exercise during care (min)")
    ax_dose.set_title("Dose done, one dot a patient", fontsize=10)
    ax_dose.legend(fontsize=8)
    for (label, (days, pain)), shade in zip(groups.items(), ("#9ecae1", "#4292c6", "#08519c"), strict=False):
        ax_pain.plot(days, pain, color=shade, lw=2, label=label)
    _mark_discharge(ax_pain, discharge_day)
    ax_pain.set_xlabel("Day (0 = first session)")
    ax_pain.set_ylabel("Pain (NPRS 0-10)")
    ax_pain.set_title("Pain by baseline group", fontsize=10)
    ax_pain.legend(fontsize=8)
    for ax in (ax_tol, ax_dose, ax_pain):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plot_setbacks(results, title=None):
    """After discharge: the share of patients with at least one setback, and mean pain, per plan.

    Parameters
    ----------
    results : Comparison or mapping of name to Result

    Returns
    -------
    matplotlib.figure.Figure
    """
    items = list(results.items())
    if not items:
        raise ValueError("results is empty: nothing to plot")
    fig, _, _ = _figure(1, 2, (10, 3.6))
    ax_cum, ax_pain = fig.subplots(1, 2)
    first = items[0][1]
    for i, (name, res) in enumerate(items):
        color = plan_color(name, i)
        ever = np.cumsum(res.setback_events, axis=1) > 0
        ax_cum.step(
            res.day, 100 * ever.mean(axis=0), where="post", color=color, lw=2, label=name.replace("_", " ")
        )
        ax_pain.plot(res.day, res.pain.mean(axis=0), color=color, lw=2, label=name.replace("_", " "))
    for ax in (ax_cum, ax_pain):
        _mark_discharge(ax, first.discharge_day)
        ax.set_xlabel("Day (0 = first session)")
        ax.grid(alpha=0.3)
    ax_cum.set_ylabel("Patients with a setback (%)")
    ax_cum.set_title("At least one setback since discharge", fontsize=10)
    ax_cum.legend(fontsize=8, loc="center left")
    ax_pain.set_ylabel("Pain (NPRS 0-10), mean")
    ax_pain.set_title("Pain", fontsize=10)
    fig.suptitle(title or f"{first.condition.title}: {first.n_patients} virtual patients", fontsize=11)
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


def plot_trials(trials, truth, reference, arm, outcome="pain", lower_is_better=None, shown=40, title=None):
    """Many small trials of the same two plans: each trial's estimate and 95 % CI, and their spread.

    Left: the first ``shown`` trials as a forest plot (estimate with its CI), coloured by the plan the
    estimate favours (the suite's plan colours), with no difference (0) and the true difference marked.
    Right: a histogram of all the trials' estimates.

    Parameters
    ----------
    trials : pandas.DataFrame
        ``estimate, ci_low, ci_high, p_value`` per trial (:func:`ptsim.teaching.lessons.trial_estimates`).
    truth : float
        The true difference (``arm`` minus ``reference``).
    reference, arm : str
        Plan names (the estimate is ``arm - reference``).
    outcome : str
        ``"pain"``, ``"rom"``, ``"strength"`` or ``"function"`` (axis label).
    lower_is_better : bool, optional
        Default: True for pain only.
    shown : int
        Trials drawn in the forest plot.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; accepted: {', '.join(OUTCOMES)}")
    if len(trials) == 0:
        raise ValueError("trials is empty: nothing to plot")
    if lower_is_better is None:
        lower_is_better = OUTCOMES[outcome].lower_is_better
    est = trials["estimate"].to_numpy(float)
    favours_arm = est < 0 if lower_is_better else est > 0
    colors = np.where(favours_arm, plan_color(arm, 0), plan_color(reference, 1))
    fig, _, _ = _figure(1, 2, (9.5, 4.2))
    ax, hist = fig.subplots(1, 2, width_ratios=[1.4, 1])
    n = min(shown, len(trials))
    for i in range(n):
        row = trials.iloc[i]
        solid = row["p_value"] < 0.05
        ax.plot([row["ci_low"], row["ci_high"]], [i, i], color=colors[i], lw=1.5 if solid else 0.8)
        ax.plot(row["estimate"], i, "o", color=colors[i], ms=4, mfc=colors[i] if solid else "white")
    unit = OUTCOMES[outcome].label
    diff_label = f"{arm.replace('_', ' ')} minus {reference.replace('_', ' ')}: {unit}"
    for a in (ax, hist):
        a.axvline(0, color="k", lw=1, label="no difference")
        a.axvline(truth, color="k", ls="--", lw=1, label=f"true difference ({truth:+.2f})")
        a.set_xlabel(diff_label, fontsize=8)
        a.grid(alpha=0.3)
    ax.set_ylabel("Trial number")
    ax.set_ylim(n, -1)
    ax.set_title(f"First {n} trials: estimate and 95 % CI (filled: p < 0.05)", fontsize=9)
    bins = np.histogram_bin_edges(est, bins=20)
    hist.hist(est[favours_arm], bins=bins, color=plan_color(arm, 0), alpha=0.8, label=f"favour {arm}")
    hist.hist(
        est[~favours_arm], bins=bins, color=plan_color(reference, 1), alpha=0.8, label=f"favour {reference}"
    )
    hist.set_ylabel("Trials")
    hist.set_title(f"All {len(trials)} trials' estimates", fontsize=9)
    hist.legend(fontsize=8)
    fig.suptitle(title or f"{len(trials)} trials of {arm} against {reference}", fontsize=11)
    return fig


def plot_power(table, target=0.8, title=None):
    """Power against patients per arm, one line per comparison, with the Monte-Carlo error.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`ptsim.power` (``n_per_arm, arm, reference, power, mc_se``); an optional
        ``label`` column names each line (default ``arm vs reference``).
    target : float
        Power to mark (default 0.8).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    needed = {"n_per_arm", "arm", "reference", "power", "mc_se"}
    missing = needed - set(getattr(table, "columns", ()))
    if missing:
        raise ValueError(f"table lacks column(s) {', '.join(sorted(missing))}; pass ptsim.power()'s table")
    fig, _, _ = _figure(1, 1, (6.0, 3.8))
    ax = fig.subplots()
    labels = table["label"] if "label" in table else table["arm"] + " vs " + table["reference"]
    lines = list(table.assign(_label=labels).groupby("_label", sort=False))
    # the plan colour of the compared arm, unless two lines compare the same arm
    by_plan = len({df["arm"].iloc[0] for _, df in lines}) == len(lines)
    for i, (label, df) in enumerate(lines):
        color = plan_color(df["arm"].iloc[0], i) if by_plan else EXTRA_COLORS[i % len(EXTRA_COLORS)]
        ax.errorbar(
            df["n_per_arm"],
            100 * df["power"],
            yerr=100 * 1.96 * df["mc_se"],
            marker="o",
            capsize=3,
            color=color,
            label=label,
        )
    ax.set_xscale("log")
    ax.axhline(100 * target, color="k", ls="--", lw=1)
    ax.text(
        0.01,
        100 * target,
        f" {target:.0%} power",
        transform=ax.get_yaxis_transform(),
        va="bottom",
        fontsize=8,
    )
    sizes = sorted(int(n) for n in table["n_per_arm"].unique())
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel("Patients per arm (log scale)")
    ax.set_ylabel("Power: trials with p < 0.05 (%)")
    ax.set_ylim(0, 105)
    ax.grid(alpha=0.3)
    fig.legend(fontsize=8, loc="outside lower center")
    fig.suptitle(title or "Power by simulation (bars: 95 % Monte-Carlo interval)", fontsize=11)
    return fig
