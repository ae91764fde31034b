"""The IANA enterprise registry as shipped: read from either of its published formats, names tidied."""

from __future__ import annotations

import gzip
from pathlib import Path

from auditor.catalogs import enterprise_registry
from auditor.lab.enterprises import main, parse, tidy


def test_names_lose_legal_forms_urls_and_notes_not_their_words() -> None:
    assert tidy("ZyXEL Communications Corp.") == "ZyXEL Communications"
    assert tidy("Shenzhen Foo Technology Co., Ltd.") == "Shenzhen Foo Technology"
    assert tidy("IBM (https://w3.ibm.com/standards )") == "IBM"
    assert tidy("Alcatel-Lucent Enterprise (previous was 'Alcatel')") == "Alcatel-Lucent Enterprise"
    assert tidy("Rockwell Automation, Inc.\t# formerly 'Allen-Bradley Company'") == "Rockwell Automation"
    assert tidy("Rittal-Werk Rudolf Loh GmbH & Co.KG") == "Rittal-Werk Rudolf Loh"
    assert tidy("HW group s.r.o") == "HW group" and tidy("Teracom Telematica Ltda.") == "Teracom Telematica"
    assert tidy("Texaco") == "Texaco" and tidy("Cisco") == "Cisco"  # "co" inside a word stays
    assert tidy("Reserved") is None and tidy("Unassigned") is None


def test_both_published_formats_give_the_same_registry(tmp_path: Path) -> None:
    wireshark = ["# (last updated 2024-08-23)", "0\tReserved", "9\tciscoSystems", "890\tZyXEL Communications Corp."]
    iana = ["PRIVATE ENTERPRISE NUMBERS", "", "0", "  Reserved", "9", "  ciscoSystems", "  John Doe",
            "  jd&example.com", "890", "  ZyXEL Communications Corp.", "  Jane Roe", "  jr&example.com"]  # fmt: skip
    expected = [(9, "ciscoSystems"), (890, "ZyXEL Communications")]
    assert list(parse(wireshark)) == expected
    assert list(parse(iana)) == expected
    source, out = tmp_path / "enterprises.tsv", tmp_path / "out.tsv.gz"
    source.write_text("\n".join(wireshark) + "\n", encoding="utf-8")
    assert main([str(source), "--out", str(out)]) == 0
    first = out.read_bytes()
    assert gzip.decompress(first).decode().splitlines()[1:] == ["9\tciscoSystems", "890\tZyXEL Communications"]
    main([str(source), "--out", str(out)])
    assert out.read_bytes() == first  # the same registry, the same bytes


def test_the_shipped_registry_is_whole() -> None:
    registry = enterprise_registry()
    assert len(registry) > 50_000
    assert registry[48690] == "Teltonika" and registry[41112] == "Ubiquiti Networks"
