"""The ``ptsim`` command: list what is shipped, show a condition, compare plans.

``ptsim`` with no arguments (and ``python -m ptsim``) is ``ptsim compare`` with its defaults: the
standard plans for knee OA on 200 virtual patients over a year, a summary table on stdout and the
figure ``ptsim_compare.png``. That default figure is replaced on every run, so the quick start works
every time; a file the user names is never replaced without ``--force``, and neither is an output
file estimated above ``OUTPUT_SIZE_LIMIT_BYTES``.

The command is built on argparse: it is in the standard library (no extra dependency for three
subcommands), and its subparsers give each command its own ``--help``.

Commands are registered in :data:`COMMANDS` (name -> :class:`Command`): to add one, write an
``add_arguments(parser)`` and a ``run(args) -> int`` function and add an entry; ``main`` builds the
parser from the registry.

Errors a user can make (a bad argument, a missing or malformed file, an output file that already
exists) end the command with exit status 2 and one line on stderr that names the argument and what
it accepts; never a traceback. Output files are written to a temporary file in the same folder and
renamed into place, so an interrupted run (Ctrl-C or SIGTERM) leaves no half-written file.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ptsim.core.extras import MissingExtraError
from ptsim.core.vocabulary import OUTCOMES
from ptsim.inputs.ensembles import DEFAULT_ENSEMBLE_MEMBERS

DEFAULT_CONDITION = "knee_oa"
DEFAULT_PATIENTS = 200
DEFAULT_DAYS = 365
DEFAULT_PLOT = "ptsim_compare.png"
MAX_DAYS = 3650
"""Longest horizon (days, ten years) the command accepts."""
MAX_PATIENT_DAYS = 50_000_000
"""Largest patients x (days + 1) x plans the command accepts (about 2 GB of result arrays)."""
OUTPUT_SIZE_LIMIT_BYTES = 500_000_000
"""Largest estimated output file (bytes) written without ``--force``."""
CSV_BYTES_PER_ROW = 115
"""Size of one row of ``compare --out`` (one plan, patient and day): about 112 bytes measured."""
PROGRESS_DELAY_S = 1.0
"""The progress bar appears only once a run has taken this long (seconds)."""

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143


class UsageError(Exception):
    """A mistake the user can fix: reported as one line on stderr with exit status 2.

    Parameters
    ----------
    argument : str or None
        The argument at fault as the user typed it (``"--patients"``, ``"CONDITION"``), or None when
        the message already names it (argparse's own messages do).
    message : str
        What is wrong and what is accepted.
    """

    def __init__(self, argument: str | None, message: str, prog: str | None = None):
        self.argument = argument
        self.message = message
        self.prog = prog
        super().__init__(f"{argument}: {message}" if argument else message)


def _one_line(message: object) -> str:
    """An error (or any text) as one line: its ``str`` with runs of whitespace made single spaces."""
    return " ".join(str(message).split())


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that temporary files are removed on the way out."""


def _on_sigterm(signum, frame):
    raise _Terminated


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors raised as :class:`UsageError` (one line, not usage + message).

    Abbreviated options (``--pat`` for ``--patients``) are refused, so scripts keep working when an
    option is added later.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):
        raise UsageError(None, f"{message} (see '{self.prog} --help')", prog=self.prog)


# --- argument types: each returns the value or raises ArgumentTypeError naming what is accepted ---


def _whole_number(low: int, high: int | None = None, what: str = "a whole number", high_text: str = ""):
    accepted = f"{what} >= {low}" if high is None else f"{what} in [{low}, {high_text or high}]"

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {accepted}, got {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected {accepted}, got {text!r}")
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse


def _day_list(text: str) -> list[int]:
    accepted = "comma-separated whole numbers of days >= 0, e.g. 14,42,365"
    parts = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not p for p in parts):
        raise argparse.ArgumentTypeError(f"expected {accepted}, got {text!r}")
    days = []
    for p in parts:
        try:
            d = int(p)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {accepted}, got {p!r} in {text!r}") from None
        if d < 0:
            raise argparse.ArgumentTypeError(f"expected {accepted}, got {p!r} in {text!r}")
        if d in days:
            raise argparse.ArgumentTypeError(f"day {d} is given twice in {text!r}; give each day once")
        days.append(d)
    return sorted(days)


