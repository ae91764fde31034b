"""Test networks in network namespaces this process creates, so no packet reaches a real network.

`DeadNetwork` builds two namespaces joined by a veth pair: the "scanner" namespace routes a
range (198.18.0.0/15, set aside for benchmarks by RFC 2544) into the "sink" namespace, which
neither owns nor forwards it, so every echo and SNMP request there vanishes: dead hosts that
time out exactly as real ones do.  Chosen addresses are made live on the scanner's loopback.
Commands run inside with `ns.run([...])` or by prefixing `ns.prefix`.  Needs root and iproute2.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from collections.abc import Sequence
from types import TracebackType

_names = itertools.count(1)
DEAD_RANGE = "198.18.0.0/16"


def unavailable() -> str | None:
    """Why namespaces cannot be made here, or None if they can."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    probe = f"auditor-probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"cannot create a network namespace: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


class _Namespaces:
    """Namespaces made by one lab object, all deleted when it ends, however it ends."""

    namespaces: tuple[str, ...] = ()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for namespace in self.namespaces:  # deleting a namespace deletes its end of any veth
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True)


class DeadNetwork(_Namespaces):
    def __init__(self, live: Sequence[str] = (), dead_range: str = DEAD_RANGE) -> None:
        number = next(_names)
        self.name = f"auditor-{os.getpid()}-{number}"
        self.sink = f"{self.name}-sink"
        self.namespaces = (self.name, self.sink)
        self.live = tuple(live)
        self.dead_range = dead_range

    @property
    def prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.name]

    def run(
        self, argv: Sequence[str], timeout: float = 300, env: dict[str, str] | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside the scanner namespace, capture its output as text."""
        return subprocess.run(
            [*self.prefix, *argv], capture_output=True, text=True, timeout=timeout, env=env, input=stdin
        )

    def __enter__(self) -> DeadNetwork:
        _ip("netns", "add", self.name)
        try:
            _ip("netns", "add", self.sink)
            _ip(
                "link",
                "add",
                "veth-scan",
                "netns",
                self.name,
                "type",
                "veth",
                "peer",
                "name",
                "veth-sink",
                "netns",
                self.sink,
            )
            for namespace, device, address in (
                (self.name, "veth-scan", "198.19.255.1/30"),
                (self.sink, "veth-sink", "198.19.255.2/30"),
            ):
                _ip("-n", namespace, "link", "set", "lo", "up")
                _ip("-n", namespace, "link", "set", device, "up")
                _ip("-n", namespace, "addr", "add", address, "dev", device)
            _ip("-n", self.name, "route", "add", self.dead_range, "via", "198.19.255.2")
            for address in self.live:
                _ip("-n", self.name, "addr", "add", f"{address}/32", "dev", "lo")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self


class ShapedLink(_Namespaces):
    """A WAN link in the lab: a "router" namespace and a "site" namespace joined by a veth pair,
    the site's side shaped to `rate` (tc tbf), so traffic from the site arrives at the router's
    `router_if` at most at that rate.  198.19.1.1 is the router's end, 198.19.1.2 the site's."""

    ROUTER_ADDRESS, SITE_ADDRESS = "198.19.1.1", "198.19.1.2"

    def __init__(self, rate: str = "2mbit", router_if: str = "wan0") -> None:
        number = next(_names)
        self.router = f"auditor-{os.getpid()}-{number}-router"
        self.site = f"auditor-{os.getpid()}-{number}-site"
        self.namespaces = (self.router, self.site)
        self.rate = rate
        self.router_if = router_if

    def in_router(self, argv: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.router, *argv]

    def in_site(self, argv: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.site, *argv]

    def rx_bytes(self) -> int:
        """The router interface's received bytes, as the kernel counts them (/proc/net/dev)."""
        text = subprocess.run(
            self.in_router(["cat", "/proc/net/dev"]), capture_output=True, text=True, check=True
        ).stdout
        for line in text.splitlines():
            name, _, fields = line.partition(":")
            if name.strip() == self.router_if:
                return int(fields.split()[0])
        raise RuntimeError(f"{self.router_if} is not in {self.router}'s /proc/net/dev")

    def __enter__(self) -> ShapedLink:
        _ip("netns", "add", self.router)
        try:
            _ip("netns", "add", self.site)
            _ip(
                "link",
                "add",
                self.router_if,
                "netns",
                self.router,
                "type",
                "veth",
                "peer",
                "name",
                "site0",
                "netns",
                self.site,
            )
            for namespace, device, address in (
                (self.router, self.router_if, self.ROUTER_ADDRESS),
                (self.site, "site0", self.SITE_ADDRESS),
            ):
                _ip("-n", namespace, "link", "set", "lo", "up")
                _ip("-n", namespace, "link", "set", device, "up")
                _ip("-n", namespace, "addr", "add", f"{address}/30", "dev", device)
            shaped = subprocess.run(
                self.in_site(
                    [
                        "tc",
                        "qdisc",
                        "add",
                        "dev",
                        "site0",
                        "root",
                        "tbf",
                        "rate",
                        self.rate,
                        "burst",
                        "16kb",
                        "latency",
                        "100ms",
                    ]
                ),
                capture_output=True,
                text=True,
            )
            if shaped.returncode != 0:
                raise RuntimeError(f"tc tbf: {shaped.stderr.strip()}")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self
