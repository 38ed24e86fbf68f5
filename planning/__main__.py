"""``python -m planning``: see :mod:`planning.cli`."""
import sys

from .cli import main

sys.exit(main())
