"""`python -m cli`: the `hubsense` command."""

import sys

from cli.main import main

sys.exit(main())
