"""Entry script of the bundled windowed executable `xray-desktop`: the window, plus any `gui` options.

A windowed executable has no console on Windows (sys.stdout/sys.stderr are None), so whatever would have
gone there is appended to `gui-console.log` in the logs folder, where IT staff are told to look.
"""

import multiprocessing
import os
import sys


def _console_to_log() -> None:
    if sys.stdout is not None and sys.stderr is not None:
        return
    from xray_desktop.paths import logs_dir, private_file

    log = open(private_file(logs_dir() / "gui-console.log"), "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - lives as long as the process
    sys.stdout = sys.stdout or log
    sys.stderr = sys.stderr or log


if __name__ == "__main__":
    multiprocessing.freeze_support()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    _console_to_log()

    from xray_desktop.cli import main

    sys.exit(main(["gui", *sys.argv[1:]]))
