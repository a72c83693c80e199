"""The Qt (PySide6) layer: windows, dialogs, widgets and the model-thread worker. Nothing below imports it."""
