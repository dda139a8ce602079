"""``python -m spsim`` is the same as the ``spsim`` command."""

import sys

from .cli import main

sys.exit(main())
