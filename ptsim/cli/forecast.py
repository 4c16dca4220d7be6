"""``ptsim forecast``: one patient's measured outcomes forecast under each plan from their visits."""

from __future__ import annotations

import argparse
import os
import sys

from ptsim.cli.shared import (
    DEFAULT_DAYS,
    EXIT_OK,
    MAX_DAYS,
    UsageError,
    _add_shared,
    _atomic_write,
    _check_output,
    _load_condition,
    _name_list,
    _note,
    _one_line,
    _resolve_plans,
    _table,
    _whole_number,
)
from ptsim.core.vocabulary import OUTCOMES

DEFAULT_FORECAST_PLOT = "ptsim_forecast.png"


def _forecast_arguments(parser: argparse.ArgumentParser) -> None:
    from ptsim.inputs.plans import PLAN_NAMES

    add = parser.add_argument
    add(
        "visits",
        metavar="VISITS",
        help="a CSV of the patient's visits: 'day' (day 0 = intake, before the first session) and any of "
        "rom_deg, pain_nprs, strength_pct_normal and the condition's questionnaire column (e.g. "
        "womac_0_100); an empty cell is a measurement not taken",
    )
    _add_shared(parser, "--condition", "--scenario")
    add(
        "--plans",
        type=_name_list,
        default=None,
        metavar="a,b,c",
        help="plans to forecast, from the last visit on (default all: " + ",".join(PLAN_NAMES) + ")",
    )
    add(
        "--so-far",
        default="usual_care",
        metavar="PLAN",
        help="the care given from day 0 to the last visit: a standard plan name or a .toml file "
        "(default usual_care: none)",
    )
    add(
        "--horizon",
        type=_whole_number(1, MAX_DAYS),
        default=DEFAULT_DAYS,
        metavar="D",
        help=f"days to forecast after the last visit (default {DEFAULT_DAYS}, at most {MAX_DAYS})",
    )
    add("--outcome", default="pain", metavar="O", help="the outcome the figure shows (default pain)")
    add(
        "--out",
        default=None,
        metavar="FILE.csv",
        help="write the tidy forecast table (every plan, outcome, day)",
    )
    add(
        "--plot",
        default=None,
        metavar="FILE",
        help=f"figure file, its type from the ending (default {DEFAULT_FORECAST_PLOT}, replaced each run)",
    )
    add("--no-plot", action="store_true", help="do not draw the figure")
    _add_shared(parser, "--seed", "--force")


def _check_forecast_ensemble(cond) -> None:
    """The forecast draws its candidates from the condition's stored ensemble: a missing one, or a
    condition file whose values the stored members would replace, is a usage error of ``--condition``."""
    from ptsim.inputs.ensembles import check_not_edited, load_ensemble

    try:
        check_not_edited(cond, load_ensemble(cond.name))
    except (ValueError, FileNotFoundError) as exc:
        message = _one_line(exc).removeprefix("ensemble: ").split("; load the shipped condition")[0]
        raise UsageError(
            "--condition",
            f"{message}; ptsim forecast draws its patients from the stored ensemble, so give the shipped "
            f"condition by name (--condition {cond.name})"
            if "differs from the shipped condition" in message
            else message,
        ) from None


def _forecast_run(args) -> int:
    import ptsim
    from ptsim.analysis.forecast import read_visits
    from ptsim.inputs.plans import get_plan
    from ptsim.teaching.forecast_views import horizon_table, mcid_caption, plot_forecast

    outputs = {}
    if args.out is not None:
        outputs["--out"] = _check_output("--out", args.out, args.force, ("csv",))
    named = args.plot is not None
    if not args.no_plot:
        from ptsim.teaching.plotting import figure_file_types

        args.plot = args.plot if named else DEFAULT_FORECAST_PLOT
        outputs["--plot"] = _check_output("--plot", args.plot, args.force or not named, figure_file_types())
    if len({os.path.abspath(o.path) for o in outputs.values()}) < len(outputs):
        raise UsageError("--plot", "is the same file as --out; give each output its own file")
    cond = _load_condition(args.condition, "--condition", args.scenario)
    if args.scenario != "premise":  # the forecast conditions the stored ensemble on the visits
        _check_forecast_ensemble(cond)
    outcomes = [*OUTCOMES] + ([cond.questionnaire.name] if cond.questionnaire is not None else [])
    if args.outcome not in [*outcomes, "questionnaire"]:
        raise UsageError("--outcome", f"unknown outcome {args.outcome!r}; accepted: {', '.join(outcomes)}")
    try:
        visits = read_visits(args.visits, cond, source=f"VISITS {args.visits}")
    except (ValueError, FileNotFoundError, OSError) as exc:
        raise UsageError(None, _one_line(exc)) from None
    plans = _resolve_plans(args.plans)
    try:
        so_far = get_plan(args.so_far)
    except (ValueError, FileNotFoundError, OSError) as exc:
        raise UsageError("--so-far", _one_line(exc)) from None
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the forecast's cautions are printed in its header
        try:
            fc = ptsim.forecast(
                cond,
                visits.to_frame(),
                plans,
                horizon_days=args.horizon,
                so_far=so_far,
                seed=args.seed,
                ensemble=args.scenario != "premise",  # the premise is one parameter set: no ensemble
            )
        except ValueError as exc:  # implausible visits
            raise UsageError(
                None, f"VISITS {args.visits}: " + _one_line(exc).removeprefix("visits: ")
            ) from None
    print(fc.header())
    for outcome in fc.outcomes:
        table = horizon_table(fc, outcome)
        print()
        print(outcome_label_text(cond, outcome))
        print(_table(list(table.columns), table.astype(str).values.tolist()))
        print("  " + mcid_caption(fc, outcome))
    sys.stdout.flush()
    if "--out" in outputs:
        frame = fc.to_frame()
        _atomic_write(outputs["--out"], lambda p: frame.to_csv(p, index=False), args.force)
        _note(args, f"wrote {args.out}: {len(frame):,} rows (one per plan, outcome and forecast day)")
    if "--plot" in outputs:
        fig = plot_forecast(fc, args.outcome)
        kind = outputs["--plot"].path.suffix.lower().lstrip(".")
        _atomic_write(
            outputs["--plot"], lambda p: fig.savefig(p, dpi=110, format=kind), args.force or not named
        )
        _note(args, f"saved the figure {args.plot}")
    return EXIT_OK


def outcome_label_text(cond, outcome: str) -> str:
    """An outcome's name with its unit, for the forecast's tables."""
    from ptsim.engine.result import outcome_unit

    return f"{outcome} ({outcome_unit(cond, outcome)})"
