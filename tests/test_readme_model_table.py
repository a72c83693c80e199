"""README's model table is generated from the registry and the cards, so the two cannot disagree."""

from __future__ import annotations

from pathlib import Path

from xray_desktop.models.model_table import END, START, model_table, replace_table, table_in
from xray_desktop.models.registry import Registry
from xray_desktop.paths import install_root, registry_path


def test_readme_table_is_the_generated_one() -> None:
    readme = install_root() / "README.md"
    assert table_in(readme) == model_table(Registry.load(registry_path())), (
        "README's model table is stale: run `xray-desktop models report --write README.md`"
    )


def test_replace_table_keeps_the_text_around_the_markers(tmp_path: Path) -> None:
    text = f"intro\n\n{START}\nold\n{END}\n\noutro\n"
    out = replace_table(text, "| new |")
    assert out.startswith("intro") and out.rstrip().endswith("outro") and "| new |" in out and "old" not in out
    fresh = replace_table("no markers yet\n", "| t |")
    assert START in fresh and END in fresh
    path = tmp_path / "R.md"
    path.write_text(out, encoding="utf-8")
    assert table_in(path) == "| new |"


def test_the_table_says_no_model_installed_for_tasks_without_one() -> None:
    table = model_table(Registry.load(registry_path()))
    assert "| osteoporosis | — no model installed |" in table and "| fracture | — no model installed |" in table
