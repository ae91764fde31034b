"""Run a command with the wall clock moved, the way `make test-future` runs the suite a year ahead.

    python -m auditor.lab.future +365d pytest -m "not postgres"

The clock is moved by libfaketime, as built by the `libfaketime` package (a test dependency):
Debian's faketime 0.9.10 also moves the monotonic clock, which Python's timed waits (threading,
sleeps) cannot live with; this one moves the wall clock only, as a calendar that moved on would.
Every process the command starts inherits the moved clock.
"""

from __future__ import annotations

import os
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


def main(argv: list[str]) -> None:
    if len(argv) < 2 or not argv[0].startswith(("+", "-")):
        raise SystemExit("usage: python -m auditor.lab.future +365d COMMAND [ARG...]")
    offset, command = argv[0], argv[1:]
    os.execvpe(command[0], command, os.environ | environment(offset))


if __name__ == "__main__":
    main(sys.argv[1:])
