"""Matplotlib figures for ptsim results. Functions return the Figure; none calls ``plt.show()``.

One palette for the plans is used across the whole suite (``PLAN_COLORS``), so a plan has the same
colour in every lesson, the dashboard and the command line's figures.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np

from ptsim.core.vocabulary import OUTCOMES
from ptsim.engine.simulate import outcome_names, outcome_unit

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
"""The Okabe-Ito palette (Okabe & Ito 2008): eight colours told apart with every common colour-vision
deficiency."""

PLAN_COLORS = {
    "usual_care": "#6E6E6E",
    "massage_only": OKABE_ITO["orange"],
    "manual_only": OKABE_ITO["blue"],
    "exercise_only": OKABE_ITO["bluish_green"],
    "combined": OKABE_ITO["vermillion"],
    "combined_reversed": OKABE_ITO["reddish_purple"],
}
"""Colour of each standard plan, the same in every lesson, the dashboard and the command line's
figures (Okabe-Ito; no treatment in grey); other plans cycle through ``EXTRA_COLORS``."""
PLAN_LINESTYLES = {
    "usual_care": ":",
    "massage_only": (0, (1, 1.5)),
    "manual_only": "--",
    "exercise_only": "-.",
    "combined": "-",
    "combined_reversed": (0, (5, 1.5, 1, 1.5, 1, 1.5)),
}
"""Line style of each standard plan, so that plans differ in more than colour (and in grey print)."""
EXTRA_COLORS = (OKABE_ITO["sky_blue"], OKABE_ITO["black"], OKABE_ITO["yellow"], "#8C564B")

OUTCOME_LABELS = {k: v.label for k, v in OUTCOMES.items()}
"""Axis label of each outcome, with its unit (the vocabulary's labels)."""

OUTCOME_LIMITS = {"pain": (0.0, 10.0), "strength": (0.0, 130.0), "function": (0.0, 100.0)}
"""Fixed y-axis of each outcome (ROM's is the condition's: 0 to its normal range), so that a change of
plan or dose moves the lines, never the scale."""

SCREEN_DPI = 100
"""Resolution of the apps' images: a 10-inch figure is 1000 pixels, shown about 880 pixels wide at
1366 x 768, where 12-point text stays at least 12 points."""

STYLE = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "figure.titlesize": 14,
    "lines.linewidth": 2.2,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.dpi": SCREEN_DPI,
    "figure.dpi": SCREEN_DPI,
}
"""The suite's figure style: projector-grade text (12 pt and up), a light grid, no box."""
MIN_FONT_PT = 12


def styled(plot):
    """Run a plotting function under the suite's ``STYLE`` (text sizes are fixed at creation)."""
    import functools

    @functools.wraps(plot)
    def wrapper(*args, **kwargs):
        import matplotlib

        with matplotlib.rc_context(STYLE):  # type: ignore[arg-type]  # keys checked by matplotlib
            return plot(*args, **kwargs)

    return wrapper


def png_bytes(fig, dpi: int | None = None) -> bytes:
    """A figure rendered to PNG bytes, as fast as an app needs it.

    At the figure's own dpi (the default) the figure is drawn with Agg and encoded here (fast zlib,
    no metadata): a figure that marks the artists an update changes (``fig._ptsim_dynamic``, as
    :func:`plot_trajectories` does) draws its static parts once and then only those artists (blitting).
    Another ``dpi`` goes through ``savefig``.
    """
    import io

    if dpi is not None and dpi != fig.dpi:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
        return buf.getvalue()
    canvas = _render(fig)
    return encode_png(np.asarray(canvas.buffer_rgba()))


