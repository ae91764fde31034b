"""The two languages a person reads: gettext catalogs, English source strings.

The Vietnamese text lives in `auditor/locale/vi/LC_MESSAGES/auditor.po` (compiled next to it to
`auditor.mo`; `make catalogs` extracts, updates and compiles them with Babel).  Code marks a string
for extraction with `N_` where it is defined and translates it where it is shown, with a `Texts`
of the reader's language: `tr = texts(lang); tr("Total")`, `tr.plural("{n} device", "{n} devices", n)`.
English needs no catalog: the source strings are the English text.
"""

from __future__ import annotations

import functools
import gettext
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"
DOMAIN = "auditor"


def N_(message: str) -> str:
    """Mark `message` for extraction where it is defined; it is translated where it is shown."""
    return message


class Texts:
    """One language's translations: call it with an English string (or a `N_` constant)."""

    def __init__(self, lang: str, translations: gettext.NullTranslations) -> None:
        self.lang = lang
        self._t = translations

    def __call__(self, message: str, **values: object) -> str:
        text = self._t.gettext(message)
        return text.format(**values) if values else text

    def plural(self, singular: str, plural: str, n: int, **values: object) -> str:
        return self._t.ngettext(singular, plural, n).format(n=n, **values)


def _locale_dir() -> str:
    return str(resources.files("auditor").joinpath("locale"))


@functools.cache
def texts(lang: str = DEFAULT_LANG) -> Texts:
    """The translations of `lang` ("vi" or "en"); a missing catalog is an error, never English in disguise."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")
    if lang == "en":
        return Texts(lang, gettext.NullTranslations())
    return Texts(lang, gettext.translation(DOMAIN, localedir=_locale_dir(), languages=[lang]))


def number(value: float | None, tr: Texts, digits: int = 1) -> str:
    """A figure as the reader writes it: 23,8 in Vietnamese, 23.8 in English; no trailing zeros."""
    if value is None:
        return "—"
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}".rstrip("0").rstrip(".") if digits else f"{rounded:f}"
    return text.replace(".", ",") if tr.lang == "vi" else text
