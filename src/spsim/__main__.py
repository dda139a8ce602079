"""``python -m spsim`` is the same as the ``spsim`` command."""

import sys

from .interfaces.cli import main

sys.exit(main())
