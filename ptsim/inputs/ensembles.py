"""Posterior ensembles: many evidence-consistent parameter sets per condition, read from ``data/``.

A condition's ensemble is two files in ``data/ensembles/``:

- ``<condition>.csv``: one row a parameter set (a posterior draw), one column a parameter named as in
  ``data/evidence/calibration.toml`` (a model parameter, or ``natural_history.<key>``);
- ``<condition>.toml``: how it was made (command, seed, sampler settings), its diagnostics, the
  SHA-256 of every file the fit read, and the predictive summaries recorded when it was written.

:func:`draw_members` gives each patient one member, keyed by (seed, patient id), so a patient is the
same person (same member) in every plan and in any cohort size, as elsewhere in ptsim.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ptsim.core.streams import uniforms
from ptsim.inputs.paths import data_dir
from ptsim.inputs.toml_io import read_toml


def ensembles_dir() -> Path:
    """The folder of the stored ensembles (``data/ensembles``)."""
    return data_dir() / "ensembles"


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes (to tie an ensemble to the evidence it was fitted on)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


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
    """

    condition: str
    values: dict[str, np.ndarray]
    meta: dict = field(default_factory=dict)
    path: Path | None = None

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
    values.pop("log_probability", None)  # stored for diagnostics; not a parameter
    meta = read_toml(meta_path, "ensemble description")
    if meta.get("condition") != condition:
        raise ValueError(f"{meta_path}: key 'condition' must be {condition!r}, got {meta.get('condition')!r}")
    return Ensemble(condition=condition, values=values, meta=meta, path=csv_path)


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
