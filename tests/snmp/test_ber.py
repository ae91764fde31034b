"""The hand-written GET codec (snmp/ber.py) against pysnmp's own encoder and decoder, value type by
value type, by property (hypothesis) and by fuzzing: malformed bytes only ever raise BerError."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api

from auditor.errors import BerError
from auditor.snmp import ber
from auditor.snmp.client import plain

V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
V1 = api.PROTOCOL_MODULES[api.SNMP_VERSION_1]


def pysnmp_response(
    request_id: int, binds: list[tuple[str, Any]], status: int = 0, index: int = 0, module: Any = V2C
) -> bytes:
    message = module.Message()
    module.apiMessage.set_defaults(message)
    module.apiMessage.set_community(message, b"s3cret")
    pdu = module.GetResponsePDU()
    module.apiPDU.set_defaults(pdu)
    module.apiPDU.set_request_id(pdu, request_id)
    module.apiPDU.set_error_status(pdu, status)
    module.apiPDU.set_error_index(pdu, index)
    module.apiPDU.set_varbinds(pdu, [(tuple(int(a) for a in oid.split(".")), value) for oid, value in binds])
    module.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


VALUES = [
    (V2C.Integer(-2_147_483_648), -2_147_483_648),
    (V2C.Integer(0), 0),
    (V2C.Integer(2_147_483_647), 2_147_483_647),
    (V2C.OctetString(b"\xffRouter\x00\x01"), b"\xffRouter\x00\x01"),
    (V2C.OctetString(b""), b""),
    (V2C.OctetString(b"x" * 65_000), b"x" * 65_000),  # a 64 kB sysDescr: three length bytes
    (V2C.ObjectIdentifier((1, 3, 6, 1, 4, 1, 14988, 1)), "1.3.6.1.4.1.14988.1"),
    (V2C.ObjectIdentifier((2, 999, 3)), "2.999.3"),
    (V2C.IpAddress("10.1.2.3"), "10.1.2.3"),
    (V2C.Counter32(4_294_967_295), 4_294_967_295),
    (V2C.Gauge32(1_000_000_000), 1_000_000_000),
    (V2C.TimeTicks(4_294_967_295), 4_294_967_295),
    (V2C.Counter64(2**64 - 1), 2**64 - 1),
    (V2C.Opaque(b"\x9f\x78\x04\x3f\x80\x00\x00"), b"\x9f\x78\x04\x3f\x80\x00\x00"),
    (V2C.Null(""), None),
    (V2C.NoSuchObject(""), None),
    (V2C.NoSuchInstance(""), None),
    (V2C.EndOfMibView(""), ber.END_OF_MIB_VIEW),  # a walk's end; the client's GET reads it as None
]


@pytest.mark.parametrize(("value", "expected"), VALUES, ids=[type(v).__name__ for v, _ in VALUES])
def test_each_value_type_decodes_as_pysnmp_reads_it(value: Any, expected: Any) -> None:
    response = ber.decode_response(pysnmp_response(7, [("1.3.6.1.2.1.1.1.0", value)]))
    assert response.var_binds == (("1.3.6.1.2.1.1.1.0", expected),)
    assert response.var_binds[0][1] == plain(value) or expected is ber.END_OF_MIB_VIEW
    assert (response.version, response.request_id, response.error_status) == (1, 7, 0)


def test_an_snmpv1_refusal_names_its_status() -> None:
    data = pysnmp_response(2**31 - 1, [("1.3.6.1.2.1.1.1.0", V1.Null(""))], status=2, index=1, module=V1)
    response = ber.decode_response(data)
    assert (response.version, response.request_id, response.status, response.error_index) == (
        0,
        2**31 - 1,
        "noSuchName",
        1,
    )


def test_the_request_is_what_pysnmp_reads() -> None:
    oids = ["1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.3.0", "1.3.6.1.4.1.2021.100.4.0", "0.0"]
    message, _ = decoder.decode(ber.encode_get(1, b"com\xffmunity", 123_456, oids), asn1Spec=V2C.Message())
    pdu = V2C.apiMessage.get_pdu(message)
    assert bytes(V2C.apiMessage.get_community(message)) == b"com\xffmunity"
    assert int(message["version"]) == 1 and pdu.getTagSet() == V2C.GetRequestPDU.tagSet
    assert int(V2C.apiPDU.get_request_id(pdu)) == 123_456
    assert [str(name) for name, _ in V2C.apiPDU.get_varbinds(pdu)] == oids


@pytest.mark.parametrize("oid", ["", "1", "1.x.2", "3.1", "1.40", "1.-2.3"])
def test_a_malformed_oid_is_refused(oid: str) -> None:
    with pytest.raises(BerError):
        ber.encode_oid(oid)


arcs = st.lists(st.integers(min_value=0, max_value=2**32 - 1), min_size=0, max_size=20)
oids = st.builds(
    lambda first, second, rest: ".".join(map(str, [first, second % 40 if first < 2 else second, *rest])),
    st.integers(min_value=0, max_value=2),
    st.integers(min_value=0, max_value=2**20),
    arcs,
)
values = st.one_of(
    st.integers(min_value=-(2**31), max_value=2**31 - 1).map(V2C.Integer),
    st.binary(max_size=300).map(V2C.OctetString),
    st.integers(min_value=0, max_value=2**32 - 1).map(V2C.Counter32),
    st.integers(min_value=0, max_value=2**32 - 1).map(V2C.Gauge32),
    st.integers(min_value=0, max_value=2**32 - 1).map(V2C.TimeTicks),
    st.integers(min_value=0, max_value=2**64 - 1).map(V2C.Counter64),
    st.ip_addresses(v=4).map(lambda a: V2C.IpAddress(str(a))),
    oids.map(lambda o: V2C.ObjectIdentifier(tuple(int(a) for a in o.split(".")))),
    st.sampled_from([V2C.Null(""), V2C.NoSuchObject(""), V2C.NoSuchInstance(""), V2C.EndOfMibView("")]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**31 - 1), st.lists(st.tuples(oids, values), max_size=12))
def test_any_response_pysnmp_writes_decodes_to_the_same_values(request_id: int, binds: list[tuple[str, Any]]) -> None:
    response = ber.decode_response(pysnmp_response(request_id, binds))
    assert response.request_id == request_id
    assert response.var_binds == tuple((oid, _as_walked(value)) for oid, value in binds)


def _as_walked(value: Any) -> Any:
    return ber.END_OF_MIB_VIEW if isinstance(value, V2C.EndOfMibView) else plain(value)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=2**31 - 1), st.binary(max_size=64), st.lists(oids, min_size=1, max_size=12))
def test_any_request_encodes_to_what_pysnmp_reads(request_id: int, community: bytes, names: list[str]) -> None:
    message, rest = decoder.decode(ber.encode_get(1, community, request_id, names), asn1Spec=V2C.Message())
    pdu = V2C.apiMessage.get_pdu(message)
    assert rest == b"" and bytes(V2C.apiMessage.get_community(message)) == community
    assert int(V2C.apiPDU.get_request_id(pdu)) == request_id
    assert [str(name) for name, _ in V2C.apiPDU.get_varbinds(pdu)] == names


REAL = pysnmp_response(
    99,
    [
        ("1.3.6.1.2.1.1.1.0", V2C.OctetString(b"RouterOS RB4011")),
        ("1.3.6.1.2.1.1.2.0", V2C.ObjectIdentifier((1, 3, 6, 1, 4, 1, 14988, 1))),
        ("1.3.6.1.2.1.1.3.0", V2C.TimeTicks(8_640_000)),
        ("1.3.6.1.2.1.25.1.1.0", V2C.NoSuchObject("")),
    ],
)


@settings(max_examples=2000, deadline=None)
@given(st.data())
def test_mangled_replies_raise_only_ber_errors(data: st.DataObject) -> None:
    """A short fuzz: flip, cut, insert and replace bytes of a real reply; nothing but BerError may
    come out (a lying agent marks its device, it never crashes the poll)."""
    mangled = bytearray(REAL)
    for _ in range(data.draw(st.integers(min_value=1, max_value=6))):
        at = data.draw(st.integers(min_value=0, max_value=max(0, len(mangled) - 1)))
        action = data.draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
        if action == "flip" and mangled:
            mangled[at] ^= data.draw(st.integers(min_value=1, max_value=255))
        elif action == "cut" and mangled:
            del mangled[at]
        elif action == "insert":
            mangled.insert(at, data.draw(st.integers(min_value=0, max_value=255)))
        else:
            del mangled[at:]
    with contextlib.suppress(BerError):
        ber.decode_response(bytes(mangled))


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_ber_errors(junk: bytes) -> None:
    with contextlib.suppress(BerError):
        ber.decode_response(junk)


def test_a_message_is_readdressed_to_another_community_and_keeps_its_pdu() -> None:
    message = ber.encode_get(1, b"public", 0x1234567, ["1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.5.0"])
    rewritten, was, request_id = ber.with_community(message, b"a-much-longer-recording-name" * 8)
    assert (was, request_id) == (b"public", 0x1234567)
    back, again, same_id = ber.with_community(rewritten, b"public")
    assert back == message
    assert again == b"a-much-longer-recording-name" * 8 and same_id == request_id
    with pytest.raises(BerError):
        ber.with_community(message[:-3], b"x")


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([ber.GET_NEXT_REQUEST, ber.GET_BULK_REQUEST]),
    st.integers(min_value=1, max_value=2**31 - 1),
    st.integers(min_value=0, max_value=200),
    st.lists(oids, min_size=1, max_size=4),
)
def test_a_walks_request_reads_back_in_pysnmp_as_written(
    kind: int, request_id: int, reps: int, names: list[str]
) -> None:
    message, rest = decoder.decode(ber.encode_request(kind, 1, b"c", request_id, names, reps), asn1Spec=V2C.Message())
    assert rest == b""
    pdu = V2C.apiMessage.get_pdu(message)
    assert int(V2C.apiPDU.get_request_id(pdu)) == request_id
    assert [str(name) for name, _ in V2C.apiPDU.get_varbinds(pdu)] == names
    if kind == ber.GET_BULK_REQUEST:
        assert pdu.isSameTypeWith(V2C.GetBulkRequestPDU())
        assert int(V2C.apiBulkPDU.get_max_repetitions(pdu)) == reps
    else:
        assert pdu.isSameTypeWith(V2C.GetNextRequestPDU())
