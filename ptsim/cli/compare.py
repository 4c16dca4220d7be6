"""``ptsim compare`` (the default command): plans compared on the same virtual patients.

It prints the summary table, the differences table and the setbacks, and writes the figure
(:data:`DEFAULT_PLOT`, replaced on every run; a file the user names is never replaced without
``--force``), and on request the patient-day CSV (``--out``; not written without ``--force`` when
estimated above :data:`OUTPUT_SIZE_LIMIT_BYTES`) and the summary CSV (``--summary-out``).
"""

from __future__ import annotations

import argparse
import math
import os
import sys

from ptsim.cli.shared import (
    DEFAULT_DAYS,
    EXIT_OK,
    MAX_DAYS,
    UsageError,
    _add_shared,
    _advance,
    _atomic_write,
    _check_memory,
    _check_outcomes,
    _check_output,
    _check_size,
    _day_list,
    _ensemble_members,
    _load_condition,
    _name_list,
    _note,
    _one_line,
    _outcome_list,
    _plural,
    _progress,
    _resolve_plans,
    _table,
    _whole_number,
)

DEFAULT_PATIENTS = 200
DEFAULT_PLOT = "ptsim_compare.png"
OUTPUT_SIZE_LIMIT_BYTES = 500_000_000
"""Largest estimated output file (bytes) written without ``--force``."""
CSV_BYTES_PER_ROW = 115
"""Size of one row of ``compare --out`` (one plan, patient and day): about 112 bytes measured."""


def _compare_arguments(parser: argparse.ArgumentParser) -> None:
    from ptsim.inputs.plans import PLAN_NAMES

    add = parser.add_argument
    _add_shared(parser, "--condition")
    add(
        "--plans",
        type=_name_list,
        default=None,
        metavar="a,b,c",
        help="comma-separated standard plan names or .toml files (default all: " + ",".join(PLAN_NAMES) + ")",
    )
    add(
        "--n-patients",
        "--patients",  # its former name, still accepted
        dest="patients",
        type=_whole_number(1),
        default=None,
        metavar="N",
        help=f"virtual patients sampled from the condition (default {DEFAULT_PATIENTS}; "
        "the cohort's size with --cohort; the API's n_patients; --patients is accepted too)",
    )
    add(
        "--days",
        type=_whole_number(0, MAX_DAYS),
        default=DEFAULT_DAYS,
        metavar="D",
        help=f"days to simulate after the first session (default {DEFAULT_DAYS}, at most {MAX_DAYS})",
    )
    _add_shared(parser, "--seed", "--scenario", "--ensemble")
    add(
        "--cohort",
        default=None,
        metavar="cohort.csv",
        help="your own patients: a CSV with the columns of ptsim.inputs.cohort.COLUMNS",
    )
    add(
        "--outcomes",
        type=_outcome_list,
        default=None,
        metavar="pain,womac",
        help="outcomes of the summary table (default rom,pain,strength,function); the condition's "
        "questionnaire by its name (womac, ndi, rmdq, spadi) or as 'questionnaire', on its own scale",
    )
    add(
        "--summary-days",
        type=_day_list,
        default=None,
        metavar="14,42,365",
        help="days of the summary table (default: baseline, i.e. before the first session, then 0, 14, "
        "discharge, 91, 182, 365 within --days)",
    )
    add(
        "--next-trial",
        type=_whole_number(2, 100_000),
        default=None,
        metavar="N",
        help="also print the next-trial interval of each difference: what a new two-arm trial of N "
        "patients per arm would find (adds between-trial heterogeneity and the trial's sampling error; "
        "with --ensemble, the evidence's uncertainty too)",
    )
    add(
        "--out",
        default=None,
        metavar="results.csv",
        help="write every plan, patient and day to this CSV (one row per patient-day, units in the columns)",
    )
    add(
        "--summary-out",
        default=None,
        metavar="summary.csv",
        help="write the summary table (mean, SD, 95 %% CI per plan, outcome and day) to this CSV",
    )
    figure = parser.add_mutually_exclusive_group()
    figure.add_argument(
        "--plot",
        default=None,
        metavar="figure.png",
        help=f"figure file, its type from the ending (default {DEFAULT_PLOT}, replaced on every run)",
    )
    figure.add_argument("--no-plot", action="store_true", help="do not draw the figure")
    _add_shared(parser, "--force")
    add("--quiet", action="store_true", help="no progress bar and no notes on stderr; only the table")


def _format_summary(summary) -> str:
    """The summary table: per plan, ``mean [interval]`` (``mean (fixed by design)`` where the interval
    has no width), then the largest Monte-Carlo error of an evidence interval's ends per outcome."""
    import numpy as np

    def cell(m, lo, hi, fixed):
        if fixed:
            return f"{m:6.1f} (fixed by design)"
        return f"{m:6.1f} [{lo:.1f}, {hi:.1f}]" if np.isfinite(lo) else f"{m:6.1f} [no CI: 1 patient]"

    table = summary.assign(
        value=[
            cell(*r)
            for r in zip(
                summary["mean"],
                summary["ci_low"],
                summary["ci_high"],
                summary["fixed_by_design"],
                strict=True,
            )
        ]
    )
    wide = table.pivot_table(
        index=["outcome", "unit", "day"], columns="plan", values="value", aggfunc="first", sort=False
    )
    plans = list(dict.fromkeys(summary["plan"]))
    lines = [wide[plans].to_string()]
    errors = summary.dropna(subset=["mc_error"]).groupby(["outcome", "unit"], sort=False)["mc_error"].max()
    if len(errors):
        worst = ", ".join(f"{e:.2g} on {o} ({u})" for (o, u), e in errors.items())
        lines.append(f"Monte-Carlo error of the interval ends (few members), at most: {worst}")
    return "\n".join(lines)


