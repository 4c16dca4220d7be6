"""The ``ptsim`` command (``ptsim list | show | compare | trial | dashboard | forecast``): the top layer."""

from ptsim.cli.commands import main

__all__ = ["main"]
