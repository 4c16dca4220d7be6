"""Posterior ensembles: many evidence-consistent parameter sets per condition, read from ``data/``.

A condition's ensemble is two files in ``data/ensembles/``:

- ``<condition>.csv``: one row a parameter set (a posterior draw), one column a parameter named as in
  ``data/evidence/calibration.toml`` (a model parameter, or ``natural_history.<key>``);
- ``<condition>.toml``: how it was made (command, seed, sampler settings), its diagnostics, the
  SHA-256 of every file the fit read, and the predictive summaries recorded when it was written.

How runs use an ensemble:

- :func:`choose_members` turns a run's ``ensemble`` argument (False, True, a count, an
  :class:`Ensemble`) into the members to simulate (:func:`spaced_members`: evenly spaced);
- :func:`with_member_values` gives a condition whose ensemble parameters are per-patient arrays, one
  member's values per cohort row (both engines run such a condition);
- ``simulate``/``compare`` run every patient under every chosen member (common random numbers);
- :func:`draw_members` gives each patient one member instead (trials), keyed by (seed, patient id), so
  a patient is the same person (same member) in every plan and in any cohort size, as elsewhere in
  ptsim.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ptsim.core.parameters import PARAMETERS
from ptsim.core.streams import uniforms
from ptsim.inputs.conditions import NATURAL_HISTORY_RANGES, Condition
from ptsim.inputs.paths import data_dir
from ptsim.inputs.toml_io import read_toml

DEFAULT_ENSEMBLE_MEMBERS = 20
"""Members a run takes with ``ensemble=True`` (evenly spaced through the stored members,
:func:`spaced_members`): enough for a 2.5-97.5 percentile interval of a mean, 20x the cost of a run."""


def ensembles_dir() -> Path:
    """The folder of the stored ensembles (``data/ensembles``)."""
    return data_dir() / "ensembles"


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes (to tie an ensemble to the evidence it was fitted on)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


DRAW_COLUMNS = ("chain", "draw", "log_probability")
"""Columns of an ensemble's CSV file that describe a member's draw rather than a parameter."""


@dataclass(frozen=True)
class Ensemble:
    """A posterior ensemble of one condition.

    Attributes
    ----------
    condition : str
    values : dict[str, numpy.ndarray]
        Parameter name -> one value per member (all the same length, >= 1).
    meta : dict
        The ``<condition>.toml`` contents (command, seed, sampler, diagnostics, hashes, predictive).
    path : Path or None
        The CSV file the ensemble was read from.
    draws : dict[str, numpy.ndarray]
        Columns of the CSV file that are not parameters (:data:`DRAW_COLUMNS`): the sampler's ``chain``
        and ``draw`` index of each member and its ``log_probability``, for recomputing diagnostics.
    """

    condition: str
    values: dict[str, np.ndarray]
    meta: dict = field(default_factory=dict)
    path: Path | None = None
    draws: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_members(self) -> int:
        return len(next(iter(self.values.values())))

    @property
    def names(self) -> list[str]:
        return list(self.values)

    def member(self, index: int) -> dict[str, float]:
        """One parameter set as a dict of floats."""
        if not 0 <= index < self.n_members:
            raise ValueError(f"index must be in [0, {self.n_members - 1}], got {index!r}")
        return {k: float(v[index]) for k, v in self.values.items()}


def _read_members(path: Path, condition: str) -> dict[str, np.ndarray]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason}); an ensemble CSV must be UTF-8") from None
    rows = list(csv.reader(text.splitlines()))
    if len(rows) < 2:
        raise ValueError(f"{path}: needs a header row and at least one member row")
    header = [h.strip() for h in rows[0]]
    if len(set(header)) != len(header) or not all(header):
        raise ValueError(f"{path}: column names must be non-empty and distinct, got {header}")
    columns: dict[str, list[float]] = {h: [] for h in header}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ValueError(f"{path}, line {line}: {len(row)} fields, expected {len(header)} ({header})")
        for name, raw in zip(header, row, strict=True):
            try:
                x = float(raw)
            except ValueError:
                raise ValueError(f"{path}, line {line}, column {name!r}: not a number: {raw!r}") from None
            if not math.isfinite(x):
                raise ValueError(f"{path}, line {line}, column {name!r}: must be finite, got {raw!r}")
            columns[name].append(x)
    return {k: np.asarray(v, dtype=float) for k, v in columns.items()}


def load_ensemble(condition: str, directory: str | Path | None = None) -> Ensemble:
    """Read a condition's stored ensemble.

    Parameters
    ----------
    condition : str
        A condition name (``knee_oa``, ...).
    directory : str or Path, optional
        Where ``<condition>.csv`` and ``<condition>.toml`` are (default :func:`ensembles_dir`).

    Raises
    ------
    FileNotFoundError
        When the condition has no stored ensemble (the message lists the conditions that have one).
    ValueError
        When a file is malformed (the message names the file, line and column).
    """
    folder = Path(directory) if directory is not None else ensembles_dir()
    csv_path, meta_path = folder / f"{condition}.csv", folder / f"{condition}.toml"
    if not csv_path.is_file() or not meta_path.is_file():
        have = sorted(p.stem for p in folder.glob("*.csv")) if folder.is_dir() else []
        raise FileNotFoundError(
            f"no stored ensemble for condition {condition!r} in {folder} (needs {csv_path.name} and "
            f"{meta_path.name}); conditions with one: {', '.join(have) or 'none'}. Make one with "
            f"`python -m ptsim.analysis.bayes {condition}`"
        )
    values = _read_members(csv_path, condition)
    # stored for diagnostics (the sampler's chain and draw of each member, its log-posterior): not parameters
    draws = {k: values.pop(k) for k in DRAW_COLUMNS if k in values}
    if not values:
        raise ValueError(
            f"{csv_path}: no parameter columns (only {', '.join(draws)}); expected one column per "
            "calibrated parameter, named as in data/evidence/calibration.toml"
        )
    meta = read_toml(meta_path, "ensemble description")
    if meta.get("condition") != condition:
        raise ValueError(f"{meta_path}: key 'condition' must be {condition!r}, got {meta.get('condition')!r}")
    return Ensemble(condition=condition, values=values, meta=meta, path=csv_path, draws=draws)


def spaced_members(n_members: int, count: int) -> list[int]:
    """``count`` member indices spread evenly over ``range(n_members)`` (all when there are fewer)."""
    if isinstance(count, bool) or not (isinstance(count, int | np.integer) and count >= 1):
        raise ValueError(f"members must be a whole number >= 1, got {count!r}")
    return sorted(set(np.linspace(0, n_members - 1, min(count, n_members)).round().astype(int).tolist()))


def check_values(ensemble: Ensemble) -> None:
    """Every column of ``ensemble`` names a model parameter or ``natural_history.<key>`` and every
    value lies within that parameter's documented range (ValueError naming the column otherwise)."""
    where = str(ensemble.path) if ensemble.path is not None else f"ensemble of {ensemble.condition!r}"
    for name, values in ensemble.values.items():
        if name.startswith("natural_history."):
            key = name.split(".", 1)[1]
            if key not in NATURAL_HISTORY_RANGES:
                raise ValueError(
                    f"{where}: column {name!r}: unknown natural-history key {key!r}; accepted: "
                    f"{', '.join(NATURAL_HISTORY_RANGES)}"
                )
            low, high = NATURAL_HISTORY_RANGES[key]
        elif name in PARAMETERS:
            low, high = PARAMETERS[name].low, PARAMETERS[name].high
        else:
            raise ValueError(
                f"{where}: column {name!r} is neither a model parameter (ptsim.core.parameters.PARAMETERS) "
                "nor natural_history.<key>"
            )
        bad = (values < low) | (values > high)
        if bad.any():
            raise ValueError(
                f"{where}: column {name!r}: member {int(np.argmax(bad))} has {values[bad][0]!r}, outside "
                f"the documented range [{low:g}, {high:g}]"
            )


