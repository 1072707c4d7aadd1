"""``python -m colorize_model``: the same as the ``colorize`` command."""

import sys

from .cli import main

sys.exit(main())