def _name_list(text: str) -> list[str]:
    parts = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not p for p in parts):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated plan names or .toml files, e.g. manual_only,combined; got {text!r}"
        )
    return parts


# --- small helpers -----------------------------------------------------------------------------


SHARED_OPTIONS: dict[str, dict] = {
    "--condition": dict(
        default=DEFAULT_CONDITION,
        metavar="C",
        help=f"a shipped condition name or a .toml file (default {DEFAULT_CONDITION}; see 'ptsim list')",
    ),
    "--seed": dict(
        type=_whole_number(0, 2**64 - 1, high_text="2**64 - 1"),
        default=0,
        metavar="S",
        help="random seed (default 0); the same seed gives the same numbers",
    ),
    "--scenario": dict(
        choices=("evidence", "premise"),
        default="evidence",
        help="the condition's parameter scenario: 'evidence' (default; the calibrated values) or "
        "'premise' (the premise's claims: manual relief transient only, consolidation on; no --ensemble)",
    ),
    "--force": dict(action="store_true", help="replace output files that already exist"),
    "--ensemble": dict(
        type=_whole_number(1),
        nargs="?",
        const=True,
        default=False,
        metavar="N",
        help="draw the patients' parameters from the condition's stored evidence ensemble "
        "(data/ensembles): every patient runs under N members, evenly spaced (without N: "
        f"{DEFAULT_ENSEMBLE_MEMBERS}, or all if fewer are stored), so that intervals hold the "
        "evidence's uncertainty; costs N times a run without",
    ),
}
"""Options several commands take, declared once: option -> keyword arguments of ``add_argument``."""


def _add_shared(parser: argparse.ArgumentParser, *options: str) -> None:
    """Add options of :data:`SHARED_OPTIONS` to a command's parser."""
    for option in options:
        parser.add_argument(option, **SHARED_OPTIONS[option])


