"""The translation catalogs: extract the marked strings from the code, update the Vietnamese
catalog, check it and compile it (Babel).  `make catalogs` runs it; `--check` changes nothing and
exits 1 when the catalog lags the code, a string is untranslated, a translation's {placeholders}
differ from the source's, or the compiled .mo is not its .po.  The .po names the files a string
is used in, not the lines, so it changes only when the strings do.

    python -m auditor.lab.catalogs [--check]

Translators edit auditor/locale/vi/LC_MESSAGES/auditor.po (any PO editor), then run it again.
"""

from __future__ import annotations

import io
import string
import sys
from importlib import resources
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PACKAGE = Path(str(resources.files("auditor")))
# auditor.i18n: tr("…"), N_("…"), tr.plural("…", "…", n); the dashboard's templates say tr("…") and plural("…", "…", n)
KEYWORDS = {"tr": None, "N_": None, "plural": (1, 2)}
LANGS = ("vi",)


def _po(lang: str) -> Path:
    return PACKAGE / "locale" / lang / "LC_MESSAGES" / "auditor.po"


def template() -> Catalog:
    """Every string the code marks, with where it is used."""
    found = Catalog(project="auditor", version="", copyright_holder="the auditor authors")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE),
        method_map=[("**.py", "python"), ("web/templates/**.html", "jinja2.ext:babel_extract")],
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
    ):
        found.add(message, None, [(f"auditor/{filename}", lineno)], auto_comments=comments, context=context)
    return found


def _fields(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def problems(catalog: Catalog) -> list[str]:
    """Untranslated strings, and translations whose placeholders are not the source's."""
    found = []
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string or [""])
        if not all(strings):
            found.append(f"untranslated: {ids[0]!r}")
            continue
        wanted = _fields(ids[-1]) if len(ids) > 1 else _fields(ids[0])
        for text in strings:
            if _fields(text) != wanted and _fields(text) != _fields(ids[0]):
                found.append(f"placeholders differ: {ids[0]!r} → {text!r}")
    return found


def _plain_flags(catalog: Catalog) -> None:
    """Babel takes a '%' for a printf placeholder; these strings are str.format ones."""
    for message in catalog:
        message.flags.discard("python-format")


def _updated(lang: str, code: Catalog) -> tuple[Catalog, bytes]:
    path = _po(lang)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    created = catalog.creation_date  # the header keeps its date: the file changes only with its strings
    catalog.update(code, no_fuzzy_matching=True, update_header_comment=False)
    catalog.creation_date = created
    catalog.obsolete.clear()
    catalog.fuzzy = False
    _plain_flags(catalog)
    out = io.BytesIO()
    write_po(out, catalog, width=100, sort_by_file=True, omit_header=False, include_lineno=False)
    return catalog, out.getvalue()


def _compiled(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def _unchanged(path: Path, content: bytes) -> bool:
    return path.exists() and path.read_bytes() == content


def main(argv: list[str]) -> int:
    check = "--check" in argv
    code = template()
    said: list[str] = []
    for lang in LANGS:
        catalog, po_text = _updated(lang, code)
        mo = _po(lang).with_suffix(".mo")
        said += [f"{lang}: {p}" for p in problems(catalog)]
        if check:
            if not _unchanged(_po(lang), po_text):
                said.append(f"{lang}: {_po(lang)} lags the code: run `make catalogs`")
            if not _unchanged(mo, _compiled(catalog)):
                said.append(f"{lang}: {mo} is not the compiled {_po(lang).name}: run `make catalogs`")
        else:
            _po(lang).write_bytes(po_text)
            mo.write_bytes(_compiled(catalog))
    for line in said:
        print(line, file=sys.stderr)
    print(f"{len(code)} strings; {len(said)} problems")
    return 1 if said else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
