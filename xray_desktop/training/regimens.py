"""Named training regimens: how long and how fast, with the callbacks' patience to match."""

from __future__ import annotations

from dataclasses import dataclass

from xray_desktop.errors import InputError


@dataclass(frozen=True)
class Regimen:
    name: str
    epochs: int
    learning_rate: float
    early_stop_patience: int
    reduce_lr_patience: int


REGIMENS: dict[str, Regimen] = {
    "quick": Regimen("quick", epochs=5, learning_rate=1e-3, early_stop_patience=3, reduce_lr_patience=2),
    "standard": Regimen("standard", epochs=25, learning_rate=1e-4, early_stop_patience=6, reduce_lr_patience=3),
    "intensive": Regimen("intensive", epochs=50, learning_rate=1e-5, early_stop_patience=10, reduce_lr_patience=4),
}


def resolve_regimen(name: str, epochs: int | None = None, learning_rate: float | None = None) -> Regimen:
    """The named regimen, with a recipe's explicit epochs / learning rate taking precedence."""
    try:
        base = REGIMENS[name]
    except KeyError:
        raise InputError(f"unknown regimen {name!r}; choose one of {', '.join(REGIMENS)}") from None
    return Regimen(
        base.name,
        epochs=int(epochs) if epochs else base.epochs,
        learning_rate=float(learning_rate) if learning_rate else base.learning_rate,
        early_stop_patience=base.early_stop_patience,
        reduce_lr_patience=base.reduce_lr_patience,
    )
