"""Writing output files safely: whole or not at all, and never a formula from someone else's text."""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from auditor.errors import AuditorError

STALE_PART_S = 60  # a temporary file not written to for this long before ours began is a dead run's


def _remove_leftovers(path: Path, started: float) -> None:
    """Delete the temporary files a killed writer of `path` left beside it (kill -9, a power cut):
    those untouched since well before this write began.  A writer still at work keeps its own."""
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.part"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < started - STALE_PART_S:
                leftover.unlink()


@contextlib.contextmanager
def atomic_output(path: Path, mode: int = 0o644) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` in one rename.

    A crash, a full disk or an exception leaves the old file (or none), never half a new one.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise AuditorError(f"cannot write {path}: {exc.strerror}") from exc
    os.close(handle)
    temporary = Path(name)
    started = time.time()
    try:
        yield temporary
        with temporary.open("rb") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
        _remove_leftovers(path, started)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise AuditorError(f"cannot write {path}: {exc.strerror}; nothing was written") from exc
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def exclusive(path: Path, wait_s: float, what: str) -> Iterator[None]:
    """Hold an exclusive lock on `path` for the block; wait up to `wait_s` for another holder to finish.

    The lock is the kernel's (flock): it goes with the process, so a killed run never leaves it stuck.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait_s
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(handle, 200, 0).decode(errors="replace").strip() or "another process"
                    raise AuditorError(
                        f"{what} is already running ({holder}); this one waited {wait_s:g} s and "
                        "gave up. Nothing was changed."
                    ) from None
                time.sleep(0.2)
        os.ftruncate(handle, 0)
        os.pwrite(handle, f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}".encode(), 0)
        yield
    finally:
        os.close(handle)  # closing releases the lock
