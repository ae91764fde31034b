"""Hardening battery, lying and broken SNMP agents (issue 7): real agents on loopback (snmpsim
serving a recording per case, each on its own 127.0.0.x address), all polled in one
`auditor poll` beside a well-behaved one.

Each device must be stored with what went wrong (its poll's error) or with safe facts: no control
characters, bounded lengths, plausible dates and uptimes; and the run must go on for everyone else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import select
import socket
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1905
from sqlalchemy import select as query

from auditor.db.engine import open_database
from auditor.db.models import Device, DevicePoll
from auditor.lab.snmpsim import SnmpSimulator, free_udp_port, responder_command
from tests.battery.tally import counted
from tests.conftest import Cli
from tests.register.test_import import write_csv

pytestmark = pytest.mark.skipif(responder_command() is None, reason="snmpsim is not installed (the lab extra)")

SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME = (f"1.3.6.1.2.1.1.{n}.0" for n in (1, 2, 3, 5))
ENT = "1.3.6.1.2.1.47.1.1.1.1"
GOOD = {
    SYS_DESCR: "4|Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 12.2(55)SE12",
    SYS_OBJECT_ID: "6|1.3.6.1.4.1.9.1.1208",
    SYS_UPTIME: "67|360000",
    SYS_NAME: "4|lab-sw",
    f"{ENT}.2.1": "4|Lab switch",
    f"{ENT}.5.1": "2|3",
    f"{ENT}.11.1": "4|LAB0001",
    f"{ENT}.13.1": "4|WS-C2960-24TT-L",
    f"{ENT}.17.1": "4x|323031302d30342d3031",  # 2010-04-01
}


def _hex(data: bytes) -> str:
    return "4x|" + data.hex()


# case → the recording's changes from GOOD (None removes the OID); whether the poll must note an error.
CASES: dict[str, tuple[dict[str, str | None], bool]] = {
    "uptime-as-text": ({SYS_UPTIME: "4|yesterday"}, False),
    "uptime-as-null": ({SYS_UPTIME: "5|"}, False),
    "uptime-negative-integer": ({SYS_UPTIME: "2|-5"}, False),
    "objectid-as-text": ({SYS_OBJECT_ID: "4|not an oid"}, False),
    "objectid-128-arcs": ({SYS_OBJECT_ID: "6|1.3.6.1.4.1" + ".4294967295" * 123}, False),
    "descr-8-kB": ({SYS_DESCR: "4|" + "B" * 8000}, False),
    "descr-64-kB": ({SYS_DESCR: "4|" + "A" * 65_000}, False),  # fits in one datagram: read, cut to 1 kB
    # tooBig for that one OID: sysDescr unknown, the rest of the device read as usual
    "descr-too-big-for-a-datagram": ({SYS_DESCR: "4|" + "A" * 66_000}, False),
    "descr-not-utf8": ({SYS_DESCR: _hex(b"\xff\xfeCisco \xc3\x28 IOS \x80\x81")}, False),
    "name-control-characters": ({SYS_NAME: _hex(b"\x1b[31mevil\x00\x07\x08name\r\n=1+1")}, False),
    "serial-10-kB": ({f"{ENT}.11.1": "4|" + "S" * 10_000}, False),
    "model-blank": ({f"{ENT}.13.1": "4|    "}, False),
    "entity-class-as-text": ({f"{ENT}.5.1": "4|chassis"}, False),
    "entity-class-counter64": ({f"{ENT}.5.1": "70|3"}, False),
    "mfgdate-garbage-bytes": ({f"{ENT}.17.1": _hex(b"\xff" * 11)}, False),
    "mfgdate-year-9999": ({f"{ENT}.17.1": _hex(b"9999-12-31")}, False),
    "no-such-object-but-uptime": ({k: None for k in GOOD if k != SYS_UPTIME}, False),
    "knows-nothing": ({**{k: None for k in GOOD}, "1.3.6.1.4.1.99999.1.0": "2|1"}, True),
    "slow-beyond-the-timeout": ({SYS_DESCR: "4:delay|value=slow,wait=4000"}, True),
}
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _recording(changes: dict[str, str | None]) -> str:
    found = {**GOOD, **changes}
    lines = [f"{oid}|{value}" for oid, value in found.items() if value is not None]
    return "\n".join(sorted(lines, key=lambda line: tuple(int(x) for x in line.split("|")[0].split(".")))) + "\n"


SLOW = {name for name, (changes, _) in CASES.items() if any(":delay" in (v or "") for v in changes.values())}


@pytest.fixture(scope="module")
def liars(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[str, int]]]:
    """snmpsim serving every case (and `good`) on its own loopback address; each case's address
    and port.  A slow agent gets a simulator of its own: snmpsim answers one request at a time,
    so its delay would hold up the others (a real slow device holds up nobody)."""
    names = ["good", *CASES]
    addresses = {name: f"127.0.0.{20 + i}" for i, name in enumerate(names)}
    found: dict[str, tuple[str, int]] = {}
    with ExitStack() as stack:
        for group in ([n for n in names if n not in SLOW], sorted(SLOW)):
            data = tmp_path_factory.mktemp("liars")
            for name in group:
                changes = CASES[name][0] if name in CASES else {}
                (data / f"{name}.snmprec").write_text(_recording(changes), encoding="utf-8")
            port = free_udp_port("127.0.0.1")
            extra = tuple(f"--agent-udpv4-endpoint={addresses[n]}:{port}" for n in group[1:])
            stack.enter_context(
                SnmpSimulator(data, probe_community=group[0], host=addresses[group[0]], port=port, extra_args=extra)
            )
            found.update({name: (addresses[name], port) for name in group})
        yield found


def test_each_lying_agent_is_marked_and_the_run_goes_on(
    liars: dict[str, tuple[str, int]], auditor: Cli, workdir: Path
) -> None:
    write_csv(workdir / "u.csv", [["unit_code", "unit_name"], ["XA-L", "L"]])
    rows = [["unit_code", "hostname", "ip", "snmp_version", "snmp_port", "snmp_community"]]
    rows += [["XA-L", name, address, "2c", str(port), name] for name, (address, port) in liars.items()]
    write_csv(workdir / "d.csv", rows)
    auditor.ok("register", "import", "u.csv")
    auditor.ok("register", "import", "d.csv")
    result = auditor("poll", "--timeout", "1.5", "--retries", "0")
    assert result.exit_code == 0, result.stdout + result.stderr

    database = open_database(auditor.db_url)
    with database.session(commit=False) as session:
        devices = {d.hostname: d for d in session.scalars(query(Device))}
        polls = {p.device_id: p for p in session.scalars(query(DevicePoll))}
        good = devices["good"]
        assert (good.model, good.serial, good.vendor) == ("WS-C2960-24TT-L", "LAB0001", "Cisco")
        problems = {name: wrong for name, (_, errs) in CASES.items() if (wrong := _wrong(devices[name], polls, errs))}
        unknown = devices["descr-too-big-for-a-datagram"].sys_descr
        cut = devices["descr-64-kB"].sys_descr
    database.close()
    assert problems == {}, json.dumps(problems, indent=2, ensure_ascii=False)
    assert unknown is None and cut is not None and len(cut) == 1024


def _wrong(device: Device, polls: dict[int, DevicePoll], errs: bool) -> list[str]:
    """What is wrong with how one lying device was stored (nothing, when all is well); counted."""
    poll = polls.get(device.id)
    wrong = []
    if poll is None:
        wrong.append("not polled")
    elif errs and not poll.error:
        wrong.append(f"no error noted (sysDescr {len(device.sys_descr or '')} chars, snmp_ok {poll.snmp_ok})")
    elif not errs and not poll.snmp_ok:
        wrong.append(f"not answered: {poll.error}")
    for field in ("hostname", "sys_descr", "model", "serial", "vendor", "os_version", "sys_object_id", "firmware"):
        value = getattr(device, field, None)
        if isinstance(value, str) and (CONTROL.search(value) or len(value) > 1024):
            wrong.append(f"{field} unsafe: {value[:40]!r}… ({len(value)} chars)")
    if device.manufactured_on and not dt.date(1980, 1, 1) <= device.manufactured_on <= dt.date.today():
        wrong.append(f"manufactured {device.manufactured_on}")
    if poll is not None and poll.uptime_s is not None and poll.uptime_s < 0:
        wrong.append(f"uptime {poll.uptime_s}")
    counted(refused=not wrong)
    return wrong


# ---------------------------------------------------------------- agents snmpsim cannot play

ENT_CLASS = f"{ENT}.5"


class ScriptedAgent:
    """A real SNMPv2c agent on loopback addresses, written for the battery: the system group
    answers as GOOD; its walks, and whether it answers at all, follow the community asked with.

    `backwards`: a walk's second OID comes before its first.  `repeats`: the same OID again and
    again.  `sometimes`: every other request goes unanswered (a congested link), walks are empty.
    `reboots`: once `rebooted` is set, its uptime starts again.
    """

    def __init__(self, addresses: list[str]) -> None:
        self.port = free_udp_port("127.0.0.1")
        self.sockets = []
        for address in addresses:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((address, self.port))
            self.sockets.append(sock)
        self.dropped: dict[str, bool] = {}
        self.rebooted = False  # set between two polls: `reboots` then says it has been up 1 s
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> ScriptedAgent:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()

    def _serve(self) -> None:
        while not self.stop.is_set():
            ready, _, _ = select.select(self.sockets, [], [], 0.1)
            for sock in ready:
                data, peer = sock.recvfrom(65535)
                with contextlib.suppress(Exception):  # a request it cannot parse goes unanswered
                    answer = self._answer(data)
                    if answer is not None:
                        sock.sendto(answer, peer)

    def _answer(self, data: bytes) -> bytes | None:
        proto = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
        message, _ = decoder.decode(data, asn1Spec=proto.Message())
        community = str(proto.apiMessage.get_community(message))
        if community == "sometimes":
            self.dropped[community] = not self.dropped.get(community, False)
            if self.dropped[community]:
                return None
        request = proto.apiMessage.get_pdu(message)
        response = proto.apiMessage.get_response(message)
        pdu = proto.apiMessage.get_pdu(response)
        asked = [str(oid) for oid, _ in proto.apiPDU.get_varbinds(request)]
        if isinstance(request, proto.GetRequestPDU):
            up = {SYS_UPTIME: "67|100"} if community == "reboots" and self.rebooted else {}
            varbinds = [(oid, _value({**GOOD, **up}.get(oid))) for oid in asked]
        elif community == "backwards":  # ENT_CLASS.10, then ENT_CLASS.3: before the first
            varbinds = [
                (f"{ENT_CLASS}.{3 if oid.startswith(ENT_CLASS + '.') else 10}", proto.Integer(3)) for oid in asked
            ]
        elif community == "repeats":
            varbinds = [(f"{ENT_CLASS}.10", proto.Integer(3)) for _ in asked]
        else:
            varbinds = [(oid, rfc1905.endOfMibView) for oid in asked]
        proto.apiPDU.set_varbinds(pdu, varbinds)
        return bytes(encoder.encode(response))


def _value(written: str | None) -> Any:
    """A GOOD entry ("4|text", "6|oid", "67|ticks", "4x|hex") as the agent sends it."""
    proto = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    if written is None:
        return rfc1905.noSuchObject
    kind, _, text = written.partition("|")
    return {
        "4": lambda: proto.OctetString(text),
        "4x": lambda: proto.OctetString(hexValue=text),
        "6": lambda: proto.ObjectIdentifier(text),
        "67": lambda: proto.TimeTicks(int(text)),
        "2": lambda: proto.Integer(int(text)),
    }[kind]()


# name → whether the poll must note an error
SCRIPTED = {"backwards": True, "repeats": True, "sometimes": False, "reboots": False}


def test_walks_that_go_backwards_or_repeat_stop_and_a_flaky_agent_is_retried(auditor: Cli, workdir: Path) -> None:
    addresses = {name: f"127.0.0.{60 + i}" for i, name in enumerate(SCRIPTED)}
    with ScriptedAgent(list(addresses.values())) as agent:
        write_csv(workdir / "u.csv", [["unit_code", "unit_name"], ["XA-S", "S"]])
        rows = [["unit_code", "hostname", "ip", "snmp_version", "snmp_port", "snmp_community"]]
        rows += [["XA-S", name, address, "2c", str(agent.port), name] for name, address in addresses.items()]
        write_csv(workdir / "d.csv", rows)
        auditor.ok("register", "import", "u.csv")
        auditor.ok("register", "import", "d.csv")
        result = auditor("poll", "--timeout", "0.5", "--retries", "1")
        agent.rebooted = True
        again = auditor("poll", "--timeout", "0.5", "--retries", "1")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert again.exit_code == 0 and "reboots             1" in again.stdout, again.stdout
    database = open_database(auditor.db_url)
    with database.session(commit=False) as session:
        devices = {d.hostname: d for d in session.scalars(query(Device))}
        first: dict[int, DevicePoll] = {}
        last: dict[int, DevicePoll] = {}
        for poll in session.scalars(query(DevicePoll).order_by(DevicePoll.id)):
            first.setdefault(poll.device_id, poll)
            last[poll.device_id] = poll
        polls = first  # the poll that met the lies
        problems = {n: w for n, errs in SCRIPTED.items() if (w := _wrong(devices[n], polls, errs))}
        rebooted = {n for n, d in devices.items() if last[d.id].rebooted}
        notes = {n: polls[devices[n].id].error or "" for n in SCRIPTED}
        descr = devices["sometimes"].sys_descr
    database.close()
    assert problems == {}, json.dumps(problems, indent=2, ensure_ascii=False)
    assert "went backwards" in notes["backwards"] and "went backwards" in notes["repeats"]
    assert descr is not None and descr.startswith("Cisco IOS")  # answered on the retry
    assert rebooted == {"reboots"}
