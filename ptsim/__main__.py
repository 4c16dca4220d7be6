"""``python -m ptsim`` is the ``ptsim`` command."""

import sys

from ptsim.cli import main

sys.exit(main())
