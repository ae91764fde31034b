"""Running snmpsim on loopback: recorded devices as real SNMP agents, for tests, the demo and benchmarks.

snmpsim answers on one UDP endpoint; the community string picks the recording (its file name).
Started as root it wants to drop privileges to a user that may not be able to read this Python
(under /root); SNMPSIM_ALLOW_ROOT keeps it as it is, which on loopback in a test is harmless.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from auditor.errors import SnmpSimError

START_TIMEOUT_S = 120.0  # indexing the recordings the first time takes a few seconds each


def responder_command() -> str | None:
    """The snmpsim responder installed beside this Python, or on PATH."""
    beside = Path(sys.executable).with_name("snmpsim-command-responder")
    if beside.exists():
        return str(beside)
    return shutil.which("snmpsim-command-responder")


def free_udp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def answers(host: str, port: int, community: str) -> bool:
    """Whether an SNMPv2c GET of sysUpTime.0 gets any reply, by a hand-made datagram (no pysnmp here)."""
    oid = bytes([0x2B, 6, 1, 2, 1, 1, 3, 0])
    varbind = b"\x30" + bytes([len(oid) + 4]) + b"\x06" + bytes([len(oid)]) + oid + b"\x05\x00"
    varbinds = b"\x30" + bytes([len(varbind)]) + varbind
    pdu_body = b"\x02\x01\x01" + b"\x02\x01\x00" + b"\x02\x01\x00" + varbinds
    pdu = b"\xa0" + bytes([len(pdu_body)]) + pdu_body
    name = community.encode()
    message_body = b"\x02\x01\x01" + b"\x04" + bytes([len(name)]) + name + pdu
    message = b"\x30" + bytes([len(message_body)]) + message_body
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        try:
            sock.sendto(message, (host, port))
            sock.recvfrom(65535)
            return True
        except OSError:
            return False


class SnmpSimulator:
    """`with SnmpSimulator(data_dir) as sim:` — agents for every *.snmprec in data_dir at sim.host:sim.port."""

    def __init__(
        self,
        data_dir: Path,
        probe_community: str,
        host: str = "127.0.0.1",
        port: int | None = None,
        cache_dir: Path | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        command = responder_command()
        if command is None:
            raise SnmpSimError("snmpsim is not installed (pip install snmpsim pysmi)")
        self.command = command
        self.extra_args = extra_args
        self.data_dir = Path(data_dir)
        self.probe_community = probe_community
        self.host = host
        self.port = port or free_udp_port(host)
        self._own_cache = cache_dir is None
        self.cache_dir = Path(cache_dir or tempfile.mkdtemp(prefix="auditor-snmpsim-"))
        self.log_path = self.cache_dir / "snmpsim.log"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SnmpSimulator:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        environment = dict(os.environ)
        if os.geteuid() == 0:
            environment["SNMPSIM_ALLOW_ROOT"] = "true"
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [
                    self.command,
                    f"--data-dir={self.data_dir}",
                    f"--cache-dir={self.cache_dir}",
                    f"--agent-udpv4-endpoint={self.host}:{self.port}",
                    "--log-level=error",
                    *self.extra_args,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SnmpSimError(f"snmpsim exited at start: {self.log_path.read_text(errors='replace')[-2000:]}")
            if answers(self.host, self.port, self.probe_community):
                return self
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise SnmpSimError(f"snmpsim did not answer within {START_TIMEOUT_S:g} s; see {self.log_path}")

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._own_cache:
            shutil.rmtree(self.cache_dir, ignore_errors=True)


def single_agent_dir(recording: Path, into: Path, community: str = "public") -> Path:
    """A data directory in which `recording` answers to `community`, as one real device would.

    A copy, not a link: snmpsim follows links and names the community after the real file.
    """
    into.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(recording, into / f"{community}.snmprec")
    return into