def _render(fig):
    """Draw a figure on an Agg canvas: in full, or its background once and then its dynamic artists."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    dynamic = getattr(fig, "_ptsim_dynamic", None)
    if dynamic is None:
        canvas.draw()
        return canvas
    background = getattr(fig, "_ptsim_background", None)
    if background is None or background[0] != canvas.get_width_height():
        for artist in dynamic:
            artist.set_animated(True)  # left out of the full draw
        canvas.draw()
        for artist in dynamic:
            artist.set_animated(False)  # a savefig or inline display still draws everything
        fig.set_layout_engine("none")  # keep the positions the background was drawn with
        background = (canvas.get_width_height(), canvas.copy_from_bbox(fig.bbox))
        fig._ptsim_background = background
    else:
        canvas.restore_region(background[1])
    for artist in dynamic:
        fig.draw_artist(artist)
    return canvas


def encode_png(rgba) -> bytes:
    """An RGBA image array (height, width, 4) as PNG bytes (RGB, no filter, zlib level 1: fast)."""
    import struct
    import zlib

    rgba = np.asarray(rgba, dtype=np.uint8)
    height, width = rgba.shape[:2]
    raw = np.zeros((height, 1 + 3 * width), np.uint8)  # each row: filter byte 0, then RGB
    raw[:, 1:] = rgba[:, :, :3].reshape(height, 3 * width)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 1))
        + chunk(b"IEND", b"")
    )


def plan_style(name: str, index: int = 0) -> dict:
    """``color``, ``ls`` and ``label`` of a plan's line (fixed for the standard plans)."""
    return {
        "color": plan_color(name, index),
        "ls": PLAN_LINESTYLES.get(name, "-"),
        "label": name.replace("_", " "),
    }


