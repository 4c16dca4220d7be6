"""Optional extras: a missing one is named in one line with the ``pip install`` that fixes it.

ptsim's core needs only its dependencies (numpy, scipy, pandas, ...). Some features need an optional
extra of ``pyproject.toml``: Sobol indices need ``sensitivity`` (SALib), the lessons, apps, dashboard
and handouts need ``lab`` (Jupyter, ipywidgets, Voila), re-calibration needs ``calibrate`` (emcee,
arviz) and a cluster needs ``dask``. :func:`require` checks that what such a feature needs is
installed, or raises :class:`MissingExtraError` saying which extra to install, before any work is done.
"""

from __future__ import annotations

import importlib.util

EXTRAS = {
    "sensitivity": ("SALib",),
    "lab": ("ipywidgets", "ipykernel", "nbformat", "nbclient", "nbconvert", "voila", "jupyterlab"),
    "calibrate": ("emcee", "arviz"),
    "dask": ("dask", "distributed"),
}
"""Extra of ``pyproject.toml`` -> the top-level modules it provides (that ptsim imports)."""


class MissingExtraError(ImportError):
    """An optional extra is not installed; the message names the ``pip install`` that fixes it."""


def install_command(extra: str) -> str:
    """How to install an extra: from a ptsim checkout (the README's way) or by package."""
    return f'pip install -e ".[{extra}]" in the ptsim folder (or pip install "ptsim[{extra}]")'


def missing(extra: str, modules: tuple[str, ...] | None = None) -> list[str]:
    """The modules of ``extra`` (or the given ones) that are not installed."""
    wanted = EXTRAS[extra] if modules is None else modules
    return [m for m in wanted if importlib.util.find_spec(m) is None]


def require(extra: str, purpose: str, modules: tuple[str, ...] | None = None) -> None:
    """Check that the modules ``purpose`` needs from ``extra`` (default all of the extra's) are
    installed (without importing them), or raise :class:`MissingExtraError`: ``"<purpose>: SALib is
    not installed; pip install ..."``.

    Parameters
    ----------
    extra : str
        A key of :data:`EXTRAS`.
    purpose : str
        What needs them, for the message, e.g. ``"sensitivity.sobol"``.
    modules : tuple of str, optional
        The modules needed (default: all those of the extra).
    """
    if extra not in EXTRAS:
        raise ValueError(f"extra must be one of {', '.join(EXTRAS)}, got {extra!r}")
    absent = missing(extra, modules)
    if absent:
        raise missing_extra_error(extra, purpose, absent)


def missing_extra_error(extra: str, purpose: str, absent: list[str]) -> MissingExtraError:
    """The error :func:`require` raises: ``purpose`` needs the ``absent`` modules of ``extra``."""
    verb = "is" if len(absent) == 1 else "are"
    return MissingExtraError(f"{purpose}: {', '.join(absent)} {verb} not installed; {install_command(extra)}")
