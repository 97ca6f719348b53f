"""Reading and writing files safely: what may be read, size limits, encodings, atomic saves.

Every reader reads through :func:`read_text` and every command that writes a file writes through
:func:`write_atomic` or :func:`atomic_path` after checking the target with :func:`check_output`
(before any work, so a long run never ends on "no such folder").
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from accord.errors import InputFileError, OutputFileError
from accord.limits import limit

#: Plot file types matplotlib writes with its own back-ends (no extra package needed).
PLOT_SUFFIXES = (".png", ".svg", ".svgz", ".pdf", ".eps", ".ps", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".pgf")


def read_text(path: str | os.PathLike, *, max_bytes: int | None = None) -> str:
    """The text of a UTF-8 file (a BOM is allowed), or an :class:`InputFileError` saying why not.

    Only regular files are read (a FIFO, a device such as ``/dev/zero`` or a socket would bypass
    the size check or block forever), and never more than the ``file_bytes`` limit, however the
    file grows while it is read.
    """
    cap = limit("file_bytes") if max_bytes is None else max_bytes
    name = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputFileError(f"no such file: {name}") from None
    except OSError as exc:
        raise InputFileError(f"cannot read {name}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputFileError(f"{name} is a folder; expected a file")
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(f"{name} is not a regular file (a pipe, device or socket); expected a scenario file")
    if info.st_size > cap:
        raise InputFileError(_too_large(name, info.st_size, cap))
    try:
        # O_NONBLOCK: should the path be swapped for a FIFO after the check, open does not hang.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise InputFileError(f"{name} is not a regular file; expected a scenario file")
            raw = fh.read(cap + 1)
    except OSError as exc:
        raise InputFileError(f"cannot read {name}: {exc.strerror or exc}") from None
    if len(raw) > cap:
        raise InputFileError(_too_large(name, len(raw), cap))
    return decode(raw, name)


def _too_large(name: str, size: int, cap: int) -> str:
    return (f"{name} is {size / 1e6:.1f} MB or more; scenario files are limited to {cap / 1e6:.1f} MB "
            "(raise it with ACCORD_MAX_FILE_BYTES)")


def exists(path: str | os.PathLike) -> bool:
    """Whether ``path`` exists; a path the system cannot even look up is an :class:`InputFileError`."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        if exc.errno == 20:  # ENOTDIR: a file where a folder was expected, so the path is not there
            return False
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    return True


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


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def check_output(path: str | os.PathLike, *, suffixes: tuple[str, ...] | None = None,
                 what: str = "output file", folder_ok: bool = False) -> Path:
    """``path`` as a :class:`Path` if a file can be written there, else :class:`OutputFileError`.

    Checked: the folder exists and is a folder; the target is not a folder (unless
    ``folder_ok``, for outputs that are folders); the name fits the file system; the suffix is one
    of ``suffixes`` when given.
    """
    p = Path(path)
    if not p.name or p.name in (".", ".."):
        raise OutputFileError(f"{path}: expected a file name for the {what}")
    parent = p.parent
    try:
        if not parent.exists():
            raise OutputFileError(f"{path}: the folder {parent} does not exist; create it first")
        if not parent.is_dir():
            raise OutputFileError(f"{path}: {parent} is not a folder")
        n = len(os.fsencode(p.name))
        if n > _name_max(parent):
            raise OutputFileError(f"{path}: the file name is {n} bytes; this file system allows {_name_max(parent)}")
        if p.is_dir() and not folder_ok:
            raise OutputFileError(f"{path} is a folder; expected a file name for the {what}")
        if p.exists() and not p.is_dir() and not (p.is_file() or p.is_symlink()):
            raise OutputFileError(f"{path} is not a regular file; refusing to replace it")
    except OSError as exc:  # a path too long, a loop of links, no permission to look
        raise OutputFileError(f"cannot write {path}: {exc.strerror or exc}") from None
    if suffixes is not None and p.suffix.lower() not in suffixes:
        raise OutputFileError(
            f"{path}: cannot tell how to write a {what} from the extension {p.suffix or '(none)'!r}; "
            f"use one of {', '.join(suffixes)}"
        )
    if not os.access(parent, os.W_OK):
        raise OutputFileError(f"{path}: the folder {parent} is not writable")
    return p


def _umask() -> int:
    """The process umask, read without changing it where the system allows (Linux)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    old = os.umask(0o022)
    os.umask(old)
    return old


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, **check) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed over ``path`` when the block ends
    without an error, removed otherwise, so a reader or a crash never sees a partial file.

    The file gets the permissions a new file would (``0666`` less the umask), or keeps those of
    the file it replaces. ``check`` goes to :func:`check_output`.
    """
    p = check_output(path, **check)
    # A short temporary name: the target's own name may already be near the file system's limit.
    fd, tmp = tempfile.mkstemp(prefix=".accord-", suffix=".tmp" + p.suffix, dir=p.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        try:
            mode = stat.S_IMODE(os.stat(p).st_mode) if p.exists() else 0o666 & ~_umask()
            os.chmod(tmp, mode)
            os.replace(tmp, p)
        except OSError as exc:
            raise OutputFileError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomic(path: str | os.PathLike, text: str | bytes, **check) -> None:
    """Write ``text`` (or bytes) to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path, **check) as tmp:
        try:
            with open(tmp, "wb") as fh:
                fh.write(text.encode("utf-8") if isinstance(text, str) else text)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise OutputFileError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_with(path: str | os.PathLike, writer: Callable[[Path], None], **check) -> None:
    """Let ``writer(tmp)`` write a file (a chart, say) and move it to ``path`` atomically."""
    with atomic_path(path, **check) as tmp:
        writer(tmp)
