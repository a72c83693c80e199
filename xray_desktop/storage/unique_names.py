"""File names that never collide within one run: two inputs called `1.png` get two overlays, not one."""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class UniqueNames:
    """Hands out each name once (case-insensitively, for Windows and macOS); a repeat gets `-2`, `-3`, ..."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def claim(self, stem: str, suffix: str = ".png") -> str:
        """`stem` made file-system safe, plus `suffix`; numbered when the run already used it."""
        base = _UNSAFE.sub("_", stem).strip("._") or "image"
        candidate, n = base + suffix, 1
        while candidate.lower() in self._used:
            n += 1
            candidate = f"{base}-{n}{suffix}"
        self._used.add(candidate.lower())
        return candidate
