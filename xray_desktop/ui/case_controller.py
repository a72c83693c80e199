"""Case handling in the window: opening files and folders, the case list, recent files, drops.

Each opened file gets a `CaseState` that caches its image and outcomes, so switching back to a case
shows it at once. Loading runs on the model thread in the tracker's "case" slot: opening another
case cancels the load or analysis of the previous one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog

from xray_desktop.security.permissions import Permission
from xray_desktop.tasks import TASKS
from xray_desktop.ui.case_state import CaseState
from xray_desktop.ui.engine import LoadedImage, LoadJob
from xray_desktop.ui.samples import sample_for

if TYPE_CHECKING:
    from xray_desktop.ui.main_window import MainWindow

OPEN_FILTER = "X-ray images (*.png *.jpg *.jpeg *.tif *.tiff *.bmp *.dcm *.dicom *.dic);;All files (*)"


class CaseController:
    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self.cases: dict[Path, CaseState] = {}
        self.current: CaseState | None = None

    def choose_file(self) -> None:
        w = self.w
        name, _ = QFileDialog.getOpenFileName(w, "Open X-ray image", w.prefs.last_folder, OPEN_FILTER)
        if name:
            w.prefs.last_folder = str(Path(name).parent)
            self.open_path(Path(name))

    def choose_folder(self) -> None:
        w = self.w
        folder = QFileDialog.getExistingDirectory(w, "Analyse every image in a folder", w.prefs.last_folder)
        if folder:
            w.prefs.last_folder = folder
            self.open_batch(Path(folder))

    def open_batch(self, folder: Path) -> QDialog | None:
        from xray_desktop.models.registry import Registry
        from xray_desktop.ui.batch_dialog import BatchDialog

        w = self.w
        try:
            registry = Registry.load()
        except Exception as exc:
            w.error_sink("Batch analysis", exc)
            return None
        tasks = [t for t in TASKS if registry.active_entry(t) is not None]
        dialog = BatchDialog(w.session, w.models, folder, tasks, w, w.analysis.threshold_overrides())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def open_path(self, path: Path | str) -> None:
        """Show a case: cached results immediately, otherwise load and analyse it on the model thread."""
        w = self.w
        path = Path(path)
        state = self.cases.get(path)
        if state is None:
            state = CaseState(path, sample=sample_for(path, w.samples), body_part=w.analysis.take_pending_part())
            self.cases[path] = state
        if self.current is None or self.current.path != path:
            w.jobs.cancel("case")
        self.current = state
        w.analysis.show_body_part(state.body_part)
        w.case_list.add_case(path, state.sample.title if state.sample else None)
        w.prefs.add_recent(path)
        self.rebuild_recent()
        w.action("report").setEnabled(False)
        w.action("report_patient").setEnabled(False)
        if state.radiograph is None:
            w.viewer.set_image(None)
            w.results.clear(f"Loading {state.name}…")
            w.status_label.setText(f"Loading {state.name}")
            w.jobs.submit(
                "case",
                LoadJob(path),
                on_result=lambda r, s=state: self._loaded(s, r),
                on_failed=lambda exc, s=state: w.analysis.case_failed(s, "Cannot open image", exc),
            )
            w.analysis.yield_warm_up()
        else:
            self._show_image(state)
            w.analysis.show_or_analyse(state)

    def _loaded(self, state: CaseState, loaded: LoadedImage) -> None:
        state.radiograph, state.quantized = loaded.radiograph, loaded.quantized
        if state is self.current:
            self._show_image(state)
            self.w.analysis.show_or_analyse(state)

    def _show_image(self, state: CaseState) -> None:
        r = state.radiograph
        assert r is not None
        lines = [f"{state.name}  ·  {r.format} {r.width}×{r.height}, {r.bit_depth}-bit"]
        if r.dicom is not None:
            lines += [f"{k}: {v}" for k, v in r.dicom.display_fields(deidentified=True).items()]
        self.w.viewer.set_image(r.pixels, lines, state.quantized)
        self.w.setWindowFilePath(str(state.path))

    def step(self, offset: int) -> None:
        path = self.w.case_list.step(offset)
        if path is not None:
            self.open_path(path)

    def rebuild_recent(self) -> None:
        menu, prefs = self.w.recent_menu, self.w.prefs
        menu.clear()
        recent = prefs.recent_files
        for entry in recent:
            action = menu.addAction(entry)
            action.triggered.connect(lambda _=False, p=entry: self.open_path(Path(p)))
        if recent:
            menu.addSeparator()
            menu.addAction("Clear list", self._clear_recent)
        menu.setEnabled(bool(recent))

    def _clear_recent(self) -> None:
        self.w.prefs.clear_recent()
        self.rebuild_recent()

    def dropped(self, paths: list[Path]) -> None:
        """Files dropped on the window: the first opens, the others join the case list; a folder opens a batch."""
        folders = [p for p in paths if p.is_dir()]
        files = [p for p in paths if not p.is_dir()]
        for path in files[1:]:
            self.w.case_list.add_case(path)
        if files:
            self.open_path(files[0])
        elif folders and self.w.session.can(Permission.BATCH):
            self.open_batch(folders[0])

    def forget(self, clear_cases: bool = False) -> None:
        """Drop cached analyses (after a model change); with `clear_cases` also the images and the list."""
        w = self.w
        if clear_cases:
            self.cases.clear()
            self.current = None
            w.case_list.list.clear()
            w.viewer.set_image(None)
            w.results.clear()
            if w.feedback is not None:
                w.feedback.set_analysis(None)
            return
        for state in self.cases.values():
            state.outcomes.clear()
            state.clear_colour_cache()