def _table(headers: list[str], rows: list[list[str]], indent: str = "  ") -> str:
    """Rows of text as left-aligned columns (the last column is not padded)."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for r in [headers, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(r[:-1], widths[:-1], strict=True)]
        lines.append((indent + "  ".join([*cells, str(r[-1])])).rstrip())
    return "\n".join(lines)


def _load_condition(text: str, argument: str, scenario: str = "evidence"):
    import ptsim

    try:
        return ptsim.load_condition(text, scenario=scenario)
    except (ValueError, FileNotFoundError, OSError) as exc:
        raise UsageError(argument, _one_line(exc)) from None


def _note(args, message: str) -> None:
    """An informational line on stderr (silent with --quiet)."""
    if not getattr(args, "quiet", False):
        print(message, file=sys.stderr)


@dataclass(frozen=True)
class _Output:
    """An output file checked before the run: ``argument`` names the option that asked for it."""

    argument: str
    path: Path


def _check_output(argument: str, text: str, force: bool, suffixes: tuple[str, ...] | None = None) -> _Output:
    """Check an output path before any work is done."""
    path = Path(text).expanduser()
    if suffixes is not None and path.suffix.lower().lstrip(".") not in suffixes:
        raise UsageError(
            argument,
            f"cannot tell the file type of {text!r}; accepted endings: "
            + ", ".join(f".{s}" for s in suffixes),
        )
    if path.is_symlink() and path.exists():
        path = path.resolve()  # write through the link, as open(path, "w") would, not replace it
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(argument, f"folder {str(folder)!r} does not exist; create it or choose another path")
    if path.is_dir():
        raise UsageError(argument, f"{text!r} is a folder; give a file name")
    if not os.access(folder, os.W_OK):
        raise UsageError(argument, f"cannot write in folder {str(folder)!r} (permission denied)")
    if path.is_symlink() and not path.exists():
        raise UsageError(
            argument,
            f"{text!r} is a symbolic link to {os.readlink(path)!r}, which does not exist; give a file name "
            "or a link to an existing file",
        )
    try:  # a folder that exists and looks writable may still refuse new files (/proc, /sys)
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=folder)
    except OSError as exc:
        raise UsageError(
            argument,
            f"cannot create files in folder {str(folder)!r} ({exc.strerror or exc}); it holds no ordinary "
            "files (a system folder such as /proc or /sys?): choose another folder",
        ) from None
    os.close(fd)
    os.unlink(probe)
    if path.exists() and not force:
        raise UsageError(
            argument, f"{text!r} already exists; pass --force to replace it or choose another name"
        )
    return _Output(argument, path)


def _new_file_mode(path: Path) -> int:
    """The permissions a plain ``open(path, "w")`` would give: the old file's, or 0666 less the umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _atomic_write(out: _Output, write: Callable[[Path], None], force: bool) -> None:
    """Call ``write(temporary_path)``, then rename the file into place.

    The temporary file sits in the destination folder (so the rename is atomic) and is removed if
    writing fails or is interrupted: the destination is either the old file or the complete new one.
    """
    path = out.path
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".part{path.suffix}", dir=path.parent)
    except OSError as exc:
        raise UsageError(
            out.argument, f"cannot write in {str(path.parent)!r}: {exc.strerror or exc}"
        ) from None
    os.close(fd)
    try:
        try:
            write(Path(tmp))
        except OSError as exc:
            raise UsageError(out.argument, f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
        os.chmod(tmp, _new_file_mode(path))  # mkstemp makes 0600 files; give the usual permissions
        if path.exists() and not force:  # created by someone else while we ran
            raise UsageError(
                out.argument, f"{str(path)!r} appeared during the run; pass --force to replace it"
            )
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise UsageError(out.argument, f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- ptsim list ----------------------------------------------------------------------------------


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


# --- ptsim show ----------------------------------------------------------------------------------

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
        [t, f"{share:g}", f"{'I II III IV'.split()[grade - 1]}", src[f"manual_therapy.{t}"]]
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


# --- ptsim compare -------------------------------------------------------------------------------


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
        "--patients",
        type=_whole_number(1),
        default=None,
        metavar="N",
        help=f"virtual patients sampled from the condition (default {DEFAULT_PATIENTS}; "
        "the cohort's size with --cohort)",
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


def _resolve_plans(names: list[str] | None, argument: str = "--plans") -> dict:
    import ptsim
    from ptsim.inputs.plans import PLAN_NAMES, get_plan

    if names is None:
        return ptsim.standard_plans()
    plans = {}
    for text in names:
        if text not in PLAN_NAMES and not text.endswith(".toml"):
            raise UsageError(
                argument,
                f"unknown plan {text!r}; accepted: {', '.join(PLAN_NAMES)}, or a path to a .toml file",
            )
        try:
            plan = get_plan(text)
        except (ValueError, FileNotFoundError, OSError) as exc:
            raise UsageError(argument, _one_line(exc)) from None
        if plan.name in plans:
            raise UsageError(
                argument,
                f"plan {plan.name!r} is given twice (a plan file's 'name' must differ from the others)",
            )
        plans[plan.name] = plan
    return plans


STARTING_NOTE = "starting (the first run after an install or update compiles the engine: about 10 s)"
"""What the progress bar says until the first chunk of patients is done (compilation, sampling)."""


@contextlib.contextmanager
def _progress(args, total: int):
    """A progress bar on stderr, shown only on a terminal, without --quiet, for runs over a second;
    it advances per chunk of patients (:func:`ptsim.compare`'s ``progress``) and, until the first chunk
    is done (the engine's first compilation takes seconds), says that it is starting."""
    from tqdm import tqdm

    disable = args.quiet or not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())
    bar = tqdm(
        total=total,
        desc="simulating",
        unit="chunk",
        file=sys.stderr,
        disable=disable,
        delay=PROGRESS_DELAY_S,
        leave=False,
    )
    done = threading.Event()

    def heartbeat() -> None:
        if not done.wait(PROGRESS_DELAY_S):
            bar.set_postfix_str(STARTING_NOTE, refresh=False)
        while not done.wait(1.0) and bar.n == 0:
            bar.refresh()

    beat = threading.Thread(target=heartbeat, daemon=True)
    if not disable:
        beat.start()
    try:
        with bar:
            yield bar
    finally:
        done.set()
        if beat.is_alive():
            beat.join()


def _advance(bar):
    """A ``progress(done, total, plan_name)`` callback (:func:`ptsim.compare`) that moves ``bar``."""

    def progress(done: int, total: int, plan_name: str) -> None:
        bar.total = total
        bar.set_postfix_str(plan_name, refresh=False)
        bar.update(done - bar.n)

    return progress


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


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


def _command_words(message: str, cond) -> str:
    """An ensemble error of the API in the command's words: ``--condition``, ``--scenario`` and
    ``--ensemble`` where the API's message names ``load_condition``, ``scenario=`` and ``ensemble=``."""
    for api, cli in (
        (f"(ptsim.load_condition({cond.name!r}))", f"(--condition {cond.name})"),
        ("scenario='evidence'", "--scenario evidence"),
        ("scenario='premise'", "--scenario premise"),
        ("(ensemble=True takes", "(--ensemble without N takes"),
        ("(ensemble=False)", "(leave --ensemble out)"),
        ("or ensemble=False", "or leave --ensemble out"),
    ):
        message = message.replace(api, cli)
    return message


def _ensemble_members(ensemble, cond, command: str = "compare") -> int:
    """Members a run with ``--ensemble`` simulates (1 without): checks the stored ensemble first, so
    a missing one, a count above the stored one, an edited condition or (``compare``: its evidence
    interval would be a point) one member is a usage error before any work is done."""
    if ensemble is False:
        return 1
    from ptsim.engine.simulate import _check_members
    from ptsim.inputs.ensembles import choose_members

    try:
        members = choose_members(ensemble, cond)
        if command == "compare":
            _check_members(members)
    except (ValueError, FileNotFoundError) as exc:
        message = _command_words(_one_line(exc).removeprefix("ensemble: "), cond)
        raise UsageError("--ensemble", message) from None
    return len(members[1])


def _check_size(n: int, days: int, n_plans: int, argument: str) -> None:
    cells = n * (days + 1) * n_plans
    if cells > MAX_PATIENT_DAYS:
        raise UsageError(
            argument,
            f"{n} patients x {days + 1} days x {n_plans} plans = {cells:,} patient-days; "
            f"this command holds at most {MAX_PATIENT_DAYS:,}: use fewer patients, days or plans",
        )


FRAME_BYTES_PER_ROW = 250
"""Memory of ``compare --out`` per row (plan, patient and day): about 123 bytes in the table, held
twice while the plans' tables are joined (measured with pandas 2-3)."""


def _check_memory(
    argument: str, n_rows: int, days: int, n_plans: int, out_rows: int = 0, assessments: int = 0
) -> None:
    """Refuse a run whose estimated memory (:func:`ptsim.engine.setup.run_memory_bytes`, the table of
    ``--out``: ``out_rows`` rows, and a trial's patient-level data: ``assessments`` days per patient,
    :data:`ptsim.analysis.trial.BYTES_PER_ASSESSMENT`) exceeds what the system can give, before any
    work is done."""
    from ptsim.analysis.trial import BYTES_PER_ASSESSMENT
    from ptsim.engine.setup import run_memory_bytes
    from ptsim.inputs.memory import check_memory

    what = f"{n_rows:,} patients x {_plural(days + 1, 'day')} x {_plural(n_plans, 'plan')}"
    if out_rows:
        what += f", and {FRAME_BYTES_PER_ROW} bytes per row of --out"
    if assessments:
        what += f", and {BYTES_PER_ASSESSMENT} bytes per patient and assessment day x {assessments}"
    try:
        check_memory(
            run_memory_bytes(n_rows, days, None, n_plans)
            + out_rows * FRAME_BYTES_PER_ROW
            + n_rows * assessments * BYTES_PER_ASSESSMENT,
            argument,
            what,
            advice="use fewer patients per arm, arms or assessment days"
            if assessments
            else "use fewer patients, days or plans",
        )
    except ValueError as exc:
        raise UsageError(None, _one_line(exc)) from None


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
                "--patients",
                f"{args.patients} disagrees with the {len(cohort)} patients of {args.cohort}; "
                "leave --patients out with --cohort",
            )
        n, size_argument = len(cohort), "--cohort"
        who = f"{_plural(n, 'patient')} from {args.cohort}"
    else:
        n, size_argument = DEFAULT_PATIENTS if args.patients is None else args.patients, "--patients"
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


