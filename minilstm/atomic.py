"""Writing a ``.npz`` file atomically: the old file stays whole until the new one is complete.

:func:`write` fills a new temporary beside the target, named
``.minilstm-save-<pid>@<host>-<16 hex digits>.tmp``, syncs it to disk and
renames it over the target (atomic on POSIX and Windows). A process killed at
any moment thus leaves either the old file or the new one, never half of one,
plus at worst the temporary, which the next write into that folder removes
once its writer is surely gone: only names of that exact pattern, which no
one else writes, so a user's own files (``.tmp-results1.npz``) are never
touched. The file's mode follows the umask, as ``open()`` does.
"""
from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import stat
import time
from collections.abc import Callable
from typing import IO

# A temporary untouched this long is stale whoever wrote it: a live save keeps writing, then renames at once.
STALE_AFTER = 3600.0
HOST = re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname()) or "host"
PREFIX = ".minilstm-save-"
# ours alone: ".minilstm-save-<pid>@<host>-<16 hex>.tmp" (earlier versions' ".tmp-....npz" names are left alone:
# a user may name a file so too)
_TEMPORARY = re.compile(re.escape(PREFIX) + r"(?P<pid>\d+)@(?P<host>[A-Za-z0-9._-]+)-[0-9a-f]{16}\.tmp")


def write(path: str, fill: Callable[[IO[bytes]], None]) -> None:
    """Have ``fill(f)`` write the file, then rename it over ``path``; on any failure remove it and re-raise.

    The folder of ``path`` must exist; stale temporaries in it are removed first.
    """
    folder = os.path.dirname(os.path.abspath(path))
    remove_stale_temporaries(folder)
    fd, tmp = _new_temporary(folder)
    try:
        with os.fdopen(fd, "wb") as f:
            fill(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    if os.name == "posix":  # make the rename itself survive a power cut; some file systems refuse, harmlessly
        with contextlib.suppress(OSError):
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def _new_temporary(folder: str) -> tuple[int, str]:
    """A new file ``.minilstm-save-<pid>@<host>-<16 hex>.tmp`` in ``folder``, open for writing: (fd, path).

    Made with mode 0o666, from which the kernel takes the umask away exactly as
    for ``open()`` (mkstemp's 0o600 would hide checkpoints in a shared folder).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(folder, f"{PREFIX}{os.getpid()}@{HOST}-{secrets.token_hex(8)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder!r}")


def remove_stale_temporaries(folder: str) -> None:
    """Remove the temporaries that killed writes left in ``folder``, and nothing else.

    Only names of our pattern, only plain files, and only when their writer is
    surely gone: its pid (written in the name, on this host) no longer runs, or
    the file has not been touched for :data:`STALE_AFTER` seconds. A live write,
    even a slow one in another process, is never disturbed.
    """
    try:
        names = os.listdir(folder)
    except OSError:
        return
    now = time.time()
    for name in names:
        match = _TEMPORARY.fullmatch(name)
        if match is None:
            continue
        full = os.path.join(folder, name)
        with contextlib.suppress(OSError):  # gone already, or not ours to remove: leave it
            info = os.lstat(full)
            dead = match["host"] == HOST and not _running(int(match["pid"]))
            if stat.S_ISREG(info.st_mode) and (dead or now - info.st_mtime > STALE_AFTER):
                os.remove(full)


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists (a recycled pid only keeps a stale file a while longer)."""
    if os.name != "posix":
        return True  # os.kill(pid, 0) would terminate it on Windows: there the age alone decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists but is another user's
    return True
