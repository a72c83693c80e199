"""The bundled demo cases and their known answers (resources/samples/samples.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from xray_desktop.errors import InputError
from xray_desktop.paths import samples_dir
from xray_desktop.tasks import TASKS


@dataclass(frozen=True)
class SampleCase:
    path: Path
    body_part: str
    description: str
    source: str
    truth: dict[str, int] = field(default_factory=dict)
    number: int = 0  # position among the samples of the same body part, from 1

    @property
    def name(self) -> str:
        """A neutral name: file names such as PNEUMONIA__person1_virus_2.jpeg would give the answer away."""
        return f"{self.body_part.title()} sample {self.number}"

    @property
    def title(self) -> str:
        return self.name

    def menu_title(self, teaching: bool) -> str:
        """The Samples menu shows what each case is, except in teaching mode (the class is watching)."""
        return self.name if teaching else f"{self.name} — {self.description}"

    def truth_text(self) -> str:
        """The known answer in words, e.g. 'Pneumonia: present'; empty when the label is unknown."""
        parts = []
        for task, value in self.truth.items():
            label = TASKS[task].positive_label if task in TASKS else task
            parts.append(f"{label}: {'present' if value else 'absent'}")
        return "; ".join(parts)


def load_samples(folder: Path | None = None) -> list[SampleCase]:
    """Read samples.json; cases whose file is missing are skipped (a trimmed install still starts)."""
    folder = folder or samples_dir()
    index = folder / "samples.json"
    if not index.is_file():
        return []
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
        cases = [
            SampleCase(
                path=folder / item["file"],
                body_part=str(item.get("body_part", "")),
                description=str(item.get("description", "")),
                source=str(item.get("source", "")),
                truth={str(k): int(v) for k, v in (item.get("truth") or {}).items()},
            )
            for item in data.get("cases", [])
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{index}: not a valid samples index ({exc})") from exc
    present = [c for c in cases if c.path.is_file()]
    counters: dict[str, int] = {}
    numbered = []
    for case in present:
        counters[case.body_part] = counters.get(case.body_part, 0) + 1
        numbered.append(replace(case, number=counters[case.body_part]))
    return numbered


def sample_for(path: Path, cases: list[SampleCase]) -> SampleCase | None:
    resolved = Path(path).resolve()
    return next((c for c in cases if c.path.resolve() == resolved), None)
