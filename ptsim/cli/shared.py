"""What several ``ptsim`` commands share: the usage error, the parser, argument types, the shared
options, output files, checks made before a run and the progress bar.

:class:`UsageError` is a mistake the user can fix (one line on stderr, exit status 2). Output files
are checked before any work is done (:func:`_check_output`) and written to a temporary file in the same
folder that is renamed into place (:func:`_atomic_write`), so an interrupted run leaves no half-written
file. Each command's own module (``ptsim/cli/<command>.py``) holds what only it uses; the registry and
``main`` are in :mod:`ptsim.cli.commands`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ptsim.inputs.ensembles import DEFAULT_ENSEMBLE_MEMBERS

DEFAULT_CONDITION = "knee_oa"
DEFAULT_DAYS = 365
MAX_DAYS = 3650
"""Longest horizon (days, ten years) the command accepts."""
MAX_PATIENT_DAYS = 50_000_000
"""Largest patients x (days + 1) x plans the command accepts (about 2 GB of result arrays)."""
PROGRESS_DELAY_S = 1.0
"""The progress bar appears only once a run has taken this long (seconds)."""

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143


class UsageError(Exception):
    """A mistake the user can fix: reported as one line on stderr with exit status 2.

    Parameters
    ----------
    argument : str or None
        The argument at fault as the user typed it (``"--n-patients"``, ``"CONDITION"``), or None when
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

    Abbreviated options (``--n-pat`` for ``--n-patients``) are refused, so scripts keep working when an
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


# --- checks and progress of a run --------------------------------------------------------------


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
