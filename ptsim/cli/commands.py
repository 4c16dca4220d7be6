"""The ``ptsim`` command: list what is shipped, show a condition, compare plans, run a virtual trial,
serve the dashboard, forecast one patient (one module per command: ``ptsim.cli.<command>``).

``ptsim`` with no arguments (and ``python -m ptsim``) is ``ptsim compare`` with its defaults: the
standard plans for knee OA on 200 virtual patients over a year, a summary table on stdout and the
figure ``ptsim_compare.png``. That default figure is replaced on every run, so the quick start works
every time; a file the user names is never replaced without ``--force``, and neither is an output
file estimated above ``OUTPUT_SIZE_LIMIT_BYTES``.

The command is built on argparse: it is in the standard library (no extra dependency for three
subcommands), and its subparsers give each command its own ``--help``.

Commands are registered in :data:`COMMANDS` (name -> :class:`Command`): to add one, write a module
``ptsim/cli/<name>.py`` with an ``add_arguments(parser)`` and a ``run(args) -> int`` function
(``_<name>_arguments``, ``_<name>_run``) and add an entry; ``main`` builds the parser from the
registry. Each command's module holds what only it uses; what several use is in
:mod:`ptsim.cli.shared`.

This module is the registry and ``main``; it also re-exports names that tests import from it
(``_advance``, ``parameter_unit``, ...). A test that replaces a name with monkeypatch patches it where
it is used (``ptsim.cli.shared.PROGRESS_DELAY_S``, ``ptsim.cli.compare._advance``): replacing the
re-exported name here changes nothing.

Errors a user can make (a bad argument, a missing or malformed file, an output file that already
exists) end the command with exit status 2 and one line on stderr that names the argument and what
it accepts; never a traceback. Output files are written to a temporary file in the same folder and
renamed into place, so an interrupted run (Ctrl-C or SIGTERM) leaves no half-written file.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ptsim.cli.compare import DEFAULT_PLOT, _compare_arguments, _compare_run, _decimals
from ptsim.cli.dashboard import _dashboard_arguments, _dashboard_run
from ptsim.cli.forecast import _forecast_arguments, _forecast_run
from ptsim.cli.list import _list_arguments, _list_run
from ptsim.cli.shared import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    STARTING_NOTE,
    UsageError,
    _advance,
    _on_sigterm,
    _one_line,
    _Parser,
    _Terminated,
)
from ptsim.cli.show import BASELINE_UNITS, NATURAL_HISTORY_UNITS, _show_arguments, _show_run, parameter_unit
from ptsim.cli.trial import _trial_arguments, _trial_run
from ptsim.core.extras import MissingExtraError

__all__ = [
    "BASELINE_UNITS",
    "COMMANDS",
    "DEFAULT_COMMAND",
    "DEFAULT_PLOT",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "NATURAL_HISTORY_UNITS",
    "STARTING_NOTE",
    "Command",
    "UsageError",
    "_advance",
    "_decimals",
    "build_parser",
    "main",
    "parameter_unit",
]


@dataclass(frozen=True)
class Command:
    """A subcommand: its one-line help, how to add its arguments and how to run it."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: dict[str, Command] = {
    "list": Command("list the shipped conditions and the standard plans", _list_arguments, _list_run),
    "show": Command("show a condition's parameters with units and sources", _show_arguments, _show_run),
    "compare": Command(
        "compare plans on the same virtual patients (the default command)", _compare_arguments, _compare_run
    ),
    "trial": Command(
        "run a virtual randomised trial and print its effects table", _trial_arguments, _trial_run
    ),
    "forecast": Command(
        "forecast one patient's measured outcomes under each plan from their visits (a CSV)",
        _forecast_arguments,
        _forecast_run,
    ),
    "dashboard": Command(
        "serve the plan-comparison dashboard in a web browser (Voila; this computer only, or a class)",
        _dashboard_arguments,
        _dashboard_run,
    ),
}
"""Subcommands by name. Add an entry to add a command."""
DEFAULT_COMMAND = "compare"


def build_parser() -> argparse.ArgumentParser:
    """The ``ptsim`` parser with one subparser per entry of :data:`COMMANDS`."""
    from ptsim import __version__

    parser = _Parser(
        prog="ptsim",
        description="Simulate physical-therapy plans: range of motion, pain and strength over time. "
        f"Without a command, runs '{DEFAULT_COMMAND}' with its defaults.",
        epilog="Each command has its own help: ptsim COMMAND --help",
    )
    parser.add_argument("--version", action="version", version=f"ptsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, cmd in COMMANDS.items():
        p = sub.add_parser(name, help=cmd.help, description=cmd.help[0].upper() + cmd.help[1:] + ".")
        cmd.add_arguments(p)
        p.set_defaults(_run=cmd.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``ptsim`` command.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 success, 2 a usage error or a bad file, 130 interrupted (Ctrl-C), 143
        terminated (SIGTERM), 1 out of memory or an internal error (a bug: please report it).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    # No command (nothing, or options only) means the default command with those options.
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = [DEFAULT_COMMAND, *argv]
    prog = "ptsim"
    on_main_thread = threading.current_thread() is threading.main_thread()
    if on_main_thread:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        parser = build_parser()
        try:
            args, extra = parser.parse_known_args(argv)
        except SystemExit as exc:  # --help and --version
            return exc.code if isinstance(exc.code, int) else EXIT_OK
        prog = f"ptsim {args.command}"
        if extra:  # reported by the subcommand, whose --help lists what it accepts
            raise UsageError(
                None, f"unrecognized arguments: {' '.join(extra)} (see '{prog} --help')", prog=prog
            )
        return args._run(args)
    except UsageError as exc:
        print(f"{exc.prog or prog}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except MissingExtraError as exc:  # an optional extra the command needs: one line naming it
        print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, _Terminated) else "interrupted"
        print(f"{prog}: {what}; no output file was left half-written", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(exc, _Terminated) else EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `ptsim list | head -3`
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_OK
    except MemoryError:
        print(
            f"{prog}: error: not enough memory for this run; use fewer patients, days or plans",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    except Exception as exc:
        if os.environ.get("PTSIM_DEBUG"):
            raise
        print(
            f"{prog}: internal error: {type(exc).__name__}: {_one_line(exc)} "
            "(a bug in ptsim: please report it; set PTSIM_DEBUG=1 to see the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        if on_main_thread:
            signal.signal(signal.SIGTERM, previous)
