# Two commands for a fresh machine: `make run` and `make test`. Everything else builds on them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export QT_QPA_PLATFORM ?= $(if $(DISPLAY)$(WAYLAND_DISPLAY),,offscreen)
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: run check-qt-libs test lint bench screenshots bundle bundle-test bundle-reading bundle-reading-test tarball clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bundle,export]'
	touch $(STAMP)

# Before the window: on Linux with a display, Qt's xcb plugin needs system libraries that pip cannot
# install; the check names the missing ones and prints the apt-get / dnf command (xray_desktop/qt_system_libs.py).
run: $(STAMP)
	$(BIN)/python -m xray_desktop.qt_system_libs
	$(BIN)/xray-desktop gui

check-qt-libs: $(STAMP)
	$(BIN)/python -m xray_desktop.qt_system_libs --force --verbose

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m benchmarks

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m xray_desktop.ui.screenshots docs/screenshots

bundle: $(STAMP)
	$(BIN)/pyinstaller --noconfirm --clean --distpath dist --workpath build installer/xray_desktop.spec

# The bundle's own self-test, in a throw-away data folder so it never touches a real user's files or keyring.
bundle-test: bundle
	home=$$(mktemp -d) && XRAY_DESKTOP_HOME=$$home QT_QPA_PLATFORM=offscreen dist/XRayDesktop/xray-desktop-cli self-test; \
	status=$$?; rm -rf "$$home"; exit $$status

# The reading-station profile: no TensorFlow (analysis on ONNX Runtime); same self-test, its own dist folder.
bundle-reading: $(STAMP)
	$(BIN)/pyinstaller --noconfirm --clean --distpath dist/reading --workpath build/reading installer/xray_desktop_reading.spec

bundle-reading-test: bundle-reading
	home=$$(mktemp -d) && XRAY_DESKTOP_HOME=$$home QT_QPA_PLATFORM=offscreen dist/reading/XRayDesktop/xray-desktop-cli self-test; \
	status=$$?; rm -rf "$$home"; exit $$status
	du -sh dist/reading/XRayDesktop

tarball: bundle
	sh installer/linux/make_tarball.sh

clean:
	rm -rf build dist .pytest_cache
