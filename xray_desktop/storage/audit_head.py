"""The audit chain's head (last id, last hash, count): the value that makes tail truncation visible.

A hash chain alone proves that the entries it holds were not edited; it cannot prove that none
were removed from its end, nor that the file is not an older copy. The head, kept outside the
SQLite file by one or more anchors (a sealed file in the data folder, a mirror in the OS keyring),
says how far the chain reached. This module holds only the value and the protocol anchors follow;
the anchors themselves live in `services.audit_anchor`, because they need the data key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class AuditHead:
    """`last_id`/`last_hash`: the newest entry the program wrote; `count`: how many it has written in all."""

    last_id: int
    last_hash: str
    count: int


class HeadAnchor(Protocol):
    """Somewhere the head is kept. `read` returns None when nothing was ever stored there."""

    name: str

    def read(self) -> AuditHead | None:
        """The stored head; raises StoreError when it exists but is unreadable or forged."""
        ...

    def write(self, head: AuditHead) -> None:
        """Replace the stored head (called inside the append transaction)."""
        ...
