"""AES-256-GCM blobs: round trip, and a clear StoreError on tamper, truncation or a wrong key."""

from __future__ import annotations

import pytest

from xray_desktop.crypto import HEADER, NONCE_BYTES, decrypt, encrypt, new_key
from xray_desktop.errors import StoreError


def test_round_trip_with_aad() -> None:
    key = new_key()
    blob = encrypt(key, b"secret", b"ctx")
    assert blob.startswith(HEADER) and b"secret" not in blob
    assert decrypt(key, blob, b"ctx") == b"secret"


def test_each_encryption_uses_a_fresh_nonce() -> None:
    key = new_key()
    a, b = encrypt(key, b"same"), encrypt(key, b"same")
    assert a[len(HEADER) : len(HEADER) + NONCE_BYTES] != b[len(HEADER) : len(HEADER) + NONCE_BYTES]


@pytest.mark.parametrize("index", [0, 3, 5, 20, -1])
def test_any_flipped_byte_is_refused(index: int) -> None:
    key = new_key()
    blob = bytearray(encrypt(key, b"payload of some length"))
    blob[index] ^= 0x01
    with pytest.raises(StoreError):
        decrypt(key, bytes(blob))


def test_truncation_is_refused() -> None:
    key = new_key()
    blob = encrypt(key, b"payload")
    for cut in (2, 10, len(blob) - 1):
        with pytest.raises(StoreError, match=r"truncated|authentication failed"):
            decrypt(key, blob[:cut])


def test_wrong_key_is_refused() -> None:
    blob = encrypt(new_key(), b"payload", b"users.json.enc")
    with pytest.raises(StoreError, match="another key"):
        decrypt(new_key(), blob, b"users.json.enc")


def test_wrong_aad_is_refused() -> None:
    key = new_key()
    with pytest.raises(StoreError):
        decrypt(key, encrypt(key, b"payload", b"a"), b"b")


def test_unknown_version_is_named() -> None:
    key = new_key()
    blob = bytearray(encrypt(key, b"x"))
    blob[3] = 9
    with pytest.raises(StoreError, match="version 9"):
        decrypt(key, bytes(blob))


def test_short_key_is_rejected() -> None:
    with pytest.raises(StoreError, match="32 bytes"):
        encrypt(b"short", b"x")