DIFFERENCE_MARKS = {
    "not separated": "~",
    "fixed by design": "=",
    "smaller than the MCID": "<",
    "below the instrument's resolution": "<",
}
"""How the differences table marks a row by its judgement (:data:`ptsim.core.intervals.JUDGEMENTS`);
unmarked rows are separated and not shown to be smaller than the MCID."""


def _decimals(low: float, high: float, mark: str) -> int:
    """Decimals of a row of the differences table: 1, or, for an unmarked (separated) difference whose
    interval would print as ``+0.0 [+0.0, +0.0]``, enough for two significant digits of its far end, so
    that a row of zeros always carries a mark saying why (``=``, ``<`` or ``~``)."""
    far = max(abs(low), abs(high))
    if mark or not (0 < far < 0.05):
        return 1
    return min(1 - math.floor(math.log10(far)), 12)


def _format_differences(differences, next_trial: bool = False) -> str:
    """The differences table (:meth:`ptsim.Comparison.differences`): plan minus reference with its
    interval per outcome and day, each row marked by its judgement (``~`` the interval holds 0, ``<``
    separated but smaller than the MCID or than the instrument reads, ``=`` fixed by design), then a
    line per mark and pair of plans saying it in words. With ``next_trial``, a second table gives the
    next-trial intervals."""
    import numpy as np

    first = differences.iloc[0]
    marks = [DIFFERENCE_MARKS.get(j, "") for j in differences["judgement"]]
    decimals = [
        _decimals(lo, hi, mark)
        for lo, hi, mark in zip(differences["ci_low"], differences["ci_high"], marks, strict=True)
    ]
    table = differences.assign(
        value=[
            (
                f"{m:+6.{d}f} [{lo:+.{d}f}, {hi:+.{d}f}]"
                if np.isfinite(lo)
                else f"{m:+6.1f} [no interval: 1 patient]"
            )
            + (f" {mark}" if mark else "")
            for m, lo, hi, mark, d in zip(
                differences["mean_difference"],
                differences["ci_low"],
                differences["ci_high"],
                marks,
                decimals,
                strict=True,
            )
        ],
        contrast=[f"{p} - {first['reference']}" for p in differences["plan"]],
    )
    wide = table.pivot_table(
        index=["outcome", "unit", "day"], columns="contrast", values="value", aggfunc="first", sort=False
    )
    lines = [
        f"Differences from {first['reference']} (the same patients): mean [{first['interval']}]",
        wide.to_string(),
    ]
    said: dict[str, list[str]] = {}
    for r, mark in zip(differences.itertuples(), marks, strict=True):
        if not mark:
            continue
        words = r.verdict
        if r.judgement == "fixed by design":
            words = f"{r.plan} - {r.reference}: fixed by design, the same in every member or patient"
        said.setdefault(f"{mark} {words}", []).append(f"{r.outcome} day {r.day}")
    lines += [f"{words} ({', '.join(at)})" for words, at in said.items()]
    if next_trial:
        trial = table.assign(
            value=[
                f"{m:+6.1f} [{lo:+.1f}, {hi:+.1f}]"
                for m, lo, hi in zip(
                    table["mean_difference"], table["next_trial_low"], table["next_trial_high"], strict=True
                )
            ]
        )
        wide = trial.pivot_table(
            index=["outcome", "unit", "day"], columns="contrast", values="value", aggfunc="first", sort=False
        )
        lines += ["", f"What a new trial would find: mean [{first['next_trial_interval']}]", wide.to_string()]
    return "\n".join(lines)


def _check_output_size(argument: str, n_bytes: int, force: bool) -> None:
    """Ask for --force before writing a file estimated above OUTPUT_SIZE_LIMIT_BYTES."""
    from ptsim.inputs.memory import format_bytes

    if n_bytes > OUTPUT_SIZE_LIMIT_BYTES and not force:
        raise UsageError(
            argument,
            f"would write about {format_bytes(n_bytes)} (one row per plan, patient and day); pass --force "
            f"to write more than {format_bytes(OUTPUT_SIZE_LIMIT_BYTES)}, or use --summary-out, "
            "fewer patients, days or plans",
        )


