"""Run a command with the wall clock moved, the way `make test-future` runs the suite a year ahead.

    python -m auditor.lab.future +365d pytest -m "not postgres"

The clock is moved by libfaketime, as built by the `libfaketime` package (a test dependency):
Debian's faketime 0.9.10 also moves the monotonic clock, which Python's timed waits (threading,
sleeps) cannot live with; this one moves the wall clock only, as a calendar that moved on would.
Every process the command starts inherits the moved clock.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path


def environment(offset: str) -> dict[str, str]:
    """The variables that move the clock of a process (and its children) by `offset` ("+365d")."""
    import libfaketime

    library = Path(libfaketime.__file__).parent / "vendor" / "libfaketime" / "src" / "libfaketime.so.1"
    if not library.exists():
        raise SystemExit(f"libfaketime's library is not at {library}; reinstall the test extra")
    preload = " ".join(filter(None, [str(library), os.environ.get("LD_PRELOAD", "")]))
    return {"LD_PRELOAD": preload, "FAKETIME": offset, "FAKETIME_DONT_FAKE_MONOTONIC": "1", "FAKETIME_NO_CACHE": "1"}


_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "y": 365 * 86400}


def offset_seconds(offset: str) -> float:
    """A libfaketime relative offset ("+365d", "-120", "+12s") in seconds."""
    match = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)([smhdy]?)", offset.strip())
    if not match:
        raise ValueError(f"{offset!r} is not a relative libfaketime offset")
    return float(match[1]) * _UNITS[match[2]]


def stepped(seconds: float) -> dict[str, str]:
    """The variables that move a process's clock `seconds` further than this one's: a step on top
    of the offset the suite may already run under (make test-future's +365d)."""
    current = os.environ.get("FAKETIME", "")
    base = offset_seconds(current) if current.startswith(("+", "-")) else 0.0
    return environment(f"{base + seconds:+.0f}s")


def main(argv: list[str]) -> None:
    if len(argv) < 2 or not argv[0].startswith(("+", "-")):
        raise SystemExit("usage: python -m auditor.lab.future +365d COMMAND [ARG...]")
    offset, command = argv[0], argv[1:]
    os.execvpe(command[0], command, os.environ | environment(offset))


if __name__ == "__main__":
    main(sys.argv[1:])
