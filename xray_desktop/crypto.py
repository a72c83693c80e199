"""Authenticated encryption of small blobs (AES-256-GCM) for everything the app keeps on disk encrypted.

Blob layout, version 1: ``b"XRE" + b"\\x01" + nonce (12 bytes) + ciphertext + tag (16 bytes)``.
The 4-byte header is authenticated together with the caller's `aad`, so a blob cannot be moved
to another purpose (the store binds its file name) or relabelled as another version unnoticed.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from xray_desktop.errors import StoreError

MAGIC = b"XRE"
VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER = MAGIC + bytes([VERSION])
MIN_BLOB = len(HEADER) + NONCE_BYTES + TAG_BYTES


def new_key() -> bytes:
    """A fresh random AES-256 key from the operating system's CSPRNG."""
    return AESGCM.generate_key(bit_length=256)


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
        raise StoreError(f"the data key must be {KEY_BYTES} bytes (AES-256); got {len(key) if key else 0}")


def encrypt(key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Encrypt with a fresh random 96-bit nonce; the result carries its own version header."""
    _check_key(key)
    nonce = os.urandom(NONCE_BYTES)
    return HEADER + nonce + AESGCM(bytes(key)).encrypt(nonce, plaintext, HEADER + aad)


def decrypt(key: bytes, blob: bytes, aad: bytes = b"") -> bytes:
    """Return the plaintext, or raise StoreError saying whether the blob is foreign, truncated or tampered."""
    _check_key(key)
    if len(blob) < len(HEADER):
        raise StoreError(f"encrypted data is truncated ({len(blob)} bytes)")
    if blob[: len(MAGIC)] != MAGIC:
        raise StoreError("not XRay Desktop encrypted data (unknown header)")
    version = blob[len(MAGIC)]
    if version != VERSION:
        raise StoreError(f"encrypted with format version {version}, this program reads version {VERSION}")
    if len(blob) < MIN_BLOB:
        raise StoreError(f"encrypted data is truncated ({len(blob)} bytes, at least {MIN_BLOB} expected)")
    nonce = blob[len(HEADER) : len(HEADER) + NONCE_BYTES]
    try:
        return AESGCM(bytes(key)).decrypt(nonce, blob[len(HEADER) + NONCE_BYTES :], HEADER + aad)
    except InvalidTag:
        raise StoreError(
            "authentication failed: the data was modified or truncated, or it was encrypted with another key"
        ) from None
