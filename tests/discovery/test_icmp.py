"""ICMP against real sockets: loopback answers; dead hosts live in a namespace the test creates."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

from auditor.discovery.icmp import IcmpUnavailable, Ping3Pinger, SweepPinger, open_icmp_socket
from auditor.lab import netns


def _icmp_unavailable() -> str | None:
    try:
        sock, _ = open_icmp_socket()
    except IcmpUnavailable as exc:
        return str(exc)
    sock.close()
    return None


needs_icmp = pytest.mark.skipif(_icmp_unavailable() is not None, reason=f"no ICMP here: {_icmp_unavailable()}")
needs_netns = pytest.mark.skipif(netns.unavailable() is not None, reason=f"no namespaces: {netns.unavailable()}")


@needs_icmp
@pytest.mark.parametrize("pinger", [SweepPinger(), Ping3Pinger(workers=16)], ids=["sweep", "ping3"])
def test_loopback_answers(pinger: SweepPinger | Ping3Pinger) -> None:
    addresses = [f"127.0.0.{i}" for i in range(1, 31)]
    results = asyncio.run(pinger.sweep(addresses, timeout_s=1.0))
    assert sorted(results) == sorted(addresses)
    assert all(r.alive and r.rtt_ms is not None and 0 <= r.rtt_ms < 1000 for r in results.values())


@needs_icmp
def test_several_echoes_measure_loss_and_rtt() -> None:
    (result,) = asyncio.run(SweepPinger().sweep(["127.0.0.1"], count=4, until_reply=False, timeout_s=0.2)).values()
    assert (result.sent, result.received, result.loss_pct) == (4, 4, 0.0)
    assert result.rtt_max_ms is not None and result.rtt_ms is not None and result.rtt_max_ms >= result.rtt_ms


def test_ipv6_targets_get_an_error_not_a_crash() -> None:
    (result,) = asyncio.run(SweepPinger().sweep(["::1"])).values()
    assert (result.alive, result.error) == (False, "ICMP is done for IPv4 addresses only")


SWEEP_IN_NAMESPACE = """
import asyncio, json, sys
from auditor.discovery.icmp import SweepPinger
addresses = json.loads(sys.argv[1])
results = asyncio.run(SweepPinger().sweep(addresses, timeout_s=0.5, count=2))
print(json.dumps({a: [r.alive, r.sent, r.received] for a, r in results.items()}))
"""


@needs_netns
def test_dead_hosts_time_out_and_live_ones_answer() -> None:
    live = ["198.18.0.5", "198.18.0.77"]
    addresses = [f"198.18.0.{i}" for i in range(1, 101)]
    with netns.DeadNetwork(live=live) as network:
        done = network.run([sys.executable, "-c", SWEEP_IN_NAMESPACE, json.dumps(addresses)], timeout=60)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert sorted(a for a, (alive, _, _) in results.items() if alive) == live
    # A dead host was asked twice (the first echo and one retry) and never answered; a live one once.
    assert results["198.18.0.6"] == [False, 2, 0] and results["198.18.0.5"] == [True, 1, 1]
