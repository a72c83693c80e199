"""How a model wants its input, as a value: the registry stores it, imaging applies it, training records it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

RESIZE_MODES = ("stretch", "letterbox")
NORMALISATIONS = ("unit", "minus_one_one", "imagenet")


@dataclass(frozen=True)
class PreprocessSpec:
    """How one model wants its input: size (h, w), channels (1 or 3), resize mode and value range."""

    input_size: tuple[int, int]
    channels: int = 1
    resize: str = "stretch"  # "stretch" (aspect not kept) or "letterbox" (aspect kept, black padding)
    normalisation: str = "unit"  # "unit" [0,1], "minus_one_one" [-1,1], "imagenet" (per-channel mean/std)

    def __post_init__(self) -> None:
        size = tuple(int(v) for v in self.input_size)
        if len(size) != 2 or min(size) < 8:
            raise ValueError(f"input_size must be [height, width] of at least 8 px, got {list(self.input_size)}")
        object.__setattr__(self, "input_size", size)
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels!r}")
        if self.resize not in RESIZE_MODES:
            raise ValueError(f"resize must be one of {', '.join(RESIZE_MODES)}, got {self.resize!r}")
        if self.normalisation not in NORMALISATIONS:
            raise ValueError(f"normalisation must be one of {', '.join(NORMALISATIONS)}, got {self.normalisation!r}")
        if self.normalisation == "imagenet" and self.channels != 3:
            raise ValueError("normalisation 'imagenet' needs channels = 3")

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.input_size[0], self.input_size[1], self.channels)

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_size": list(self.input_size),
            "channels": self.channels,
            "resize": self.resize,
            "normalisation": self.normalisation,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PreprocessSpec:
        """Accepts both the flat form of `to_dict` and a registry entry (`preprocessing` nested)."""
        nested = data.get("preprocessing") or {}
        return cls(
            input_size=tuple(data["input_size"]),
            channels=int(data.get("channels", 1)),
            resize=str(nested.get("resize", data.get("resize", "stretch"))),
            normalisation=str(nested.get("normalisation", data.get("normalisation", "unit"))),
        )
