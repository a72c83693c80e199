"""`python -m xray_desktop` runs the CLI."""

import sys

from xray_desktop.cli import main

sys.exit(main())