def choose_members(ensemble, condition: Condition, directory: str | Path | None = None):
    """The ensemble and the member indices a run takes, from a run's ``ensemble`` argument.

    Parameters
    ----------
    ensemble : bool, int or Ensemble
        False: none (returns ``(None, [])``); True: :data:`DEFAULT_ENSEMBLE_MEMBERS` members of the
        condition's stored ensemble, evenly spaced; an int ``m``: that many, evenly spaced (1 <= m <=
        the stored count); an :class:`Ensemble`: all its members.
    condition : Condition
        The run's condition (its ``name`` finds the stored ensemble; its ``scenario`` must be
        ``"evidence"``: the premise is a single parameter set, without an ensemble).
    directory : str or Path, optional
        Where the stored ensembles are (default :func:`ensembles_dir`).

    Returns
    -------
    (Ensemble or None, list of int)

    Raises
    ------
    FileNotFoundError
        When the condition has no stored ensemble (the message names the command that makes one).
    ValueError
        For a premise-scenario condition, a member count that is not a whole number in [1, stored
        count], an ensemble of another condition, or values outside their documented ranges.
    """
    if ensemble is False or ensemble is None:
        return None, []
    if condition.scenario == "premise":
        raise ValueError(
            "ensemble: scenario='premise' has no ensemble (the premise is one parameter set, not a "
            "posterior); use scenario='evidence' or ensemble=False"
        )
    if isinstance(ensemble, Ensemble):
        if ensemble.condition != condition.name:
            raise ValueError(
                f"ensemble: an ensemble of condition {ensemble.condition!r} was given for {condition.name!r}"
            )
        check_values(ensemble)
        return ensemble, list(range(ensemble.n_members))
    if ensemble is True:
        count = DEFAULT_ENSEMBLE_MEMBERS
    elif isinstance(ensemble, int | np.integer) and not isinstance(ensemble, bool):
        count = int(ensemble)
        if count < 1:
            raise ValueError(f"ensemble: a member count must be >= 1, got {ensemble!r}")
    else:
        raise ValueError(
            f"ensemble must be False, True ({DEFAULT_ENSEMBLE_MEMBERS} members), a member count >= 1 or an "
            f"Ensemble, got {ensemble!r}"
        )
    stored = load_ensemble(condition.name, directory)
    if ensemble is not True and count > stored.n_members:
        raise ValueError(
            f"ensemble: {count} members asked for, but the stored ensemble of {condition.name!r} has "
            f"{stored.n_members}; accepted: 1 to {stored.n_members}"
        )
    check_values(stored)
    check_not_edited(condition, stored)
    return stored, spaced_members(stored.n_members, count)


