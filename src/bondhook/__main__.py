"""`python3 -m bondhook` is the CLI."""

import sys

from bondhook.cli import main

sys.exit(main())
