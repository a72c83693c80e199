"""Recognise a file's real format from its first bytes, because extensions lie."""

from __future__ import annotations

import struct

# Formats the raster path opens with PIL, keyed by the PIL format name.
_RASTER_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "PNG"),
    (b"\xff\xd8\xff", 0, "JPEG"),
    (b"II*\x00", 0, "TIFF"),
    (b"MM\x00*", 0, "TIFF"),
    (b"II+\x00", 0, "TIFF"),  # BigTIFF
    (b"MM\x00+", 0, "TIFF"),
    (b"BM", 0, "BMP"),
    (b"GIF87a", 0, "GIF"),
    (b"GIF89a", 0, "GIF"),
)

# First groups a DICOM data set without preamble can plausibly start with: file meta (0002),
# identifying (0008), patient (0010), acquisition (0018), relationship (0020), image pixel (0028).
_DICOM_FIRST_GROUPS = frozenset({0x0002, 0x0008, 0x0010, 0x0018, 0x0020, 0x0028})

SNIFF_BYTES = 132


def sniff_format(head: bytes) -> str | None:
    """Return "DICOM", a PIL format name ("PNG", "JPEG", ...) or None when nothing matches.

    `head` is at least the first `SNIFF_BYTES` bytes of the file (or the whole file if shorter).
    """
    if len(head) >= 132 and head[128:132] == b"DICM":
        return "DICOM"
    for magic, offset, name in _RASTER_SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if _looks_like_bare_dicom(head):
        return "DICOM"
    return None


def _looks_like_bare_dicom(head: bytes) -> bool:
    """A DICOM stream without the 128-byte preamble: starts with a little-endian tag of a known group.

    The element that follows must be either explicit VR (two upper-case letters) or implicit VR with
    a 4-byte length that fits in a small header element; random bytes almost never pass both checks.
    """
    if len(head) < 8:
        return False
    group, _element = struct.unpack_from("<HH", head, 0)
    if group not in _DICOM_FIRST_GROUPS:
        return False
    vr = head[4:6]
    if vr.isalpha() and vr.isupper():
        return True
    (length,) = struct.unpack_from("<I", head, 4)
    return int(length) < 1024
