"""The Qt (PySide6) layer: windows, dialogs, widgets and the model-thread worker. Nothing below imports it."""

from xray_desktop.ui._pyside_refcounts import immortalize_singletons

immortalize_singletons()  # before any Qt call: see _pyside_refcounts for the PySide6 6.12 refcount bug
