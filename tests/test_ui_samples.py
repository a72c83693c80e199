"""The Samples menu's catalogue: every bundled case is found, labelled, and its answer phrased."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xray_desktop.errors import InputError
from xray_desktop.paths import samples_dir
from xray_desktop.ui.samples import load_samples, sample_for


def test_every_bundled_sample_is_listed_with_its_file_present() -> None:
    cases = load_samples()
    index = json.loads((samples_dir() / "samples.json").read_text(encoding="utf-8"))
    assert len(cases) == len(index["cases"])
    assert all(c.path.is_file() for c in cases)


def test_titles_do_not_give_the_answer_away_in_teaching_mode() -> None:
    cases = load_samples()
    case = sample_for(samples_dir() / "chest" / "PNEUMONIA__person1177_virus_1999.jpeg", cases)
    assert case is not None
    assert case.truth_text() == "Pneumonia: present"
    assert case.title.startswith("Chest sample ")
    assert "virus" not in case.menu_title(teaching=True) and "viral" in case.menu_title(teaching=False)
    unlabeled = sample_for(samples_dir() / "unlabeled_chest" / "00000001_000.png", cases)
    assert unlabeled is not None and unlabeled.truth_text() == ""


def test_a_broken_index_is_a_clear_input_error(tmp_path: Path) -> None:
    (tmp_path / "samples.json").write_text('{"cases": [{"nofile": 1}]}', encoding="utf-8")
    with pytest.raises(InputError, match=r"samples\.json"):
        load_samples(tmp_path)
