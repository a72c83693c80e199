"""Thin launcher: starts the window (the same as `xray-desktop gui`)."""

import sys

from xray_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main(["gui", *sys.argv[1:]]))
