"""How fast the lesson apps answer a slider: median update latency, and check_answer's cost.

Run from the repository root::

    python benchmarks/app_latency.py            # compare-plans app at its defaults, 15 updates,
                                                # then with evidence uncertainty (20 members), 9
    python benchmarks/app_latency.py --all      # every lesson app, 5 updates each

An update is what a moved slider costs in the kernel: ``app.update(...)`` recomputes (engine
``"auto"``), updates the figure in place and encodes the PNG the browser shows. The compare-plans
app alternates weeks of care 6 <-> 7 at its defaults (200 patients). Each latency is printed with a
reference measured in the same process: the same figure drawn from scratch by ``savefig`` (the
drawing the apps did before), as a ratio, so the numbers mean the same on a faster or slower
machine. Target (issue 14): <= 100 ms median for the compare-plans app. ``check_answer`` is timed
on its first call (computes the model's answer) and on later calls (cached). Not asserted in tests.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time


def _median_ms(fn, repeats: int) -> float:
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def compare_plans(repeats: int = 15) -> None:
    from ptsim.teaching import lessons, widgets

    app = widgets.compare_plans_app()
    start = time.perf_counter()
    app.update()
    first = time.perf_counter() - start
    update = _median_ms(lambda i: app.update(weeks=7 if i % 2 == 0 else 6), repeats)
    compute = _median_ms(lambda i: lessons.compare_plans(weeks=7 if i % 2 == 0 else 6), repeats)

    def savefig(_):
        buf = io.BytesIO()
        app.figure.savefig(buf, format="png")

    full = _median_ms(savefig, max(3, repeats // 3))
    print(f"compare-plans app, first update (JIT and figure set-up): {1000 * first:.0f} ms")
    print(
        f"compare-plans app, slider -> new figure: median {update:.0f} ms over {repeats} updates "
        f"(target <= 100 ms); of which compute {compute:.0f} ms"
    )
    print(
        f"  reference: the same figure redrawn from scratch with savefig {full:.0f} ms; "
        f"update / (compute + full redraw) = {update / (compute + full):.2f}"
    )


def compare_plans_ensemble(repeats: int = 9) -> None:
    """The dashboard with evidence uncertainty on: every patient under 20 ensemble members."""
    from ptsim.inputs.ensembles import DEFAULT_ENSEMBLE_MEMBERS
    from ptsim.teaching import widgets

    app = widgets.compare_plans_app()
    app.update()
    plain = _median_ms(lambda i: app.update(weeks=7 if i % 2 == 0 else 6), repeats)
    app.update(ensemble=DEFAULT_ENSEMBLE_MEMBERS)
    members = _median_ms(lambda i: app.update(weeks=7 if i % 2 == 0 else 6), repeats)
    print(
        f"compare-plans app with evidence uncertainty ({DEFAULT_ENSEMBLE_MEMBERS} members, "
        f"{200 * DEFAULT_ENSEMBLE_MEMBERS} rows a plan): median {members:.0f} ms over {repeats} updates "
        f"(issue 19 target <= 300 ms)"
    )
    print(
        f"  reference: the same app without it, median {plain:.0f} ms in this process; "
        f"ratio {members / plain:.1f}x for {DEFAULT_ENSEMBLE_MEMBERS}x the patients"
    )


def every_app(repeats: int = 5) -> None:
    from ptsim.teaching import widgets

    for name, factory in widgets.APPS.items():
        app = factory()
        app.update()
        slider = next(k for k, s in app.specs.items() if s["kind"] in ("int_slider", "float_slider"))
        spec = app.specs[slider]
        other = (
            spec["default"] + spec["step"] if spec["default"] + spec["step"] <= spec["max"] else spec["min"]
        )
        values = (other, spec["default"])
        ms = _median_ms(lambda i, a=app, s=slider, v=values: a.update(**{s: v[i % 2]}), repeats)
        print(f"{name:14s} {slider:28s} median {ms:6.0f} ms")


def check_answer(qid: str = "1.1") -> None:
    from ptsim.teaching import lessons

    start = time.perf_counter()
    lessons.is_correct(qid, "combined")
    first = time.perf_counter() - start
    later = _median_ms(lambda i: lessons.is_correct(qid, "combined"), 20)
    print(
        f"is_correct({qid!r}) (what check_answer computes): first call {1000 * first:.0f} ms "
        f"(computes the answer), later {later:.3f} ms"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="time every lesson app too")
    args = parser.parse_args(argv)
    compare_plans()
    compare_plans_ensemble()
    check_answer()
    if args.all:
        every_app()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
