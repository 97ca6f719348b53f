"""Reading and writing files safely: size limits, encodings, atomic saves."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from accord.errors import InputFileError

#: Scenario files larger than this are refused: real scenarios are kilobytes, DEU III is < 1 MB.
MAX_INPUT_BYTES = 20 * 1024 * 1024


def read_text(path: str | os.PathLike, *, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """The text of a UTF-8 file (a BOM is allowed), or an :class:`InputFileError` saying why not."""
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise InputFileError(f"no such file: {name}")
    if p.is_dir():
        raise InputFileError(f"{name} is a folder; expected a file")
    size = p.stat().st_size
    if size > max_bytes:
        raise InputFileError(
            f"{name} is {size / 1e6:.1f} MB; scenario files are limited to {max_bytes / 1e6:.0f} MB"
        )
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputFileError(f"cannot read {name}: {exc.strerror or exc}") from None
    return decode(raw, name)


def decode(raw: bytes, name: str) -> str:
    if b"\x00" in raw[:4096]:
        raise InputFileError(f"{name} looks like a binary file; expected text (UTF-8)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputFileError(
            f"{name}:{line}: byte 0x{raw[exc.start]:02x} is not valid UTF-8; save the file as UTF-8"
        ) from None


def write_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` so that a reader, or a crash, never sees a partial file.

    The text goes to a temporary file in the same folder, is flushed to disk, then renamed over
    the target (rename is atomic on POSIX and Windows).
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
