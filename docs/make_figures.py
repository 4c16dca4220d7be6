"""Regenerate the figures of docs/model.md: ``python docs/make_figures.py``."""

from pathlib import Path

import ptsim
from ptsim.teaching.plotting import plot_session, plot_trajectories

OUT = Path(__file__).parent / "figures"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    plans = ptsim.standard_plans()
    trace = ptsim.trace_session("adhesive_capsulitis", plans["combined"], n_patients=200, minutes_after=60)
    fig = plot_session(trace, title="Adhesive capsulitis: one combined session, mean of 200 patients")
    fig.savefig(OUT / "session_adhesive_capsulitis.png", dpi=90)
    one = ptsim.compare(
        "knee_oa",
        {k: plans[k] for k in ("manual_only", "exercise_only", "combined")},
        n_patients=1,
        days=120,
        seed=2,
    )
    fig = plot_trajectories(one, band=None, title="Knee OA: one virtual patient (id 0) under three plans")
    fig.savefig(OUT / "one_patient_knee_oa.png", dpi=90)


if __name__ == "__main__":
    main()
