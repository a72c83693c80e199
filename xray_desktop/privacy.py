"""Least exposure for file paths: in hospitals a folder or file name often carries the patient's name.

Two tools, used wherever a path would otherwise land in clear text:

- `seal_path(key, path)`: what the audit log keeps of a path: the file name only, plus a keyed hash of
  the full path (HMAC-SHA256 under a key derived from the data key), so an administrator can still
  prove "this entry is about that file" (`path_hmac`) but nobody reading the file learns the folder.
- `redact_paths(text)` / `RedactPathsFilter`: a log record at INFO and above keeps file names, never
  the folders above them. DEBUG (off by default) keeps everything, for a developer at their own desk.

Leaf module: imports nothing of ours.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from pathlib import PurePath, PurePosixPath, PureWindowsPath

_PATH_CONTEXT = b"xray-desktop path hmac v1"
# an absolute POSIX path (/a/b), a home-relative one (~/a), or a Windows drive/UNC path (C:\a, \\srv\share)
# (a space inside a path is taken as part of it when a path character follows: "John Smith/1.png")
_CHAR = r"""[^\s'"<>|:;,()\[\]{}]"""
_PATH_RE = re.compile(r"(?:(?<![\w.])~?/|\b[A-Za-z]:[\\/]|\\\\)(?:" + _CHAR + "| (?=" + _CHAR + "))*")


def path_key(data_key: bytes) -> bytes:
    return hmac.new(bytes(data_key), _PATH_CONTEXT, hashlib.sha256).digest()


def path_hmac(key: bytes, path: str) -> str:
    """The keyed hash of a full path (32 hex digits); the same path always gives the same value."""
    return hmac.new(key, str(path).encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


def has_folder(value: str) -> bool:
    """True when `value` names a folder as well as a file (a bare file name or a hash does not)."""
    return "/" in value or "\\" in value


def file_name(value: str) -> str:
    parsed: PurePath = PureWindowsPath(value) if "\\" in value else PurePosixPath(value)
    return parsed.name or str(value)


def seal_path(key: bytes, value: str) -> tuple[str, str]:
    """(file name, keyed hash of the full path)."""
    return file_name(value), path_hmac(key, value)


def redact_paths(text: str) -> str:
    """Every absolute path in `text` shortened to `…/<file name>`."""
    return _PATH_RE.sub(lambda m: "…/" + file_name(m.group(0).rstrip("/\\")), text)


class RedactPathsFilter(logging.Filter):
    """A handler filter: records at INFO and above leave with their paths reduced to file names."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO:
            return True
        message = record.getMessage()
        record.msg, record.args = redact_paths(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_paths(record.exc_text)
        return True
