"""The IANA Private Enterprise Numbers shipped as auditor/data/enterprises.tsv.gz: who owns each
1.3.6.1.4.1.N, the vendor of a device whose sysObjectID no entry of vendors.toml names.

    python -m auditor.lab.enterprises [SOURCE]

SOURCE is IANA's registry as Debian's libwireshark-data ships it
(/usr/share/wireshark/enterprises.tsv, "N<tab>Name" generated from
https://www.iana.org/assignments/enterprise-numbers), or IANA's own enterprise-numbers text.
The names are tidied for a listing: the URLs some owners add, and legal forms ("Inc.", "Co., Ltd",
"GmbH"…) dropped; "Reserved" and unassigned numbers left out.  `make enterprises` runs it.
"""

from __future__ import annotations

import argparse
import gzip
import re
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path

DEFAULT_SOURCE = Path("/usr/share/wireshark/enterprises.tsv")
TARGET = Path(str(resources.files("auditor.data"))) / "enterprises.tsv.gz"

_URL = re.compile(r"\s*\(?\s*(?:https?://|www\.)\S*\s*\)?", re.IGNORECASE)
_LEGAL = re.compile(
    r"(?:[\s,]+(?:gmbh\s*&\s*co\.?\s*kg|inc|incorporated|ltda|ltd|limited|llc|l\.l\.c|corp|corporation|co|company|gmbh|ag|kg|s\.?a|"
    r"s\.?a\.?s|s\.?r\.?l|s\.?r\.?o|s\.?p\.?a|e\.?v|b\.?v|n\.?v|oy|ab|a/s|as|plc|pty|pvt|private|sa de cv|k\.?k)\.?)+$",
    re.IGNORECASE,
)
_NOTE = re.compile(r"\s*\((?:previous(?:ly)?|formerly|was|now|see)\b[^)]*\)", re.IGNORECASE)
_SKIP = {"reserved", "unassigned", "none", "-"}


def tidy(name: str) -> str | None:
    """A registry owner's name as a listing shows it: "ZyXEL Communications Corp." → "ZyXEL
    Communications"; None for a number nobody holds."""
    cleaned = _URL.sub("", name.split("\t# ")[0].split("\t")[0])
    cleaned = _NOTE.sub("", cleaned).replace("_", " ").strip().strip(",;").strip()
    for _ in range(3):  # "Foo Co., Ltd." sheds both
        cleaned = _LEGAL.sub("", cleaned).strip().strip(",;").strip()
    if not cleaned or cleaned.lower() in _SKIP or cleaned.lower().startswith("reserved"):
        return None
    return cleaned


def parse(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(number, tidied name) from either source format: "N<tab>Name" lines, or IANA's text where a
    number stands alone on its line and the organisation is the next."""
    pending: int | None = None
    for line in lines:
        if line.startswith("#") or not line.strip():
            continue
        number, _, rest = line.strip().partition("\t")  # "N<tab>Name[<tab># a note]"
        if number.isdigit() and rest.strip():
            if (name := tidy(rest)) is not None:
                yield int(number), name
            pending = None
        elif line.strip().isdigit() and not line.startswith((" ", "\t")):
            pending = int(line.strip())
        elif pending is not None:
            if (name := tidy(line)) is not None:
                yield pending, name
            pending = None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    text = args.source.read_text(encoding="utf-8", errors="replace").splitlines()
    updated = next((m[1] for line in text[:20] if (m := re.search(r"last updated ([\d-]+)", line))), "unknown")
    found = dict(parse(text))
    header = f"# IANA Private Enterprise Numbers, registry of {updated}, from {args.source.name}; names tidied\n"
    body = "".join(f"{number}\t{name}\n" for number, name in sorted(found.items()))
    # mtime=0: the same registry gives the same bytes, so the file changes only when IANA's does
    args.out.write_bytes(gzip.compress((header + body).encode("utf-8"), mtime=0))
    print(f"{len(found)} enterprises (registry of {updated}) written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