def font_sizes(fig) -> list[float]:
    """The sizes (points) of every visible text in a figure (tests check them against MIN_FONT_PT)."""
    from matplotlib.text import Text

    return [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


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


def outcome_limits(outcome: str, condition) -> tuple[float, float]:
    """The fixed y-axis of an outcome (``OUTCOME_LIMITS``; ROM: 0 to the condition's normal range)."""
    if outcome == "rom":
        return 0.0, float(condition.rom_normal_deg) * 1.05
    if outcome in OUTCOME_LIMITS:
        return OUTCOME_LIMITS[outcome]
    q = condition.questionnaire  # its own scale (outcome_names has checked the name)
    return float(q.scale_min), float(q.scale_max)


def outcome_label(outcome: str, condition) -> str:
    """An outcome's axis label with its unit (ROM names the condition's movement)."""
    if outcome == "rom":
        return f"{condition.rom_measure.capitalize()} (deg)"
    if outcome in OUTCOME_LABELS:
        return OUTCOME_LABELS[outcome]
    return f"{condition.questionnaire.title} ({outcome_unit(condition, outcome)})"


ENSEMBLE_BAND = "patient variability and evidence uncertainty"
"""What a percentile band of an ensemble result holds (every patient under every evidence member)."""


def cohort_label(result) -> str:
    """``"200 virtual patients"``, or for an ensemble result ``"200 virtual patients x 20 evidence
    members"``."""
    members = result.members
    who = f"{result.n_cohort} virtual patients"
    return who if members is None else f"{who} x {len(members)} evidence members"


@styled
def plot_trajectories(
    results, outcomes=("pain", "rom", "strength", "function"), band=(10, 90), title=None, fig=None
):
    """Mean trajectory of each plan with a band for the spread across patients.

    Axes are fixed (``outcome_limits``; days 0 to the last day), so two figures of the same outcomes
    compare by eye. Plans keep their colour and line style everywhere (``plan_style``); the legend
    sits below the panels, outside the data.

    Parameters
    ----------
    results : Comparison or mapping of name to Result
    outcomes : sequence of str
        Which outcomes to draw, one panel each.
    band : (float, float) or None
        Percentiles of the cohort drawn as a shaded band (default 10th-90th), or None. For a result
        of an ensemble run (``ensemble=...``) the percentiles are over every patient under every
        member, so the band holds patient variability and evidence uncertainty; the title and the
        legend say so.
    title : str, optional
        Figure title (default: the condition and cohort size).
    fig : matplotlib.figure.Figure, optional
        A figure this function drew before for the same plans, outcomes, band and condition: its
        lines and bands are updated in place (much faster than drawing a new figure, for apps).
        Any other figure is ignored and a new one is drawn.

    Returns
    -------
    matplotlib.figure.Figure
    """
    items = list(results.items())
    if not items:
        raise ValueError("results is empty: nothing to plot")
    first = items[0][1]
    accepted = outcome_names(first.condition)  # OUTCOMES and the condition's questionnaire
    for o in outcomes:
        if o not in accepted:
            raise ValueError(f"unknown outcome {o!r}; accepted: {', '.join(accepted)}")
    members = first.members
    if title is None:
        shown = f"mean and {band[0]:g}th-{band[1]:g}th percentile band" if band else "mean"
        if members is None:
            title = f"{first.condition.title}: {cohort_label(first)} ({shown})"
        else:  # the legend names what the band holds
            title = f"{first.condition.title}: {cohort_label(first)}\n{shown}"
    ensemble = None if members is None else len(members)
    key = (
        tuple(outcomes),
        tuple(n for n, _ in items),
        band,
        first.condition.title,
        int(first.day[-1]),
        ensemble,
    )
    state = getattr(fig, "_ptsim_trajectories", None)
    if state is None or state["key"] != key:
        fig = _new_trajectories(items, outcomes, band, first, key)
        state = fig._ptsim_trajectories
    for outcome in outcomes:
        for name, res in items:
            # the pre-treatment values (the same patients in every plan) at day -1, then each day;
            # one row a day: the engine records day-major, so each day's patients are contiguous and
            # the band's percentiles run 2-3x faster than over the (patients, days) view
            values = np.vstack([res.baseline(outcome)[None, :], res.outcome(outcome).T])
            day = np.concatenate([[-1], res.day])
            state["lines"][outcome, name].set_data(day, values.mean(axis=1))
            if band is not None:
                lo, hi = np.percentile(values, band, axis=1)
                state["bands"][outcome, name].set_data(day, lo, hi)
            state["bands"][outcome, name].set_visible(band is not None and res.n_patients > 1)
        state["baseline"][outcome].set_data([-1], [first.baseline(outcome).mean()])
        state["discharge"][outcome].set_xdata([first.discharge_day, first.discharge_day])
    state["title"].set_text(title)
    return fig


def _new_trajectories(items, outcomes, band, first, key):
    fig, _, _ = _figure(1, 1, (10.0, 3.4 * ((len(outcomes) + 1) // 2) + 0.9))
    ncols = 2 if len(outcomes) > 1 else 1
    axes = fig.subplots((len(outcomes) + ncols - 1) // ncols, ncols, squeeze=False, sharex=True).ravel()
    state = {"key": key, "lines": {}, "bands": {}, "baseline": {}, "discharge": {}}
    last = int(first.day[-1])
    for ax, outcome in zip(axes, outcomes, strict=False):
        for i, (name, res) in enumerate(items):
            style = plan_style(name, i)
            (state["lines"][outcome, name],) = ax.plot(res.day, res.day * 0.0, **style)
            zero = res.day * 0.0
            state["bands"][outcome, name] = ax.fill_between(
                res.day, zero, zero, color=style["color"], alpha=0.10, lw=0
            )
        (state["baseline"][outcome],) = ax.plot([-1], [0.0], "ko", ms=5, label="before care (all plans)")
        # the discharge line is named in the legend: a label per panel would be redrawn each update
        state["discharge"][outcome] = ax.axvline(
            first.discharge_day, color="k", ls="--", lw=1, label="discharge (end of care)"
        )
        ax.set_xlim(-1, last)
        ax.set_ylim(*outcome_limits(outcome, first.condition))
        ax.set_ylabel(outcome_label(outcome, first.condition))
    for ax in axes[-ncols:]:
        ax.set_xlabel("Day (0 = first session; the dot at -1: before care)")
    for ax in axes[len(outcomes) :]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    if band is not None and key[-1] is not None:  # an ensemble result: say what the band holds
        from matplotlib.patches import Patch

        handles.append(Patch(color="0.5", alpha=0.25, lw=0))
        labels.append(f"band: {ENSEMBLE_BAND}")
    ncols = min(len(labels), 4 if key[-1] is None else 3)
    fig.legend(handles, labels, loc="outside lower center", ncols=ncols, frameon=False)
    state["title"] = fig.suptitle("")
    fig._ptsim_trajectories = state
    fig._ptsim_dynamic = [
        *state["bands"].values(),
        *state["lines"].values(),
        *state["baseline"].values(),
        *state["discharge"].values(),
        state["title"],
    ]
    return fig


@styled
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
    fig, _, _ = _figure(1, 1, (10, 5.6))
    ax_rom, ax_pain = fig.subplots(2, 1, sharex=True)
    ax_rom.plot(trace.minute, trace.rom_deg, color=OKABE_ITO["blue"], lw=2, label="ROM now")
    ax_rom.plot(
        trace.minute,
        trace.durable_rom_deg,
        color="k",
        ls=":",
        lw=1.5,
        label="durable range (window closed, no guarding)",
    )
    ax_pain.plot(trace.minute, trace.pain_nprs, color=OKABE_ITO["vermillion"], lw=2, label="this session")
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
    short = {
        "joint_mobilization": "joint\nmob.",
        "soft_tissue_mobilization": "STM",
        "myofascial_release": "MFR",
        "education": "edu.",
    }
    shades = {
        "exercise": OKABE_ITO["bluish_green"],
        "massage": OKABE_ITO["orange"],
        "education": "#cccccc",
        "rest": "#ffffff",
    }
    comp = trace.component.to_numpy()
    minutes = trace.minute.to_numpy()
    start = 0.0
    for i in range(1, len(trace)):
        if i == len(trace) - 1 or comp[i + 1] != comp[i]:
            color = shades.get(comp[i], OKABE_ITO["blue"])
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
            )
            start = minutes[i]
    ax_rom.set_ylabel("ROM (deg)")
    handles, labels = ax_rom.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
    ax_pain.set_ylabel("Pain (NPRS 0-10)")
    ax_pain.set_ylim(0, 10)
    ax_pain.set_xlabel("Minutes from the start of the session")
    for ax in (ax_rom, ax_pain):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


# ---------------------------------------------------------------------------------------------------
# Lesson figures (used by ptsim.teaching.widgets and the notebooks)

TISSUE_LABELS = {"capsule": "joint capsule", "muscle_tendon": "muscle-tendon", "fascia": "fascia"}


def _mark_discharge(ax, day, label=" discharge"):
    ax.axvline(day, color="k", ls="--", lw=1)
    ax.text(day, 1.0, label, transform=ax.get_xaxis_transform(), va="top", ha="left")


@styled
def plot_technique(
    trace, tissues, title=None, color=OKABE_ITO["blue"], rom_limits=None, tissue_limit_deg=None
):
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
    rom_limits : (float, float), optional
        Fixed ROM axis (degrees), e.g. the baseline ROM to the ROM with every restriction released.
    tissue_limit_deg : float, optional
        Top of the range-gained axis, e.g. the largest tissue restriction (degrees).

    Returns
    -------
    matplotlib.figure.Figure
    """
    # one large figure (two panels above, the tissues below) rather than three small ones side by side
    fig, _, _ = _figure(2, 2, (10, 7.4))
    axes = fig.subplot_mosaic([["rom", "pain"], ["bar", "bar"]])
    ax_rom, ax_pain, ax_bar = axes["rom"], axes["pain"], axes["bar"]
    ax_rom.plot(trace.minute, trace.rom_deg, color=color, lw=2, label="ROM now")
    ax_rom.plot(trace.minute, trace.durable_rom_deg, color="k", ls=":", lw=1.5, label="durable range")
    ax_pain.plot(trace.minute, trace.pain_nprs, color=OKABE_ITO["vermillion"], lw=2)
    end = trace.loc[trace.component != "rest", "minute"].max()
    for ax in (ax_rom, ax_pain):
        ax.axvspan(0, end, color=color, alpha=0.12, lw=0)
        ax.set_xlabel("Minutes from the start of the session")
        ax.grid(alpha=0.3)
    ax_rom.set_ylabel("ROM (deg)")
    ax_rom.set_title("Range of motion")
    ax_pain.set_ylabel("Pain (NPRS 0-10)")
    ax_pain.set_title("Pain")
    x = np.arange(len(tissues))
    ax_bar.bar(
        x - 0.2, tissues["released_now_deg"], 0.4, color=color, alpha=0.45, label="released straight after"
    )
    ax_bar.bar(x + 0.2, tissues["durable_week_deg"], 0.4, color=color, label="durable after a week")
    ax_bar.set_xticks(
        x, [TISSUE_LABELS.get(t, t).replace(" ", "\n").replace("-", "-\n") for t in tissues.index]
    )
    ax_bar.set_ylabel("Range gained (deg)")
    if rom_limits is not None:
        ax_rom.set_ylim(*rom_limits)
    if tissue_limit_deg is not None:
        ax_bar.set_ylim(min(0.0, float(tissues.min().min())) - 0.5, tissue_limit_deg)
    ax_pain.set_ylim(0, 10)
    ax_bar.set_title("What it acts on")
    ax_bar.axhline(0, color="k", lw=0.8)
    handles: list = []
    labels: list[str] = []
    for ax in (ax_rom, ax_bar):
        h, lab = ax.get_legend_handles_labels()
        handles, labels = handles + h, labels + lab
    fig.legend(handles, labels, loc="outside lower center", ncols=4, frameon=False)
    ax_bar.grid(alpha=0.3, axis="y")
    if title:
        fig.suptitle(title)
    return fig


@styled
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
    fig, _, _ = _figure(1, 1, (10, 5.0))
    ax = fig.subplots()
    d = components["day"].to_numpy()
    base = components["baseline_pct_normal"].to_numpy()
    neural = components["neural_pct_normal"].to_numpy()
    structural = components["structural_pct_normal"].to_numpy()
    ax.fill_between(d, 0, base, color="0.85", lw=0, label="baseline strength")
    ax.fill_between(
        d, base, base + neural, color=OKABE_ITO["bluish_green"], alpha=0.35, lw=0, label="neural gain"
    )
    ax.fill_between(
        d,
        base + neural,
        base + neural + structural,
        color=OKABE_ITO["bluish_green"],
        alpha=0.75,
        lw=0,
        label="structural (hypertrophy) gain",
    )
    ax.plot(d, components["strength_pct_normal"], color="k", lw=2, label="strength today (less fatigue)")
    _mark_discharge(ax, discharge_day, " programme ends")
    ax.set_ylim(*OUTCOME_LIMITS["strength"])
    ax.set_xlabel("Day (0 = first session)")
    ax.set_ylabel("Strength (% of normal)")
    ax.grid(alpha=0.3)
    fig.legend(loc="outside right upper", frameon=False)
    fig.suptitle(title or "Where strength comes from (cohort mean)")
    return fig


@styled
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
    # one large figure (two panels above, pain by group below) rather than three small ones side by side
    fig, _, _ = _figure(2, 2, (10, 7.6))
    axes = fig.subplot_mosaic([["tol", "dose"], ["pain", "pain"]])
    ax_tol, ax_dose, ax_pain = axes["tol"], axes["dose"], axes["pain"]
    ax_tol.plot(
        tolerance_curve.pain_nprs, 100 * tolerance_curve.dose_share, color=OKABE_ITO["bluish_green"], lw=2
    )
    if flare_zone_nprs is not None:
        lo, hi = flare_zone_nprs
        ax_tol.axvspan(lo, hi, color=OKABE_ITO["vermillion"], alpha=0.12, lw=0)
        ax_tol.text(
            min(lo + 0.2, 8.5),
            5,
            "exercise may flare\n(above the pain-\nmonitoring ceiling)",
            color=OKABE_ITO["vermillion"],
        )
    ax_tol.set_xlim(0, 10)
    ax_tol.set_ylim(0, 105)
    ax_tol.set_xlabel("Pain before exercising (NPRS 0-10)")
    ax_tol.set_ylabel("Prescribed dose completed (%)")
    ax_tol.set_title("Tolerance")
    flared = patients.flares.to_numpy() > 0
    ax_dose.scatter(
        patients.pain_baseline_nprs[~flared],
        patients.dose_done_min[~flared],
        s=10,
        color=OKABE_ITO["bluish_green"],
        label="no flare",
    )
    ax_dose.scatter(
        patients.pain_baseline_nprs[flared],
        patients.dose_done_min[flared],
        s=10,
        color=OKABE_ITO["vermillion"],
        label="flared",
    )
    ax_dose.set_xlabel("Pain at baseline (NPRS 0-10)")
    ax_dose.set_ylabel("Exercise done in care (min)")
    ax_dose.set_title("Dose done, one dot a patient")
    ax_dose.legend(loc="upper left", bbox_to_anchor=(0.0, -0.22), ncols=2, frameon=False)
    for (label, (days, pain)), shade in zip(groups.items(), ("#9ecae1", "#4292c6", "#08519c"), strict=False):
        ax_pain.plot(days, pain, color=shade, lw=2, label=label)
    _mark_discharge(ax_pain, discharge_day)
    ax_pain.set_xlabel("Day (0 = first session)")
    ax_pain.set_ylabel("Pain (NPRS 0-10)")
    ax_pain.set_title("Pain by baseline group")
    ax_pain.set_ylim(0, 10)
    ax_pain.legend(loc="upper left", bbox_to_anchor=(0.0, -0.22), ncols=3, frameon=False)
    for ax in (ax_tol, ax_dose, ax_pain):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


@styled
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
    fig, _, _ = _figure(1, 2, (11, 5.0))
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
        ax.set_xlabel("Day (0 = first session; the dot at -1: before care)")
        ax.grid(alpha=0.3)
    ax_cum.set_ylabel("Patients with a setback (%)")
    ax_cum.set_ylim(0, 100)
    ax_pain.set_ylim(0, 10)
    ax_cum.set_title("At least one setback since discharge")
    handles, labels = ax_cum.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), frameon=False)
    ax_pain.set_ylabel("Pain (NPRS 0-10), mean")
    ax_pain.set_title("Pain")
    fig.suptitle(title or f"{first.condition.title}: {cohort_label(first)}")
    return fig


@styled
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
    fig, _, _ = _figure(1, 1, (3.6 * ncols, 3.0 * nrows + 0.8))
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
                color=OKABE_ITO["vermillion"] if ok else OKABE_ITO["orange"],
                ms=8,
                label="model" + ("" if ok else " (outside)"),
            )
        else:
            ax.text(1, pub, "model:\nundefined", ha="center", va="center")
        ax.set_xlim(-0.6, 1.6)
        ax.set_xticks([0, 1], ["published", "model"])
        ax.set_ylabel(str(row["unit"]))
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(f"{row['target']}\n({row['condition']})")
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
    )
    return fig


@styled
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
    fig, _, _ = _figure(1, 2, (11, 5.6))
    ax, hist = fig.subplots(1, 2, width_ratios=[1.4, 1])
    n = min(shown, len(trials))
    for i in range(n):
        row = trials.iloc[i]
        solid = row["p_value"] < 0.05
        ax.plot([row["ci_low"], row["ci_high"]], [i, i], color=colors[i], lw=1.5 if solid else 0.8)
        ax.plot(row["estimate"], i, "o", color=colors[i], ms=4, mfc=colors[i] if solid else "white")
    unit = OUTCOME_LABELS[outcome]
    diff_label = f"{arm.replace('_', ' ')} minus {reference.replace('_', ' ')}: {unit}"
    for a in (ax, hist):
        a.axvline(0, color="k", lw=1, label="no difference")
        a.axvline(truth, color="k", ls="--", lw=1, label=f"true difference ({truth:+.2f})")
        a.set_xlabel(diff_label)
        a.grid(alpha=0.3)
    ax.set_ylabel("Trial number")
    ax.set_ylim(n, -1)
    ax.set_title(f"First {n} trials: estimate and 95 % CI (filled: p < 0.05)")
    bins = np.histogram_bin_edges(est, bins=20)
    hist.hist(est[favours_arm], bins=bins, color=plan_color(arm, 0), alpha=0.8, label=f"favour {arm}")
    hist.hist(
        est[~favours_arm], bins=bins, color=plan_color(reference, 1), alpha=0.8, label=f"favour {reference}"
    )
    hist.set_ylabel("Trials")
    hist.set_title(f"All {len(trials)} trials' estimates")
    hist.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.suptitle(title or f"{len(trials)} trials of {arm} against {reference}")
    return fig


@styled
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
    fig, _, _ = _figure(1, 1, (8.0, 5.2))
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
    )
    sizes = sorted(int(n) for n in table["n_per_arm"].unique())
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel("Patients per arm (log scale)")
    ax.set_ylabel("Power: trials with p < 0.05 (%)")
    ax.set_ylim(0, 105)
    ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", frameon=False)
    fig.suptitle(title or "Power by simulation (bars: 95 % Monte-Carlo interval)")
    return fig


EVIDENCE_COLORS = {"covered": OKABE_ITO["blue"], "not covered": OKABE_ITO["vermillion"]}
"""The model's predictive interval in the evidence check: blue where it overlaps the published one."""

EVIDENCE_ROLE_STYLE: dict[str, dict[str, Any]] = {
    "fit": {"marker": "o", "band": None, "label": ""},
    "held out": {"marker": "D", "band": "#e8e8e8", "label": "held out (grey, diamond): never fitted"},
    "known gap": {
        "marker": "v",
        "band": "#f6ecd9",
        "label": "known gap (beige, triangle): a population the condition does not model; never fitted",
    },
}
"""How the evidence check marks a row's role: the model's marker and the row's background band."""


def evidence_check_alt(rows, title: str = "") -> str:
    """The one-line description (alt text) of :func:`plot_evidence_check`'s figure of ``rows``."""
    shown = rows[rows["covered"].isin(["yes", "no"])]
    units = len(shown.groupby(["unit", "compares"], sort=False))
    parts = []
    for role in ("fit", "held out", "known gap"):
        sel = shown[shown["role"] == role]
        if len(sel):
            parts.append(f"{int((sel['covered'] == 'yes').sum())} of {len(sel)} {role} rows covered")
    return (
        f"{title + ': ' if title else ''}forest plot of {len(shown)} published results in {units} panel(s), "
        "one per unit and kind (a difference between groups, or one group); each row shows the published "
        "95 % interval (black) and the model's 95 % predictive "
        f"interval (blue if they overlap, vermillion if not); {'; '.join(parts)}."
    )


@styled
def plot_evidence_check(rows, title=None):
    """Each published result's 95 % interval beside the model's 95 % predictive interval (forest plot).

    One panel per unit (instrument) and kind of result (``compares``: a difference or ratio between
    groups, or one group's level, change or share), so every row is read on its own scale and a level
    never shares an axis with a difference; within a panel one row a published result. Black: the
    published value (square) and its interval. Coloured, just below: the model's median (dot) and
    predictive interval over the ensemble members, blue where the two intervals overlap (covered) and
    vermillion where they do not. Held-out rows (never fitted) have a grey band and a diamond, known gaps
    (reported, never fitted) a beige band and a triangle
    (:data:`EVIDENCE_ROLE_STYLE`). Rows the model does not simulate are left out (the table lists them).

    Parameters
    ----------
    rows : pandas.DataFrame
        From :func:`ptsim.teaching.lessons.evidence_rows` (columns ``role, day, unit, compares, published,
        published low, published high, model median, model low, model high, covered``).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    needed = {"role", "day", "unit", "compares", "published", "published low", "published high"}
    needed |= {"model median", "model low", "model high", "covered"}
    missing = needed - set(getattr(rows, "columns", ()))
    if missing:
        raise ValueError(
            f"rows lacks column(s) {', '.join(sorted(missing))}; pass ptsim.teaching.lessons.evidence_rows()"
        )
    shown = rows[rows["covered"].isin(["yes", "no"])]
    if len(shown) == 0:
        raise ValueError("rows has no result the model simulates: nothing to plot")
    groups = list(shown.groupby(["unit", "compares"], sort=False))
    heights = [len(g) + 0.9 for _, g in groups]
    fig, _, _ = _figure(1, 1, (10.0, 0.8 * sum(heights) + 0.9 * len(groups) + 1.4))
    axes = np.atleast_1d(fig.subplots(len(groups), 1, height_ratios=heights, squeeze=False)).ravel()
    for ax, ((unit, compares), g) in zip(axes, groups, strict=True):
        y = np.arange(len(g))
        for i, (_, r) in enumerate(g.iterrows()):
            style = EVIDENCE_ROLE_STYLE.get(r["role"], EVIDENCE_ROLE_STYLE["fit"])
            if style["band"]:
                ax.axhspan(i - 0.45, i + 0.45, color=style["band"], zorder=0)
            pub, lo, hi = r["published"], r["published low"], r["published high"]
            ax.errorbar(
                [pub], [i - 0.12], xerr=[[pub - lo], [hi - pub]], fmt="s", color="k", capsize=4, ms=6, lw=1.8
            )
            color = EVIDENCE_COLORS["covered" if r["covered"] == "yes" else "not covered"]
            med, mlo, mhi = r["model median"], r["model low"], r["model high"]
            ax.errorbar(
                [med],
                [i + 0.18],
                xerr=[[med - mlo], [mhi - med]],
                fmt=style["marker"],
                color=color,
                capsize=4,
                ms=7,
                lw=2.4,
            )
        # wrapped, so that long result names leave the panel its width on a projector (1024 px)
        labels = [textwrap.fill(f"{name.replace('_', ' ')}, day {r['day']}", 34) for name, r in g.iterrows()]
        ax.set_yticks(y, labels)
        ax.set_ylim(len(g) - 0.5, -0.5)
        lo = np.nanmin(g[["published low", "model low"]].to_numpy(float))
        hi = np.nanmax(g[["published high", "model high"]].to_numpy(float))
        if lo < 0 < hi:
            ax.axvline(0, color="k", lw=0.8, ls=":")
        pad = 0.08 * max(hi - lo, 1e-9)
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_xlabel(str(unit))
        ax.set_title(str(compares), loc="left", fontsize="medium")
        ax.set_ylabel("result")
        ax.grid(alpha=0.3, axis="x")
        ax.grid(False, axis="y")
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [
        Line2D([], [], color="k", marker="s", lw=1.8, label="published 95 % interval"),
        Line2D([], [], color=EVIDENCE_COLORS["covered"], marker="o", lw=2.4, label="model: covered"),
        Line2D([], [], color=EVIDENCE_COLORS["not covered"], marker="o", lw=2.4, label="model: not covered"),
    ]
    for role, style in EVIDENCE_ROLE_STYLE.items():
        if style["band"] and (shown["role"] == role).any():
            handles.append(Patch(color=style["band"], label=style["label"]))
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    fig.suptitle(title or "Published results and the model's 95 % predictive intervals")
    return fig
