"""Opening input files safely: regular files only, bounded sizes, one identity per file.

Every reader opens its file through :func:`checked_path`, so a path that does
not exist, a directory, a device (``/dev/zero``), a FIFO or a symbolic link to
one of these is a typed :class:`~impactbond.errors.InvalidFile` before a byte
is read.  :func:`same_file` says whether two paths name one file (also through
another path or a hard link); the command line uses it to refuse writing over
an input.

>>> checked_path("/dev/null")
Traceback (most recent call last):
...
impactbond.errors.InvalidFile: /dev/null is not a regular file (a character device) [source=/dev/null, rule=inputs are regular files]
"""  # noqa: E501

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from impactbond.errors import InputNotFound, InvalidFile

__all__ = ["checked_path", "printable", "read_bytes", "same_file", "shown"]

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
)


def checked_path(path: str | os.PathLike[str], *, what: str = "input") -> Path:
    """``path`` as a :class:`~pathlib.Path` once it is known to be a regular file.

    Symbolic links are followed: a link to a regular file is fine, a link to
    a device is refused like the device itself.
    """
    p = Path(path)
    name = str(p)
    try:
        info = p.stat()
    except FileNotFoundError:
        raise InputNotFound(
            f"{name} does not exist", source=name, rule=f"the {what} file exists"
        ) from None
    except OSError as err:
        raise InvalidFile(
            f"{name} cannot be opened: {err.strerror or err}",
            source=name,
            rule=f"the {what} file can be read",
        ) from None
    if not stat.S_ISREG(info.st_mode):
        kind = next((k for test, k in _KINDS if test(info.st_mode)), "not a file")
        raise InvalidFile(
            f"{name} is not a regular file ({kind})",
            source=name,
            rule="inputs are regular files",
        )
    return p


def read_bytes(path: str | os.PathLike[str], *, limit: int, what: str = "input") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes."""
    p = checked_path(path, what=what)
    size = p.stat().st_size
    if size > limit:
        raise InvalidFile(
            f"{p} is {size:,} bytes; a {what} file is at most {limit:,} bytes",
            source=str(p),
            rule=f"a {what} file is at most {limit:,} bytes",
        )
    try:
        with p.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise InvalidFile(
            f"{p} cannot be read: {err.strerror or err}", source=str(p), rule="inputs can be read"
        ) from None
    if len(data) > limit:  # the file grew while it was read
        raise InvalidFile(
            f"{p} is larger than {limit:,} bytes", source=str(p), rule="inputs do not change"
        )
    return data


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True if ``a`` and ``b`` are one existing file (same device and inode).

    >>> same_file(__file__, __file__), same_file(__file__, "/nonexistent")
    (True, False)
    """
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def shown(value: object, *, limit: int = 40) -> str:
    """A cell value fit for an error message: quoted, shortened, never a CPR number.

    >>> print(shown("2024-13-01"), shown("Tømrer\\x1b"), shown("010203-1234"))
    '2024-13-01' 'Tømrer\\x1b' a value shaped like a CPR number (not shown)
    """
    from impactbond.domain.participant import looks_like_cpr

    text = str(value)
    if looks_like_cpr(text):
        return "a value shaped like a CPR number (not shown)"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return printable(repr(text))


# C0 and C1 control characters, DEL, and the bidirectional overrides that can
# make a terminal show text other than what it holds.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with control characters escaped (``\\x1b``), safe to print to a terminal.

    Newlines and tabs stay unless ``keep_newlines`` is false.

    >>> printable("ok\\x1b[2Jgone"), printable("a\\nb", keep_newlines=False)
    ('ok\\\\x1b[2Jgone', 'a\\\\nb')
    """

    def escape(m: re.Match[str]) -> str:
        c = m.group(0)
        return f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}"

    out = _CONTROLS.sub(escape, text)
    if not keep_newlines:
        out = out.replace("\n", "\\n").replace("\t", "\\t")
    return out
