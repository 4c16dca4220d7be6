"""``ptsim list``: the shipped conditions and the standard plans."""

from __future__ import annotations

import argparse

from ptsim.cli.shared import EXIT_OK, _table


def _list_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def _list_run(args) -> int:
    import ptsim

    rows = []
    for name in ptsim.list_conditions():
        c = ptsim.load_condition(name)
        rows.append([name, f"{c.title}: {c.description}"])
    print("Conditions (ptsim show NAME lists parameters, units and sources):")
    print(_table(["name", "description"], rows))
    print()
    plans = ptsim.standard_plans()
    first = plans["combined"]
    print(
        f"Standard plans ({first.sessions_per_week} clinic sessions a week for {first.weeks} weeks, "
        f"{first.session.minutes:g}-minute sessions):"
    )
    print(_table(["name", "description"], [[n, p.description] for n, p in plans.items()]))
    print()
    print("Your own condition or plan: pass the path of a .toml file instead of a name (see README).")
    return EXIT_OK
