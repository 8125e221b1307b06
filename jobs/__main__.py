"""``python -m jobs``: see ``python -m jobs --help``."""

import sys

from jobs.cli import main

sys.exit(main())