def _compare_run(args) -> int:
    import ptsim

    # 1. Check everything the user typed before any work is done.
    outputs = {}
    if args.out is not None:
        outputs["--out"] = _check_output("--out", args.out, args.force)
    if args.summary_out is not None:
        outputs["--summary-out"] = _check_output("--summary-out", args.summary_out, args.force)
    if not args.no_plot:
        from ptsim.teaching.plotting import figure_file_types

        # The default figure is the quick start's: replaced on every run. A named one is protected.
        named = args.plot is not None
        args.plot = args.plot if named else DEFAULT_PLOT
        outputs["--plot"] = _check_output("--plot", args.plot, args.force or not named, figure_file_types())
    seen: dict[str, str] = {}
    for arg, out in outputs.items():
        key = os.path.abspath(out.path)
        if key in seen:
            raise UsageError(
                arg, f"{str(out.path)!r} is also the file of {seen[key]}; give each output its own file"
            )
        seen[key] = arg

    if args.summary_days is not None and args.summary_days[-1] > args.days:
        raise UsageError(
            "--summary-days",
            f"day {args.summary_days[-1]} is after the last simulated day; "
            f"accepted: whole numbers in [0, {args.days}] (--days {args.days})",
        )

    cond = _load_condition(args.condition, "--condition", args.scenario)
    _check_outcomes(args.outcomes, cond)
    plans = _resolve_plans(args.plans)
    members = _ensemble_members(args.ensemble, cond)
    cohort = None
    if args.cohort is not None:
        from ptsim.inputs.cohort import read_cohort

        try:
            cohort = read_cohort(args.cohort, cond)
        except (ValueError, FileNotFoundError, OSError) as exc:
            raise UsageError("--cohort", _one_line(exc)) from None
        if args.patients is not None and args.patients != len(cohort):
            raise UsageError(
                "--n-patients",
                f"{args.patients} disagrees with the {len(cohort)} patients of {args.cohort}; "
                "leave --n-patients out with --cohort",
            )
        n, size_argument = len(cohort), "--cohort"
        who = f"{_plural(n, 'patient')} from {args.cohort}"
    else:
        n, size_argument = DEFAULT_PATIENTS if args.patients is None else args.patients, "--n-patients"
        who = f"{_plural(n, 'virtual patient')}"
    _check_size(n, args.days, len(plans), size_argument)
    if members > 1:
        _check_size(n * members, args.days, len(plans), "--ensemble")
        who += f" x {members} evidence members"
    out_rows = n * members * (args.days + 1) * len(plans) if "--out" in outputs else 0
    if "--out" in outputs:
        _check_output_size("--out", out_rows * CSV_BYTES_PER_ROW, args.force)
    _check_memory(
        "--ensemble" if members > 1 else size_argument, n * members, args.days, len(plans), out_rows
    )
    if cohort is None:
        from ptsim.inputs.cohort import sample_cohort

        cohort = sample_cohort(cond, n, args.seed)

    # 2. Simulate the plans on the same patients, the bar following ptsim.compare's progress.
    with _progress(args, len(plans)) as bar:
        comp = ptsim.compare(
            cond,
            plans,
            n_patients=None,
            days=args.days,
            seed=args.seed,
            cohort=cohort,
            progress=_advance(bar),
            ensemble=args.ensemble,
        )
    summary = comp.summary(days=args.summary_days, outcomes=args.outcomes)

    # 3. Report and write.
    interval = summary["interval"].iloc[0]
    scenario = ", premise scenario" if args.scenario == "premise" else ""
    print(f"{cond.title}{scenario}: {who}, {_plural(args.days, 'day')}, seed {args.seed}; mean [{interval}]")
    print(_format_summary(summary))
    days = [d for d in dict.fromkeys(summary["day"]) if d != "baseline"]
    differences = comp.differences(days=days, outcomes=args.outcomes, n_per_arm=args.next_trial)
    if len(differences):
        print()
        print(_format_differences(differences, next_trial=args.next_trial is not None))
    setbacks = comp.setbacks_summary()
    print()
    print("Setbacks after discharge in the simulated period")
    print(
        _table(
            ["plan", "per patient", "patients with at least one"],
            [
                [p, f"{s:.2f}", f"{share:.0%}"]
                for p, s, share in zip(
                    setbacks["plan"],
                    setbacks["setbacks_per_patient"],
                    setbacks["share_with_setback"],
                    strict=True,
                )
            ],
        )
    )
    sys.stdout.flush()
    if "--out" in outputs:
        import pandas as pd

        frame = pd.concat([r.to_frame() for r in comp.values()], ignore_index=True)
        _atomic_write(outputs["--out"], lambda p: frame.to_csv(p, index=False), args.force)
        _note(args, f"wrote {args.out}: {len(frame):,} rows (one per plan, patient and day)")
    if "--summary-out" in outputs:
        _atomic_write(outputs["--summary-out"], lambda p: summary.to_csv(p, index=False), args.force)
        _note(args, f"wrote {args.summary_out}: the summary table ({len(summary):,} rows)")
    if "--plot" in outputs:
        from ptsim.teaching.plotting import plot_trajectories

        fig = plot_trajectories(comp)
        kind = outputs["--plot"].path.suffix.lower().lstrip(".")
        _atomic_write(
            outputs["--plot"], lambda p: fig.savefig(p, dpi=110, format=kind), args.force or not named
        )
        _note(args, f"saved the figure {args.plot}")
    return EXIT_OK