# --- ptsim trial ---------------------------------------------------------------------------------

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


def _questionnaire_names() -> list[str]:
    """``questionnaire`` and the questionnaires of the shipped conditions (``womac``, ``ndi``, ...)."""
    import ptsim

    found = [ptsim.load_condition(c, calibrated=False).questionnaire for c in ptsim.list_conditions()]
    return ["questionnaire", *sorted({q.name for q in found if q is not None})]


def _outcome_list(text: str) -> list[str]:
    from ptsim.core.vocabulary import OUTCOMES

    parts = [p.strip() for p in text.split(",")]
    accepted = [*OUTCOMES, *_questionnaire_names()]
    if not parts or any(p not in accepted for p in parts):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated outcomes from {','.join(accepted)}; got {text!r}"
        )
    twice = [p for i, p in enumerate(parts) if p in parts[:i]]
    if twice:
        raise argparse.ArgumentTypeError(f"{twice[0]!r} is given twice in {text!r}; give each outcome once")
    return parts


def _check_outcomes(outcomes: list[str] | None, cond) -> None:
    """Each outcome is one the condition reports (its own questionnaire, not another condition's)."""
    from ptsim.engine.simulate import outcome_names

    accepted = outcome_names(cond)
    for name in outcomes or ():
        if name not in accepted:
            raise UsageError(
                "--outcomes",
                f"{cond.name} does not report {name!r}; accepted for this condition: {','.join(accepted)}",
            )


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


