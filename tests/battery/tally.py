"""The hardening battery's tally (issue 7): every case counts itself here, and the suite prints one
line at its end (tests/conftest.py): cases tried, refused cleanly, accepted as meant, rows lost.
Each test's share travels in its report (tests run in two worker processes), summed at the end."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Tally:
    tried: int = 0
    refused: int = 0  # the input was refused with a message naming where and what to do
    accepted: int = 0  # odd but valid input, read as meant
    rows_lost: int = 0  # good rows (or devices' data) that should have been kept and were not

    def counts(self) -> tuple[int, int, int, int]:
        return self.tried, self.refused, self.accepted, self.rows_lost

    def add(self, tried: int, refused: int, accepted: int, rows_lost: int) -> None:
        self.tried += tried
        self.refused += refused
        self.accepted += accepted
        self.rows_lost += rows_lost

    def line(self) -> str:
        return (
            f"hardening battery: {self.tried} cases tried, {self.refused} refused cleanly, "
            f"{self.accepted} accepted as meant, rows lost = {self.rows_lost}"
        )


TALLY = Tally()


def counted(*, refused: bool, lost: int = 0) -> None:
    """Record a case that ran to its end; call it before the case's own asserts on `lost`."""
    TALLY.tried += 1
    TALLY.rows_lost += lost
    if refused:
        TALLY.refused += 1
    else:
        TALLY.accepted += 1
