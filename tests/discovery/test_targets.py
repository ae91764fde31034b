"""Which addresses a scan may touch."""

from __future__ import annotations

import pytest

from auditor.discovery.targets import TargetError, expand


@pytest.mark.parametrize(
    ("specs", "first", "last", "count"),
    [
        (["10.38.5.0/24"], "10.38.5.1", "10.38.5.254", 254),  # no network or broadcast address
        (["10.38.5.7"], "10.38.5.7", "10.38.5.7", 1),
        (["10.38.5.8/31"], "10.38.5.8", "10.38.5.9", 2),
        (["10.38.5.0/30", "10.38.5.1", "10.38.5.2/32"], "10.38.5.1", "10.38.5.2", 2),  # duplicates once
        ([" 10.38.5.9/24 "], "10.38.5.1", "10.38.5.254", 254),  # host bits and spaces forgiven
        (["::1"], "::1", "::1", 1),
    ],
)
def test_expand(specs: list[str], first: str, last: str, count: int) -> None:
    found = expand(specs)
    assert (str(found[0]), str(found[-1]), len(found)) == (first, last, count)


def test_large_ranges_need_yes() -> None:
    assert len(expand(["10.0.0.0/16"])) == 65_534
    with pytest.raises(TargetError, match=r"hold 131,072 addresses, more than the 65,536 a scan takes without --yes"):
        expand(["10.0.0.0/15"])
    with pytest.raises(TargetError, match="more than"):
        expand(["0.0.0.0/0"])
    assert len(expand(["10.0.0.0/15"], limit=None)) == 131_070


@pytest.mark.parametrize("spec", ["10.38.5.300", "xa-hungphuc", "10.38.5.0/33", ""])
def test_bad_targets(spec: str) -> None:
    with pytest.raises(TargetError, match="is not an address or a network"):
        expand([spec])