# --- ptsim dashboard -----------------------------------------------------------------------------

DASHBOARD_START_TIMEOUT_S = 120.0
"""Longest wait (seconds) for Voila to start listening."""
DASHBOARD_PREHEAT = 1
"""Sessions kept ready by default: the next tab opened shows the dashboard at once (docs/performance.md)."""


def _dashboard_arguments(parser: argparse.ArgumentParser) -> None:
    from ptsim.teaching.dashboard import (
        CULL_IDLE_MINUTES_LIMIT,
        DEFAULT_CULL_IDLE_MINUTES,
        DEFAULT_MAX_SESSIONS,
        DEFAULT_PORT,
        HOST,
        MAX_SESSIONS_LIMIT,
        PREHEAT_LIMIT,
    )

    parser.add_argument(
        "--port",
        type=_whole_number(0, 65535, "a port number"),
        default=DEFAULT_PORT,
        metavar="P",
        help=f"the port to serve on (default {DEFAULT_PORT}; 0 picks any free port)",
    )
    parser.add_argument(
        "--host",
        default=HOST,
        metavar="ADDRESS",
        help=f"the IP address to listen on (default {HOST}: this computer only); 0.0.0.0 serves every "
        "network this computer is on, e.g. the students' laptops in a classroom (plain HTTP: see the README)",
    )
    token = parser.add_mutually_exclusive_group()
    token.add_argument(
        "--token",
        metavar="TOKEN",
        help="the access token students need (at least 8 letters, digits, - or _); by default one is "
        f"generated when --host is not {HOST}, and none is needed on {HOST}",
    )
    token.add_argument(
        "--no-token",
        action="store_true",
        help="no token, even beyond this computer (anyone who can reach it gets in)",
    )
    parser.add_argument(
        "--max-sessions",
        type=_whole_number(1, MAX_SESSIONS_LIMIT, "a number of sessions"),
        default=DEFAULT_MAX_SESSIONS,
        metavar="N",
        help=f"most browser tabs served at once, one Python process each (default {DEFAULT_MAX_SESSIONS}); "
        "beyond it a tab gets a page saying the dashboard is full",
    )
    parser.add_argument(
        "--cull-idle-minutes",
        type=_whole_number(0, CULL_IDLE_MINUTES_LIMIT, "a number of minutes"),
        default=DEFAULT_CULL_IDLE_MINUTES,
        metavar="M",
        help="shut down a session whose tab is gone and that has been idle this long, freeing its place "
        f"(default {DEFAULT_CULL_IDLE_MINUTES}; 0: never)",
    )
    parser.add_argument(
        "--preheat",
        type=_whole_number(0, PREHEAT_LIMIT, "a number of sessions"),
        default=None,
        metavar="K",
        help="keep K sessions ready that have already computed the dashboard, so that the next K tabs show "
        "it at once (default 1, or 0 with --max-sessions 1; each uses memory while it waits and counts "
        "towards --max-sessions)",
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="print the address only; do not open a web browser"
    )


