"""`xray-desktop models export-onnx`: the one command the lead runs per new model; idempotent, refuses with figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xray_desktop.cli import main
from xray_desktop.errors import EXIT_OK, EXIT_USAGE
from xray_desktop.models.registry import Registry

pytestmark = pytest.mark.slow


def test_export_onnx_is_idempotent_and_force_exports_again(tiny_models_dir: Path, capsys) -> None:
    before = Registry.load(tiny_models_dir / "registry.json").get("tiny-pneumonia").onnx
    assert main(["models", "export-onnx", "tiny-pneumonia"]) == EXIT_OK
    assert "already current" in capsys.readouterr().out
    assert Registry.load(tiny_models_dir / "registry.json").get("tiny-pneumonia").onnx == before

    (tiny_models_dir / before["forward_file"]).write_bytes(b"damaged")  # a damaged graph is made again
    assert main(["models", "export-onnx", "tiny-pneumonia", "--json"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "tiny-pneumonia: exported" in out
    recorded = json.loads(out[out.index("{") :])["tiny-pneumonia"]
    assert recorded["parity"]["passed"] is True
    for method in ("gradcam", "gradcam++", "scorecam"):
        assert recorded["parity"]["methods"][method]["min_rank_correlation"] >= 0.999
    after = Registry.load(tiny_models_dir / "registry.json").get("tiny-pneumonia").onnx
    assert after["forward_sha256"] != "" and (tiny_models_dir / after["forward_file"]).read_bytes() != b"damaged"


def test_export_onnx_needs_ids_or_all(tiny_models_dir: Path) -> None:
    assert main(["models", "export-onnx"]) == EXIT_USAGE
