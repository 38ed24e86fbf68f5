"""``python -m instruments``: see :mod:`instruments.cli`."""
import sys

from .cli import main

sys.exit(main())