def _can_open_browser() -> bool:
    # Without a display, Python's webbrowser would start a text browser in this terminal.
    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def _stop(proc, timeout_s: float = 20.0) -> None:
    """Stop the Voila process (it shuts its kernels down on SIGTERM)."""
    import subprocess

    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _dashboard_run(args) -> int:
    import subprocess

    from ptsim.teaching import dashboard

    try:
        host = dashboard.check_host(args.host)
    except ValueError as exc:
        raise UsageError("--host", _one_line(exc)) from None
    loopback = dashboard.is_loopback(host)
    token: str | None
    if args.token is not None:
        try:
            token = dashboard.check_token(args.token)
        except ValueError as exc:
            raise UsageError("--token", _one_line(exc)) from None
    else:
        token = None if (args.no_token or loopback) else dashboard.new_token()
    preheat = min(DASHBOARD_PREHEAT, args.max_sessions - 1) if args.preheat is None else args.preheat
    if preheat >= args.max_sessions:
        raise UsageError(
            "--preheat",
            f"{preheat} ready sessions leave no place for students with --max-sessions "
            f"{args.max_sessions}: keep --preheat below --max-sessions",
        )
    if not dashboard.voila_installed():
        raise UsageError(
            None, 'the dashboard needs Voila, which is not installed: pip install "ptsim[lab]" (or voila)'
        )
    try:
        notebook = dashboard.notebook_path()
    except FileNotFoundError as exc:
        raise UsageError(None, _one_line(exc)) from None
    port = args.port or dashboard.free_port(host)
    try:
        dashboard.check_port(port, host)
    except ValueError as exc:
        raise UsageError(
            "--host" if "not an address of this computer" in str(exc) else "--port", _one_line(exc)
        ) from None
    url = dashboard.url(port, host, token)
    if not loopback:
        print(
            f"ptsim dashboard: warning: serving beyond this computer on {host}:{port} over plain HTTP: "
            + (
                "anyone on these networks who has the address with its token can use the dashboard, "
                "and anyone on the network path can read the traffic, token included"
                if token
                else "anyone who can reach this computer can use the dashboard (--no-token)"
            ),
            file=sys.stderr,
            flush=True,
        )
    with tempfile.TemporaryDirectory(prefix="ptsim-dashboard-") as config_dir:  # private: mode 0700
        if token:
            dashboard.write_token_config(Path(config_dir), token)
        command = dashboard.voila_command(
            port,
            notebook,
            host=host,
            max_sessions=args.max_sessions,
            cull_idle_minutes=args.cull_idle_minutes,
            config_dir=Path(config_dir),
            preheat=preheat,
        )
        proc = subprocess.Popen(command, env=dashboard.voila_environment())
        try:
            try:
                dashboard.wait_for_port(port, DASHBOARD_START_TIMEOUT_S, proc, host)
            except (RuntimeError, TimeoutError) as exc:
                print(
                    f"ptsim dashboard: error: Voila did not start: {exc} (see its messages above)",
                    file=sys.stderr,
                )
                return EXIT_INTERNAL
            print(f"ptsim dashboard: {url} (Ctrl-C stops it)", flush=True)
            if not loopback:
                print(
                    f"ptsim dashboard: students open {url}"
                    + (f" (or the address without it, then type the token {token})" if token else "")
                    + f"; at most {args.max_sessions} sessions at once",
                    flush=True,
                )
            if not args.no_browser:
                if _can_open_browser():
                    import webbrowser

                    webbrowser.open(url)
                else:
                    print("ptsim dashboard: no display here; open the address in a browser", flush=True)
            status = proc.wait()
            if status != 0:
                print(f"ptsim dashboard: error: Voila stopped with status {status}", file=sys.stderr)
                return EXIT_INTERNAL
            return EXIT_OK
        except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: stopping is the normal way to end
            _stop(proc)
            print(f"ptsim dashboard: stopped; {url.split('?')[0]} is closed", file=sys.stderr)
            return EXIT_TERMINATED if isinstance(exc, _Terminated) else EXIT_INTERRUPTED
        finally:
            _stop(proc)


# --- the registry and main -------------------------------------------------------------------------


# --- ptsim forecast ------------------------------------------------------------------------------

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
