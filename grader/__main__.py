"""``python -m grader SOLUTION.py [--json] [--timeout SECONDS] [--memory MB]``: see :mod:`grader.check`."""

import sys

from .check import main

sys.exit(main())
