"""Password hashing (scrypt, per-user salt and parameters stored with the hash) and the password policy."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from xray_desktop.errors import UsageError

MIN_LENGTH = 10
MAX_LENGTH = 1024
POLICY_TEXT = (
    f"a password needs at least {MIN_LENGTH} characters, at least one letter and one digit, "
    "and must not contain the user name"
)


class PasswordPolicyError(UsageError):
    """The new password does not meet the policy; the message states the policy."""


@dataclass(frozen=True)
class ScryptParams:
    """scrypt cost: n=2**17, r=8, p=1 follows the OWASP minimum (128 MiB, ~0.3-0.6 s on a desktop CPU)."""

    n: int = 2**17
    r: int = 8
    p: int = 1
    dklen: int = 32
    salt_bytes: int = 16

    @property
    def maxmem(self) -> int:
        return 2 * 128 * self.r * self.n * self.p + 1024 * 1024


DEFAULT_PARAMS = ScryptParams()


def _normalise(password: str) -> bytes:
    """NFC so the same password typed on different keyboards/OSes hashes the same."""
    return unicodedata.normalize("NFC", password).encode("utf-8")


def hash_password(password: str, params: ScryptParams = DEFAULT_PARAMS) -> dict[str, Any]:
    """A self-describing record: algorithm, parameters, salt and hash (base64)."""
    salt = os.urandom(params.salt_bytes)
    digest = hashlib.scrypt(
        _normalise(password), salt=salt, n=params.n, r=params.r, p=params.p, dklen=params.dklen, maxmem=params.maxmem
    )
    return {
        "algorithm": "scrypt",
        "n": params.n,
        "r": params.r,
        "p": params.p,
        "dklen": params.dklen,
        "salt": base64.b64encode(salt).decode("ascii"),
        "hash": base64.b64encode(digest).decode("ascii"),
    }


def verify_password(password: str, record: dict[str, Any]) -> bool:
    """Constant-time comparison against a stored record, using the parameters stored with it."""
    if record.get("algorithm") != "scrypt":
        return False
    params = ScryptParams(n=int(record["n"]), r=int(record["r"]), p=int(record["p"]), dklen=int(record["dklen"]))
    digest = hashlib.scrypt(
        _normalise(password),
        salt=base64.b64decode(record["salt"]),
        n=params.n,
        r=params.r,
        p=params.p,
        dklen=params.dklen,
        maxmem=params.maxmem,
    )
    return hmac.compare_digest(digest, base64.b64decode(record["hash"]))


def needs_rehash(record: dict[str, Any], params: ScryptParams = DEFAULT_PARAMS) -> bool:
    """True when the stored hash is weaker than the current parameters (upgraded at the next login)."""
    return (
        record.get("algorithm") != "scrypt"
        or int(record.get("n", 0)) < params.n
        or int(record.get("r", 0)) < params.r
        or int(record.get("dklen", 0)) < params.dklen
    )


def check_password_policy(password: str, username: str) -> None:
    """Raise PasswordPolicyError naming what is wrong and stating the whole policy."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"it has {len(password)} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"it is longer than {MAX_LENGTH} characters")
    if not re.search(r"[^\W\d_]", password):
        problems.append("it has no letter")
    if not re.search(r"\d", password):
        problems.append("it has no digit")
    if username and username.casefold() in password.casefold():
        problems.append("it contains the user name")
    if problems:
        raise PasswordPolicyError(f"password refused ({'; '.join(problems)}): {POLICY_TEXT}")
