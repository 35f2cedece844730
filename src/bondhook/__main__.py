"""`python3 -m bondhook` is the CLI."""

import sys

from bondhook.cli.commands_io import main

sys.exit(main())
