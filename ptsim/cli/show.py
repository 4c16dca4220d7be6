"""``ptsim show``: a condition's parameters with their units and sources."""

from __future__ import annotations

import argparse

from ptsim.cli.shared import EXIT_OK, _load_condition, _table
from ptsim.core.vocabulary import OUTCOMES

BASELINE_UNITS = {
    **{o.column: o.unit for o in OUTCOMES.values() if o.name != "function"},  # the measured baselines
    "manual_responsiveness": "multiplier (1 = typical)",
    "exercise_responsiveness": "multiplier (1 = typical)",
    "home_adherence_prob": "probability 0-1",
}
NATURAL_HISTORY_UNITS = {
    "pain_end_frac": "share of baseline",
    "pain_tau_days": "days",
    "rom_deficit_end_frac": "share of baseline",
    "rom_tau_days": "days",
    "setback_hazard_per_day": "per day",
}
_UNIT_SUFFIXES = (  # longest first: the unit a model parameter's name ends with
    ("_pct_per_dose_min", "% of normal per effective exercise min"),
    ("_per_dose_min", "per effective exercise min"),
    ("_per_window_min", "per minute of full window"),
    ("_per_min", "per min"),
    ("_per_nprs", "per NPRS point"),
    ("_per_year", "per year"),
    ("_per_pct", "per % of normal"),
    ("_frac_at_max_pain", "share at pain 10/10"),
    ("_frac", "share 0-1"),
    ("_nprs", "NPRS points"),
    ("_pct", "% of normal"),
    ("_days", "days"),
    ("_min", "min"),
    ("_motor_coef", "log-hazard reduction at full motor control"),
    ("_ratio", "ratio"),
)


def _grade_text(grade: int | None) -> str:
    """A Maitland grade in Roman numerals ("none" for an ungraded technique)."""
    return "none" if grade is None else "I II III IV".split()[grade - 1]


def parameter_unit(name: str) -> str:
    """The unit of a model parameter, read from the end of its name (``fitness_tau_days`` -> days)."""
    for suffix, unit in _UNIT_SUFFIXES:
        if name.endswith(suffix):
            return unit
    if name.startswith("function_weight_"):
        return "weight 0-1"
    return "see its meaning"


def _show_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("condition", metavar="CONDITION", help="a shipped condition name or a .toml file")
    parser.add_argument(
        "--all",
        action="store_true",
        help="also list every model-wide parameter (defaults and this condition's overrides)",
    )


def _show_run(args) -> int:
    from ptsim.core.parameters import PARAMETERS
    from ptsim.inputs.conditions import BASELINE_KEYS, NATURAL_HISTORY_KEYS

    c = _load_condition(args.condition, "CONDITION")
    src = c.sources
    print(f"{c.name}: {c.title}")
    print(c.description)
    print(f"file: {c.path}")
    print(f"movement: {c.rom_measure}, normal {c.rom_normal_deg:g} deg  [{src['condition.rom_normal_deg']}]")
    print()
    print("Baseline: per-patient distributions of a virtual cohort")
    rows = []
    for key, kind in BASELINE_KEYS.items():
        d = c.baseline[key]
        text = f"mean {d.mean:g}, SD {d.sd:g}, {kind}"
        if kind == "truncated normal":
            text += f" in [{d.low:g}, {d.high:g}]"
        rows.append([key, BASELINE_UNITS[key], text, d.source])
    print(_table(["quantity", "unit", "distribution", "source"], rows))
    print()
    print("Tissue shares of the baseline ROM deficit (each technique acts on its own tissue)")
    rows = [[t, "share 0-1", f"{s:g}", src[f"tissue_shares.{t}"]] for t, s in c.tissue_shares.items()]
    print(_table(["tissue", "unit", "value", "source"], rows))
    print()
    print("Natural history: the untreated course")
    rows = [
        [
            k,
            NATURAL_HISTORY_UNITS[k],
            f"{c.natural_history[k]:g}",
            src.get(f"calibrated.natural_history.{k}", src[f"natural_history.{k}"]),
        ]
        for k in NATURAL_HISTORY_KEYS
    ]
    print(_table(["key", "unit", "value", "source"], rows))
    print()
    print("Indicated manual techniques (what 'manual therapy' means in the standard plans)")
    rows = [
        [t, f"{share:g}", _grade_text(grade), src[f"manual_therapy.{t}"]]
        for t, (share, grade) in c.manual_therapy.items()
    ]
    print(_table(["technique", "share of manual minutes", "Maitland grade", "source"], rows))
    print()
    # The condition file's [response] table, then its calibrated layer (which wins).
    overrides = {k.split(".", 1)[1]: s for k, s in src.items() if k.startswith("response.")}
    overrides |= {
        k.split(".", 1)[1]: s for k, s in src.items() if k.startswith("calibrated.") and k[11:] in PARAMETERS
    }
    shown = [name for name in PARAMETERS if args.all or name in overrides]
    if args.all:
        print(f"Model parameters ({len(PARAMETERS)}; '*' marks this condition's values)")
    else:
        print("Model parameters this condition sets or calibrates (other than the model-wide defaults)")
    for name in shown:
        p = PARAMETERS[name]
        mark = "*" if name in overrides else ""
        value = f"{c.parameters[name]:g}{mark} {parameter_unit(name)}"
        print(f"  {name} = {value} (accepted {p.low:g} to {p.high:g})")
        print(f"      {p.meaning}")
        print(f"      source: {overrides.get(name, p.source)}")
    if not args.all:
        if not shown:
            print("  none")
        rest = len(PARAMETERS) - len(shown)
        print(f"  ... and {rest} model-wide parameters at their defaults: list them with --all")
    return EXIT_OK
