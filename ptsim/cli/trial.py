"""``ptsim trial``: a virtual randomised trial, its effects table and responders."""

from __future__ import annotations

import argparse
import os
import sys

from ptsim.cli.shared import (
    EXIT_OK,
    MAX_DAYS,
    SHARED_OPTIONS,
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
    _progress,
    _resolve_plans,
    _table,
    _whole_number,
)
from ptsim.core.vocabulary import OUTCOMES

TRIAL_OUTCOMES = ("pain", "rom", "function", "strength")
"""The outcomes ``ptsim trial`` reports by default, in the order of its tables (any of
``ptsim.core.vocabulary.OUTCOMES`` may be asked for)."""


def _share(text: str) -> float:
    accepted = "a share in [0, 1), e.g. 0.1 for 10 %"
    try:
        value = float(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {accepted}, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected {accepted}, got {text!r}")
    return value


def _nprs(text: str) -> float:
    accepted = "a pain in [0, 10] (NPRS), e.g. 5"
    try:
        value = float(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {accepted}, got {text!r}") from None
    if not 0 <= value <= 10:
        raise argparse.ArgumentTypeError(f"expected {accepted}, got {text!r}")
    return value


def _trial_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    _add_shared(parser, "--condition")
    arms = parser.add_mutually_exclusive_group()
    arms.add_argument(
        "--arms",
        type=_name_list,
        default=["exercise_only", "combined"],
        metavar="a,b",
        help="comma-separated plan names or .toml files; the first is the reference "
        "(default exercise_only,combined)",
    )
    arms.add_argument(
        "--factorial",
        action="store_true",
        help="a 2x2 factorial trial: manual therapy yes/no x exercise yes/no (reports the interaction)",
    )
    add(
        "--n-per-arm",
        type=_whole_number(2, 100_000),
        default=30,
        metavar="N",
        help="patients per arm (default 30)",
    )
    _add_shared(parser, "--seed", "--scenario")
    add(
        "--ensemble",
        **{
            **SHARED_OPTIONS["--ensemble"],
            "help": "each patient draws one member of the condition's stored evidence ensemble "
            "(data/ensembles) and runs with its parameters: one of N evenly spaced members (without N: "
            "any stored member), so the trial samples the population the evidence allows",
        },
    )
    add(
        "--assess-days",
        type=_day_list,
        default=[42],
        metavar="42,91",
        help="assessment days after the first session (default 42, the end of 6 weeks of care)",
    )
    add(
        "--dropout",
        type=_share,
        default=None,
        metavar="P",
        help="share of patients lost by the last assessment (default 0.10, an assumption)",
    )
    add(
        "--min-pain",
        type=_nprs,
        default=None,
        metavar="NPRS",
        help="entry criterion: enrol only patients with at least this pain measured at screening "
        "(default: everyone; patients then enrol on bad days: regression to the mean)",
    )
    add(
        "--outcomes",
        type=_outcome_list,
        default=list(TRIAL_OUTCOMES),
        metavar="pain,rom",
        help="outcomes to analyse (default pain,rom,function,strength); the condition's questionnaire "
        "by its name (womac, ndi, rmdq, spadi) or as 'questionnaire', on its own scale",
    )
    add("--out", default=None, metavar="patients.csv", help="write the patient-level data to this CSV")
    add("--effects-out", default=None, metavar="effects.csv", help="write the effects table to this CSV")
    _add_shared(parser, "--force")
    add("--quiet", action="store_true", help="no progress bar and no notes on stderr; only the tables")


def _fmt(x: float) -> str:
    return "n/a" if x != x else f"{x:.3g}" if abs(x) < 0.001 else f"{x:.3f}"


def _number_needed(nnt: float, rd_low: float, rd_high: float) -> str:
    """The NNT column: treat (benefit) or harm (a negative NNT) when the risk difference's interval
    excludes 0; otherwise no number (an NNT of 10.6 whose interval runs from benefit to harm is not one)."""
    if nnt != nnt:
        return ""
    if not (rd_low > 0 or rd_high < 0):
        return "not estimable (the risk difference's interval holds 0)"
    if nnt < 0:
        return f"NNH {-nnt:.1f} (fewer responders)"
    return f"NNT {nnt:.1f}"


def _trial_run(args) -> int:
    import warnings

    import pandas as pd

    import ptsim
    from ptsim.analysis.trial import DEFAULT_DROPOUT, FactorialBalanceWarning, factorial_arms

    outputs = {}
    for arg, value in (("--out", args.out), ("--effects-out", args.effects_out)):
        if value is not None:
            outputs[arg] = _check_output(arg, value, args.force)
    if len(outputs) == 2 and os.path.abspath(outputs["--out"].path) == os.path.abspath(
        outputs["--effects-out"].path
    ):
        raise UsageError("--effects-out", "is also the file of --out; give each output its own file")
    if args.assess_days[-1] > MAX_DAYS:
        raise UsageError(
            "--assess-days", f"day {args.assess_days[-1]} is too late; accepted: days in [0, {MAX_DAYS}]"
        )
    cond = _load_condition(args.condition, "--condition", args.scenario)
    _check_outcomes(args.outcomes, cond)
    arms = factorial_arms() if args.factorial else _resolve_plans(args.arms, "--arms")
    if len(arms) < 2:
        raise UsageError("--arms", f"a trial needs at least two arms, got {', '.join(arms)}")
    _check_size(args.n_per_arm, args.assess_days[-1], len(arms), "--n-per-arm")
    _check_memory(
        "--n-per-arm", args.n_per_arm * len(arms), args.assess_days[-1], 1, assessments=len(args.assess_days)
    )
    _ensemble_members(args.ensemble, cond, "trial")
    dropout = DEFAULT_DROPOUT if args.dropout is None else args.dropout
    try:
        with _progress(args, len(arms)) as bar:  # per chunk of patients of each arm
            trial = ptsim.run_trial(
                cond,
                arms,
                n_per_arm=args.n_per_arm,
                seed=args.seed,
                assess_days=args.assess_days,
                dropout=dropout,
                min_pain_nprs=args.min_pain,
                ensemble=args.ensemble,
                progress=_advance(bar),
            )
    except ValueError as exc:
        raise UsageError(None, _one_line(exc)) from None
    try:  # every table's numbers before any is printed: too few patients left is the user's to fix
        effects = pd.concat(
            [trial.effects(outcome, day=day) for day in args.assess_days for outcome in args.outcomes],
            ignore_index=True,
        )
    except ValueError as exc:
        raise UsageError(
            "--dropout" if dropout > 0 else "--n-per-arm",
            f"{_one_line(exc)}: with {dropout:.0%} drop-out and {args.n_per_arm} patients per arm too few "
            "are assessed; use a lower --dropout or a larger --n-per-arm",
        ) from None

    print(
        f"{cond.title}{', premise scenario' if args.scenario == 'premise' else ''}: randomised trial, "
        f"{args.n_per_arm} patients per arm, arms {', '.join(arms)}, "
        f"seed {args.seed}, {dropout:.0%} drop-out by the last visit"
        + ("" if args.min_pain is None else f", enrolled at pain >= {args.min_pain:g}/10")
        + ("" if args.ensemble is False else ", each patient drawn from the evidence ensemble")
    )
    print("Effects (ANCOVA on the measured baseline; arm minus reference, 95 % CI)")
    rows = [
        [
            r.outcome,
            str(r.day),
            f"{r.arm} vs {r.reference}",
            f"{r.n_arm}/{r.n_reference}",
            f"{r.estimate:+.2f}",
            f"[{r.ci_low:+.2f}, {r.ci_high:+.2f}]",
            _fmt(r.p_value),
        ]
        for r in effects.itertuples()
    ]
    print(_table(["outcome", "day", "contrast", "n", "estimate", "95 % CI", "p"], rows))
    if trial.factors:  # --factorial, or the four standard plans usual_care,manual_only,exercise_only,combined
        print()
        print("2x2 factorial: main effects and the manual x exercise interaction (last assessment day)")
        print("cells: " + ", ".join(f"{cell} = {arm}" for cell, arm in trial.cells().items()))
        rows = []
        for outcome in (o for o in args.outcomes if o in OUTCOMES):  # the interaction: model outcomes
            with warnings.catch_warnings():  # reported once below, as a line of the output
                warnings.simplefilter("ignore", FactorialBalanceWarning)
                table = trial.interaction(outcome)
            for r in table.itertuples():
                rows.append(
                    [
                        outcome,
                        r.term,
                        f"{r.estimate:+.2f}",
                        f"[{r.ci_low:+.2f}, {r.ci_high:+.2f}]",
                        _fmt(r.p_value),
                    ]
                )
        print(_table(["outcome", "term", "estimate", "95 % CI", "p"], rows))
        imbalance = trial.dose_imbalance()
        if imbalance is not None:
            print(f"warning: {imbalance} On the command line: ptsim trial --factorial.")
    q = cond.questionnaire
    responder_outcomes = [
        o for o in args.outcomes if o == "pain" or (q is not None and o in (q.name, "questionnaire"))
    ]
    for outcome in dict.fromkeys("questionnaire" if o != "pain" else o for o in responder_outcomes):
        print()
        if outcome == "pain":
            print("Pain responders (>= 30 % improvement, Farrar et al. 2001) at the last assessment")
        else:
            unit = "points" if q.mcid_kind == "points" else "% of baseline"
            print(f"{q.name.upper()} responders (improved by the MCID, {q.mcid:g} {unit}) at the last visit")
        rows = [
            [
                r.arm,
                f"{r.responders}/{r.n}",
                f"{r.rate:.0%}",
                "reference" if r.risk_difference != r.risk_difference else f"{r.risk_difference:+.0%}",
                "" if r.rd_ci_low != r.rd_ci_low else f"[{r.rd_ci_low:+.0%}, {r.rd_ci_high:+.0%}]",
                _number_needed(r.nnt, r.rd_ci_low, r.rd_ci_high),
            ]
            for r in trial.responders(outcome).itertuples()
        ]
        print(_table(["arm", "responders", "rate", "risk difference", "95 % CI", "NNT / NNH"], rows))
    sys.stdout.flush()
    if "--out" in outputs:
        frame = trial.to_frame()
        _atomic_write(outputs["--out"], lambda p: frame.to_csv(p, index=False), args.force)
        _note(args, f"wrote {args.out}: {len(frame):,} rows (one per patient and assessment)")
    if "--effects-out" in outputs:
        _atomic_write(outputs["--effects-out"], lambda p: effects.to_csv(p, index=False), args.force)
        _note(args, f"wrote {args.effects_out}: the effects table ({len(effects):,} rows)")
    return EXIT_OK
