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
import sys
from collections.abc import Sequence
from pathlib import Path
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


class Lan(_Namespaces):
    """A commune office LAN: a "router" namespace whose bridge `br0` (198.18.7.1/24) joins one
    namespace per host, each on its own veth with the MAC given.  Hosts that `drop_echo` refuse
    ICMP echo (nft), as Windows does by default; `chatter()` has every host send to the router
    once, so that the router's neighbour table holds them, as a working office's does."""

    ROUTER_ADDRESS = "198.18.7.1"

    def __init__(self, hosts: Sequence[tuple[str, str, bool]]) -> None:
        """`hosts`: (address, MAC, drops ICMP echo) of each host."""
        number = next(_names)
        self.router = f"auditor-{os.getpid()}-{number}-router"
        self.hosts = tuple(hosts)
        self.host_namespaces = tuple(f"auditor-{os.getpid()}-{number}-h{i}" for i in range(len(hosts)))
        self.namespaces = (self.router, *self.host_namespaces)

    def in_router(self, argv: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.router, *argv]

    def in_host(self, number: int, argv: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.host_namespaces[number], *argv]

    def lldp_now(self, control: Path, number: int) -> None:
        """Have the lldpd of host `number` (its control socket at `control`) send its LLDP frame
        now rather than in 30 s."""
        subprocess.run(self.in_host(number, ["lldpcli", "-u", str(control), "update"]), capture_output=True, timeout=10)

    def chatter(self) -> None:
        """Each host sends the router one UDP datagram (to the discard port): to send it the host
        asks for the router's MAC, and the router learns the host's, as ARP does for any traffic."""
        send = (
            "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
            f"s.sendto(b'hello', ({self.ROUTER_ADDRESS!r}, 9))"
        )
        for namespace in self.host_namespaces:
            subprocess.run(
                ["ip", "netns", "exec", namespace, sys.executable, "-c", send], capture_output=True, timeout=10
            )

    def __enter__(self) -> Lan:
        _ip("netns", "add", self.router)
        try:
            _ip("-n", self.router, "link", "set", "lo", "up")
            _ip("-n", self.router, "link", "add", "br0", "type", "bridge")
            _ip("-n", self.router, "link", "set", "br0", "up")
            _ip("-n", self.router, "addr", "add", f"{self.ROUTER_ADDRESS}/24", "dev", "br0")
            for i, (namespace, (address, mac, drops_echo)) in enumerate(
                zip(self.host_namespaces, self.hosts, strict=True)
            ):
                _ip("netns", "add", namespace)
                port = f"port{i}"
                _ip(
                    "link",
                    "add",
                    port,
                    "netns",
                    self.router,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    "eth0",
                    "netns",
                    namespace,
                )
                _ip("-n", self.router, "link", "set", port, "master", "br0")
                _ip("-n", self.router, "link", "set", port, "up")
                _ip("-n", namespace, "link", "set", "lo", "up")
                _ip("-n", namespace, "link", "set", "eth0", "address", mac)
                _ip("-n", namespace, "link", "set", "eth0", "up")
                _ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
                if drops_echo:
                    rules = (
                        "table inet host {\n chain input {\n  type filter hook input priority 0;\n"
                        "  icmp type echo-request drop\n }\n}\n"
                    )
                    done = subprocess.run(
                        ["ip", "netns", "exec", namespace, "nft", "-f", "-"],
                        input=rules,
                        capture_output=True,
                        text=True,
                    )
                    if done.returncode != 0:
                        raise RuntimeError(f"nft: {done.stderr.strip()}")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self


class LoopbackOnly(_Namespaces):
    """A namespace with nothing but loopback: what runs inside cannot put a packet on any real
    network, whatever address it is told (the recordings' tables hold real-world addresses)."""

    def __init__(self) -> None:
        self.name = f"auditor-{os.getpid()}-{next(_names)}-lo"
        self.namespaces = (self.name,)

    def run(self, argv: Sequence[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ip", "netns", "exec", self.name, *argv], capture_output=True, text=True, timeout=timeout
        )

    def __enter__(self) -> LoopbackOnly:
        _ip("netns", "add", self.name)
        try:
            _ip("-n", self.name, "link", "set", "lo", "up")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self
