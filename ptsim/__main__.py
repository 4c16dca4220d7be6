"""``python -m ptsim`` is the ``ptsim`` command."""

import sys

from .cli import main

sys.exit(main())
