"""Where the shipped data lives: inside the wheel (``ptsim/data``) or in the checkout (``data/``)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # the ptsim package folder


def data_dir() -> Path:
    """The folder holding ``conditions/`` (and other shipped tables).

    A built wheel carries the project's ``data/`` folder as ``ptsim/data`` (hatchling
    ``force-include``); an editable install or a plain checkout reads ``data/`` beside the package.
    """
    for candidate in (_PACKAGE / "data", _PACKAGE.parent / "data"):
        if (candidate / "conditions").is_dir():
            return candidate
    raise FileNotFoundError(
        f"ptsim's data folder was not found in {_PACKAGE / 'data'} or {_PACKAGE.parent / 'data'}; "
        "reinstall the package (pip install ptsim or pip install -e .)"
    )
