"""Refresh docs/screenshots: `python -m xray_desktop.ui.screenshots docs/screenshots` (`make screenshots`).

Renders the real window offscreen on bundled sample cases with whatever models
are installed (no model: the window says so, which is the truthful picture).
Runs as the operating-system account, like the other non-interactive commands,
with throw-away view preferences so a user's own settings never leak in.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@dataclass(frozen=True)
class Shot:
    name: str
    sample: str  # relative to resources/samples
    theme: str = "light"
    teaching: bool = False
    reveal: bool = False
    plain: bool = False  # opened from a copy outside the samples, so it names no body part (the Auto warning)
    check_map: bool = False  # press "Check this map" and wait for its faithfulness line
    method: str = "gradcam"  # the map method chosen in the view preferences
    results_end: bool = False  # scroll the result cards to the last one (its warnings)


SHOTS: tuple[Shot, ...] = (
    Shot("main_light.png", "chest/PNEUMONIA__person1177_virus_1999.jpeg"),
    Shot("main_dark.png", "knee/KL3__9023348L.png", theme="dark"),
    Shot("knee_light.png", "knee/KL0__9006140R.png"),
    Shot("body_part_unknown.png", "unlabeled_chest/00000001_000.png", plain=True),
    Shot("dicom_light.png", "dicom/CR-MONO1-10-chest"),
    Shot("teaching_hidden.png", "chest/NORMAL__IM-0441-0001.jpeg", teaching=True),
    Shot("teaching_revealed.png", "chest/NORMAL__IM-0441-0001.jpeg", teaching=True, reveal=True),
    Shot("map_faithfulness.png", "chest/PNEUMONIA__person1177_virus_1999.jpeg", check_map=True),
    Shot("map_marker_warning.png", "chest/NORMAL__IM-0441-0001.jpeg", check_map=True),
    Shot("map_sanity_warning.png", "unlabeled_chest/00000002_000.png", method="layercam", results_end=True),
)


def capture_all(out_dir: Path, shots: Sequence[Shot] = SHOTS, timeout_s: float = 300.0) -> list[Path]:
    from PySide6.QtWidgets import QApplication

    from xray_desktop.paths import samples_dir
    from xray_desktop.ui.app import SCREENSHOT_SIZE, ensure_app, save_screenshot, wait_for_case, wait_until_idle
    from xray_desktop.ui.engine import AnalysisEngine
    from xray_desktop.ui.main_window import MainWindow
    from xray_desktop.ui.preferences import Preferences
    from xray_desktop.ui.startup import audited_os_session

    ensure_app()
    session = audited_os_session()
    engine = AnalysisEngine()  # shared, so models load once for all shots
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="xray-shots-") as scratch:
        for shot in shots:
            prefs = Preferences(Path(scratch) / f"{shot.name}.ini")
            prefs.theme = shot.theme
            prefs.method = shot.method
            window = MainWindow(session, engine=engine, preferences=prefs, teaching=shot.teaching)
            window.error_sink = lambda title, exc: print(f"screenshots: {title}: {exc}", file=sys.stderr)
            window.resize(*SCREENSHOT_SIZE)
            window.show()
            window.start_models()
            source = samples_dir() / shot.sample
            if shot.plain:
                source = Path(shutil.copy2(source, Path(scratch) / source.name))
            window.open_path(source)
            if not wait_for_case(window, timeout_s):
                print(f"screenshots: {shot.sample}: no result within {timeout_s:g} s", file=sys.stderr)
            wait_until_idle(window, timeout_s)  # let the warm-up finish so the status bar shows the models
            if shot.reveal:
                window.reveal()
            if shot.check_map:
                window.check_map()
                wait_until_idle(window, timeout_s)
            QApplication.processEvents()
            if shot.results_end:
                bar = window.results.cards_scroll.verticalScrollBar()
                bar.setValue(bar.maximum())
                QApplication.processEvents()
            written.append(save_screenshot(window, out_dir / shot.name))
            window.close()
            window.deleteLater()
            QApplication.processEvents()
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    out_dir = Path(args[0] if args else "docs/screenshots")
    for path in capture_all(out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
