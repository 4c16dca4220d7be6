"""The ``ptsim`` command. Without arguments it compares the standard plans for knee OA."""

from __future__ import annotations

import argparse
import sys

DEFAULT_CONDITION = "knee_oa"


def _format_summary(summary) -> str:
    table = summary.assign(
        value=[
            f"{m:6.1f} [{lo:.1f}, {hi:.1f}]"
            for m, lo, hi in zip(summary["mean"], summary["ci_low"], summary["ci_high"], strict=True)
        ]
    )
    wide = table.pivot_table(
        index=["outcome", "unit", "day"], columns="plan", values="value", aggfunc="first", sort=False
    )
    plans = list(dict.fromkeys(summary["plan"]))
    return wide[plans].to_string()


def main(argv=None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="ptsim", description=__doc__)
    parser.add_argument("--condition", default=DEFAULT_CONDITION, help="shipped condition name or TOML path")
    parser.add_argument("--patients", type=int, default=200, help="cohort size (default 200)")
    parser.add_argument("--days", type=int, default=365, help="days to simulate (default 365)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--plot", default="ptsim_compare.png", help="figure file (default ptsim_compare.png)")
    args = parser.parse_args(argv)
    import ptsim
    from ptsim.plotting import plot_trajectories

    try:
        comp = ptsim.compare(
            args.condition, ptsim.standard_plans(), n_patients=args.patients, days=args.days, seed=args.seed
        )
    except (ValueError, FileNotFoundError) as exc:
        print(f"ptsim: error: {exc}", file=sys.stderr)
        return 2
    first = next(iter(comp.values()))
    print(
        f"{first.condition.title}: {first.n_patients} virtual patients, seed {args.seed}; "
        "mean [95 % CI of the mean]"
    )
    print(_format_summary(comp.summary()))
    fig = plot_trajectories(comp)
    fig.savefig(args.plot, dpi=110)
    print(f"figure saved to {args.plot}")
    return 0