def _some(names: list[str], shown: int = 3) -> str:
    """The first ``shown`` names, then how many more."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _value(condition: Condition, column: str):
    if column.startswith("natural_history."):
        return condition.natural_history.get(column.split(".", 1)[1])
    return condition.parameters.get(column)


def check_not_edited(condition: Condition, stored: Ensemble) -> None:
    """Refuse a stored ensemble for a condition whose values of the ensemble's parameters are not the
    shipped condition's: the members would silently replace them (an edited copy of a shipped
    condition that keeps its ``name``, the shipped file loaded by path without its calibrated layer,
    or ``with_parameters`` on one of the ensemble's parameters)."""
    from ptsim.inputs.conditions import list_conditions, load_condition

    if condition.name not in list_conditions():
        return  # an ensemble stored for a condition that is not shipped: nothing to compare with
    shipped = load_condition(condition.name)
    edited = [
        column
        for column in stored.values
        if not np.array_equal(np.asarray(_value(condition, column)), np.asarray(_value(shipped, column)))
    ]
    if edited:
        where = f" (loaded from {condition.path})" if condition.path and condition.calibration is None else ""
        raise ValueError(
            f"ensemble: condition {condition.name!r}{where} differs from the shipped condition the stored "
            f"ensemble was fitted on in {_some(edited)}, which the ensemble's members would replace; "
            f"load the shipped condition by name (ptsim.load_condition({condition.name!r})) for its "
            "ensemble, or run your condition without one (ensemble=False)"
        )


def with_member_values(condition: Condition, ensemble: Ensemble, member_of_row) -> Condition:
    """A copy of ``condition`` whose ensemble parameters are per-patient arrays: row *i* of a cohort
    takes member ``member_of_row[i]``'s values (model parameters and ``natural_history.<key>``).

    The other parameters keep the condition's values. Both engines run such a condition (every model
    parameter and natural-history value may be one value per patient column).
    """
    rows = np.asarray(member_of_row, dtype=np.int64)
    if rows.ndim != 1 or (rows.size and (rows.min() < 0 or rows.max() >= ensemble.n_members)):
        raise ValueError(f"member indices must be in [0, {ensemble.n_members - 1}]")
    # per-patient arrays where the condition holds floats (the engines take either, see sensitivity)
    params: dict = dict(condition.parameters)
    natural: dict = dict(condition.natural_history)
    for name, values in ensemble.values.items():
        if name.startswith("natural_history."):
            natural[name.split(".", 1)[1]] = values[rows]
        else:
            params[name] = values[rows]
    return replace(condition, parameters=params, natural_history=natural)


def draw_members(n_members: int, patient_ids, seed: int) -> np.ndarray:
    """One ensemble member index per patient, keyed by (seed, patient id).

    Parameters
    ----------
    n_members : int
        Members in the ensemble (>= 1).
    patient_ids : array_like of int
    seed : int

    Returns
    -------
    numpy.ndarray of int
        Indices in ``[0, n_members)``; patient *i* gets the same member in every plan and cohort size.
    """
    if not (isinstance(n_members, int | np.integer) and n_members >= 1):
        raise ValueError(f"n_members must be a whole number >= 1, got {n_members!r}")
    u = uniforms(seed, "ensemble_member", np.asarray(patient_ids), 0)
    return np.minimum((u * n_members).astype(np.int64), n_members - 1)
