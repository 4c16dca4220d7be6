"""The plausibility table (model v3, issue 20 item 6): each standard plan against a comparator, in
the evidence scenario with its evidence interval, beside the best pooled evidence for that comparison.

For every condition, each standard plan is compared with usual care at discharge and at one year on
pain (NPRS), the condition's questionnaire and ROM; the rows of ``data/evidence/pooled.csv`` add the
comparisons and days that pooled evidence reports (e.g. combined against exercise alone). The model's
value is computed from the stored ensemble: per member, the mean paired difference (plan minus
comparator, the same patients) or, for a pooled standardised mean difference, that difference over
the pooled SD of the two arms on that day; the evidence interval is the 2.5th-97.5th percentiles over
members. Regenerate the section of ``docs/model.md`` with ``python -m ptsim.analysis.plausibility
--write``; ``tests/test_plausibility.py`` checks that every row with a pooled interval overlaps it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ptsim.analysis.calibrate import evidence_dir
from ptsim.core.intervals import mcid_points
from ptsim.inputs.conditions import list_conditions, load_condition
from ptsim.inputs.plans import standard_plans

POOLED_COLUMNS = (
    "id",
    "condition",
    "plan",
    "comparator",
    "day",
    "outcome",
    "statistic",
    "estimate",
    "low",
    "high",
    "interval",
    "published_id",
    "source",
    "verified",
    "note",
)
OUTCOMES = ("pain", "questionnaire", "rom")
STATISTICS = ("mean_difference", "smd", "qualitative", "none")
N_PATIENTS = 100
MEMBERS = 200
SEED = 0
DAYS = 365
FIXED_NOTE = (
    "what it leaves out: every parameter that data/evidence/calibration.toml does not list for the "
    "condition is fixed at its condition value (the interval holds none of its uncertainty), and how far "
    "a new trial would scatter around the population mean (the next-trial interval of "
    "ptsim.differences(n_per_arm=...) adds it)"
)
START, END = "<!-- plausibility:start -->", "<!-- plausibility:end -->"


@dataclass(frozen=True)
class Pooled:
    """One row of ``data/evidence/pooled.csv`` (numbers in the model's units or as an SMD)."""

    id: str
    condition: str
    plan: str
    comparator: str
    day: int
    outcome: str
    statistic: str
    estimate: float
    low: float
    high: float
    source: str
    verified: str
    note: str

    @property
    def compared_as(self) -> str:
        """The statistic the model is computed as: ``smd`` for an SMD row, else a mean difference
        (``qualitative`` and ``none`` rows show the model's mean difference beside their note)."""
        return "smd" if self.statistic == "smd" else "mean_difference"

    @property
    def key(self) -> tuple:
        """``(plan, comparator, day, outcome, compared_as)``: the comparison this row is shown at."""
        return (self.plan, self.comparator, self.day, self.outcome, self.compared_as)

    @property
    def gated(self) -> bool:
        """True when the row has an interval to check the model against: a pooled interval, or for a
        ``qualitative`` row ("no important difference") the instrument's +-MCID (:func:`bounds`)."""
        return self.statistic in ("mean_difference", "smd", "qualitative")

    def bounds(self, condition) -> tuple[float, float]:
        """The interval the model's evidence interval must overlap: the pooled 95 % CI, or for a
        ``qualitative`` row of no clinically important difference, +-MCID of the outcome (the model
        may not be sure of an important difference that the evidence says is absent)."""
        if self.statistic != "qualitative":
            return self.low, self.high
        mcid = mcid_points(condition, self.outcome)
        if mcid is None:
            raise ValueError(
                f"pooled row {self.id}: outcome {self.outcome!r} has no MCID in points to gate on"
            )
        return -mcid[0], mcid[0]


def load_pooled(path: str | Path | None = None) -> list[Pooled]:
    """The pooled-evidence rows, checked (ValueError naming the file, row and column otherwise)."""
    import csv

    path = Path(path) if path is not None else evidence_dir() / "pooled.csv"
    plans = set(standard_plans())
    conditions = set(list_conditions())
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != POOLED_COLUMNS:
            raise ValueError(f"{path}: columns must be {', '.join(POOLED_COLUMNS)}, got {reader.fieldnames}")
        rows = []
        for line, r in enumerate(reader, start=2):
            where = f"{path}, line {line} ({r['id']})"

            def choice(col, accepted, r=r, where=where):
                if r[col] not in accepted:
                    raise ValueError(f"{where}: {col} {r[col]!r} is not one of {', '.join(sorted(accepted))}")
                return r[col]

            choice("condition", conditions)
            choice("plan", plans)
            choice("comparator", plans)
            choice("outcome", OUTCOMES)
            stat = choice("statistic", STATISTICS)
            try:
                day = int(r["day"])
            except ValueError:
                raise ValueError(f"{where}: day {r['day']!r} is not a whole number of days") from None
            if not 0 <= day <= DAYS:
                raise ValueError(f"{where}: day {day} is outside [0, {DAYS}]")
            nums = []
            for col in ("estimate", "low", "high"):
                if stat in ("qualitative", "none"):
                    if r[col]:
                        raise ValueError(f"{where}: a {stat} row has no {col} (got {r[col]!r})")
                    nums.append(float("nan"))
                    continue
                try:
                    nums.append(float(r[col]))
                except ValueError:
                    raise ValueError(f"{where}: {col} {r[col]!r} is not a number") from None
            if stat in ("mean_difference", "smd") and not nums[1] <= nums[0] <= nums[2]:
                raise ValueError(f"{where}: expected low <= estimate <= high, got {nums}")
            est, low, high = nums
            rows.append(
                Pooled(
                    id=r["id"],
                    condition=r["condition"],
                    plan=r["plan"],
                    comparator=r["comparator"],
                    day=day,
                    outcome=r["outcome"],
                    statistic=stat,
                    estimate=est,
                    low=low,
                    high=high,
                    source=r["source"],
                    verified=r["verified"],
                    note=r["note"],
                )
            )
    return rows


def _values(res, outcome: str, day: int) -> np.ndarray:
    return res.outcome(outcome)[:, day] if outcome == "questionnaire" else getattr(res, outcome)[:, day]


def member_effects(res, ref, outcome: str, day: int, statistic: str) -> np.ndarray:
    """Per ensemble member: the mean paired difference ``res - ref`` on ``day`` or, for ``smd``, that
    difference over the pooled SD of the two arms (each arm's SD within the member)."""
    a, b = _values(res, outcome, day), _values(ref, outcome, day)
    members = res.ensemble_member
    out = []
    for m in np.unique(members):
        sel = members == m
        diff = float(np.mean(a[sel] - b[sel]))
        if statistic == "smd":
            sd = float(np.sqrt(0.5 * (np.var(a[sel], ddof=1) + np.var(b[sel], ddof=1))))
            diff = diff / sd
        out.append(diff)
    return np.asarray(out)


def plausibility_table(conditions=None, n_patients: int = N_PATIENTS, members: int = MEMBERS):
    """The table: one row per (condition, plan, comparator, day, outcome, statistic).

    Returns
    -------
    pandas.DataFrame
        Columns ``condition, plan, comparator, day, outcome, unit, statistic, model, model_low,
        model_high, pooled, pooled_low, pooled_high, source, pooled_id, verified, overlaps``; ``overlaps``
        is None where there is no pooled interval.
    """
    import pandas as pd

    from ptsim.engine.result import outcome_unit
    from ptsim.engine.simulate import compare

    pooled = load_pooled()
    conditions = list_conditions() if conditions is None else list(conditions)
    rows = []
    for name in conditions:
        cond = load_condition(name)
        comp = compare(cond, standard_plans(), n_patients=n_patients, days=DAYS, seed=SEED, ensemble=members)
        discharge = comp["usual_care"].discharge_day
        mine = [p for p in pooled if p.condition == name]
        grid = [
            (plan, "usual_care", day, outcome, "mean_difference")
            for plan in standard_plans()
            if plan != "usual_care"
            for day in (discharge, DAYS)
            for outcome in OUTCOMES
        ]
        extra = [p.key for p in mine]
        keys = list(dict.fromkeys(grid + extra))
        for plan, comparator, day, outcome, stat in keys:
            effects = member_effects(comp[plan], comp[comparator], outcome, day, stat)
            key = (plan, comparator, day, outcome, stat)
            p = next(
                (q for q in mine if (q.plan, q.comparator, q.day, q.outcome, q.compared_as) == key), None
            )
            lo, hi = np.percentile(effects, [2.5, 97.5])
            overlaps = None
            if p is not None and p.gated:
                a, b = p.bounds(cond)
                overlaps = bool(lo <= b and a <= hi)
            rows.append(
                {
                    "condition": name,
                    "plan": plan,
                    "comparator": comparator,
                    "day": day,
                    "outcome": _outcome_name(cond, outcome),
                    "unit": "SMD" if stat == "smd" else outcome_unit(cond, outcome),
                    "statistic": stat,
                    "model": float(effects.mean()),
                    "model_low": float(lo),
                    "model_high": float(hi),
                    "pooled": p.estimate if p else float("nan"),
                    "pooled_low": p.bounds(cond)[0] if p and p.gated else float("nan"),
                    "pooled_high": p.bounds(cond)[1] if p and p.gated else float("nan"),
                    "pooled_id": p.id if p else "",
                    "source": p.source if p else "",
                    "note": p.note if p else "",
                    "verified": p.verified if p else "",
                    "overlaps": overlaps,
                }
            )
    return pd.DataFrame(rows)


def _outcome_name(cond, outcome: str) -> str:
    """The name shown for an outcome: the condition's questionnaire by its own name."""
    if outcome == "questionnaire" and cond.questionnaire is not None:
        return cond.questionnaire.name
    return outcome


def is_point(mean: float, low: float, high: float) -> bool:
    """True when an evidence interval is a point at the table's two decimals (issue 20 item 5: no
    free parameter moves that comparison, so its interval leaves all parameter uncertainty out)."""
    return round(high, 2) - round(low, 2) < 0.005


def _fmt(x: float, lo: float, hi: float) -> str:
    if np.isnan(x):
        return ""
    return f"{x:+.2f} [{lo:+.2f}, {hi:+.2f}]"


def table_markdown(table, course=None) -> str:
    """The section of ``docs/model.md`` (Markdown) for a :func:`plausibility_table` (and, given, a
    :func:`natural_course` table)."""
    gated = table[table["overlaps"].notna()]
    fails = gated[gated["overlaps"] == False]  # noqa: E712 (a column of objects)
    lines = [
        START,
        "",
        f"Generated by `python -m ptsim.analysis.plausibility --write` (evidence scenario, stored "
        f"ensembles: {MEMBERS} members evenly spaced, {N_PATIENTS} patients, seed {SEED}). `model` is the "
        "mean over members of the plan-minus-comparator difference (the same patients) with its evidence "
        "interval (2.5th-97.5th percentiles of the members' means); an SMD row divides each member's "
        "difference by the two arms' pooled SD on that day. `pooled` is `data/evidence/pooled.csv` "
        "(negative = less pain or disability; ROM in degrees). Interval note: "
        f"{FIXED_NOTE}.",
        "",
        f"**{len(gated) - len(fails)} of {len(gated)} comparisons with pooled evidence overlap it** (a "
        "pooled interval, or +-MCID where the evidence is of no important difference)."
        + (
            " Not overlapping: "
            + "; ".join(
                f"{r.condition} {r.plan} vs {r.comparator}, day {r.day}, {r.outcome}"
                for r in fails.itertuples()
            )
            + "."
            if len(fails)
            else ""
        ),
        "",
    ]
    for name, part in table.groupby("condition", sort=False):
        lines += [
            f"#### {name}",
            "",
            "| plan | vs | day | outcome | model (evidence interval) | pooled (95 % CI) | overlaps "
            "| source |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in part.itertuples():
            unit = "SMD" if r.statistic == "smd" else r.unit
            pooled = _fmt(r.pooled, r.pooled_low, r.pooled_high)
            if not pooled and r.note:
                pooled = r.note
                if r.statistic == "mean_difference" and not np.isnan(r.pooled_high):
                    pooled += f" (checked as no important difference: within +-{r.pooled_high:g}, the MCID)"
            src = r.source + (" (interval partly unverified)" if r.verified == "partial" else "")
            mark = {True: "yes", False: "**no**"}.get(r.overlaps, "")
            model = _fmt(r.model, r.model_low, r.model_high)
            if is_point(r.model, r.model_low, r.model_high):
                model += " (a point: no free parameter of the fit moves it)"
            lines.append(
                f"| {r.plan} | {r.comparator} | {r.day} | {r.outcome} ({unit}) | {model} | {pooled} | {mark} "
                f"| {src} |"
            )
        lines.append("")
    if course is not None:
        lines.append(natural_course_markdown(course))
    lines.append(END)
    return "\n".join(lines)


NATURAL_COURSE_DAYS = (42, 182, 365)
NATURAL_COURSE_EVIDENCE = {
    ("low_back_pain", "pain"): (
        (44, 23, 12),
        "Costa et al. 2012, CMAJ 184:E613 (33 inception cohorts, acute low back pain: pain 52, 23, 12 and 6 "
        "/100 at 0, 6, 26 and 52 weeks; disability followed a similar course)",
    ),
}
"""Published untreated courses (% of baseline at :data:`NATURAL_COURSE_DAYS`), by condition and outcome."""


def natural_course(conditions=None, n_patients: int = N_PATIENTS, members: int = MEMBERS):
    """Usual care's pain and questionnaire as % of their baseline (scale minimum as 0 %) at 6, 26 and
    52 weeks, per member of the stored ensemble (issue 20 item 4: does disability follow pain as the
    natural-history evidence says?).

    Returns
    -------
    pandas.DataFrame
        ``condition, outcome, day, model, model_low, model_high, published``.
    """
    import pandas as pd

    from ptsim.engine.simulate import simulate

    rows = []
    for name in list_conditions() if conditions is None else conditions:
        cond = load_condition(name)
        res = simulate(cond, "usual_care", n_patients=n_patients, days=DAYS, seed=SEED, ensemble=members)
        q = cond.questionnaire
        best = 0.0 if q is None else (q.scale_min if q.higher_is_worse else q.scale_max)
        for outcome, floor in (("pain", 0.0), ("questionnaire", best)):
            base = np.abs(res.baseline(outcome) - floor)
            values = np.abs(res.outcome(outcome) - floor)
            member = np.asarray(res.ensemble_member)
            for j, day in enumerate(NATURAL_COURSE_DAYS):
                share = [
                    100 * values[member == m, day].mean() / base[member == m].mean()
                    for m in np.unique(member)
                ]
                published = NATURAL_COURSE_EVIDENCE.get((name, outcome))
                rows.append(
                    {
                        "condition": name,
                        "outcome": _outcome_name(cond, outcome),
                        "day": day,
                        "model": float(np.mean(share)),
                        "model_low": float(np.percentile(share, 2.5)),
                        "model_high": float(np.percentile(share, 97.5)),
                        "published": published[0][j] if published else None,
                        "source": published[1] if published else "",
                    }
                )
    return pd.DataFrame(rows)


def natural_course_markdown(table) -> str:
    """The untreated-course part of the section: pain beside the questionnaire, % of baseline."""
    lines = [
        "#### Untreated course: does the questionnaire follow pain?",
        "",
        "Usual care, % of the baseline score (the scale's best end as 0 %), mean over members [evidence "
        "interval]. Where the questionnaire stays well above pain, disability lags pain in the model.",
        "",
        "| condition | outcome | 6 weeks | 26 weeks | 52 weeks | published (6, 26, 52 weeks) |",
        "|---|---|---|---|---|---|",
    ]
    for (name, outcome), part in table.groupby(["condition", "outcome"], sort=False):
        cells = [f"{r.model:.0f} [{r.model_low:.0f}, {r.model_high:.0f}]" for r in part.itertuples()]
        first = part.iloc[0]
        pub = (
            ", ".join(f"{v:.0f}" for v in part["published"]) + f" ({first['source']})"
            if first["source"]
            else ""
        )
        lines.append(f"| {name} | {outcome} | {' | '.join(cells)} | {pub} |")
    lines.append("")
    return "\n".join(lines)


def write_section(markdown: str, path: str | Path | None = None) -> Path:
    """Replace the plausibility section of ``docs/model.md`` (between its markers) with ``markdown``."""
    path = Path(path) if path is not None else Path(__file__).resolve().parents[2] / "docs" / "model.md"
    text = path.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise ValueError(f"{path}: the markers {START} and {END} are missing")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    path.write_text(head + markdown + tail, encoding="utf-8")
    return path


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m ptsim.analysis.plausibility",
        description="Each standard plan against usual care (and the pooled comparisons) beside the pooled "
        "evidence; prints the Markdown section, or writes it into docs/model.md with --write.",
    )
    parser.add_argument("--write", action="store_true", help="write the section into docs/model.md")
    args = parser.parse_args(argv)
    try:
        md = table_markdown(plausibility_table(), natural_course())
    except (ValueError, FileNotFoundError) as exc:
        print(f"python -m ptsim.analysis.plausibility: {exc}", file=sys.stderr)
        return 2
    if args.write:
        print(f"wrote {write_section(md)}")
    else:
        print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
