"""How old a device is, from the best evidence available, and whether that makes it over age.

Pure: `today` and the catalog (auditor.catalogs loads the shipped one) are arguments.  Evidence, best first:
1. the register's in-service date (exact; a year alone counts whole years);
2. the manufacture date the device reported (ENTITY-MIB or its vendor's MIB; exact);
3. the release year of its model, from the catalog: an estimate, since a unit may have been
   bought years after its model came out, but never older than the model;
4. the last year its Windows version was sold on new computers: a lower bound ("≥ N years").
A device with none of these has no age: it is listed for verification, never taken as young.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from auditor.domain import AgeSource, fold
from auditor.facts import Age, AgeEvidence
from auditor.i18n import N_, Texts


@dataclass(frozen=True)
class AgeCatalog:
    models: Mapping[str, int]  # folded model name (or its start) → release year
    windows_last_sold: Mapping[int, int]  # Windows build → last year sold on new computers
    # each folded model's answer, found once (a longest-prefix search over the catalog otherwise):
    # a country holds 100,000 devices of a few hundred models
    found: dict[str, tuple[str, int] | None] = field(default_factory=dict, compare=False, repr=False)


def parse_age_catalog(text: str) -> AgeCatalog:
    data = tomllib.loads(text)
    return AgeCatalog(
        models={fold(name): int(year) for name, year in data.get("models", {}).items()},
        windows_last_sold={int(build): int(year) for build, year in data.get("windows_last_sold", {}).items()},
    )


def years_between(start: dt.date, today: dt.date) -> float:
    return round((today - start).days / 365.25, 1)


def model_release(model: str | None, catalog: AgeCatalog) -> tuple[str, int] | None:
    """(catalog key, release year) for a model: an exact match, else the longest key it starts with."""
    if not model:
        return None
    folded = fold(model)
    if folded in catalog.models:
        return folded, catalog.models[folded]
    if folded not in catalog.found:
        starts = [key for key in catalog.models if folded.startswith(key)]
        catalog.found[folded] = (key := max(starts, key=len), catalog.models[key]) if starts else None
    return catalog.found[folded]


_WINDOWS_BUILD = re.compile(r"Windows.*?\(Build (\d+)", re.IGNORECASE)


# What each kind of evidence says, in English; `basis_text` says it in the reader's language.
BASIS: dict[AgeSource, str] = {
    AgeSource.REGISTER: N_("in service {0}"),
    AgeSource.ENTITY_MIB: N_("manufactured {0}"),
    AgeSource.MODEL_CATALOG: N_("model {0} released {1}"),
    AgeSource.OS_LOWER_BOUND: N_("Windows build {0}, last sold on new computers in {1}"),
    AgeSource.FIRST_SEEN: N_("on the network since {0}"),
}
# Why a register's date is doubted, and what the age is counted from instead.
BEFORE_RELEASE = N_("the register says in service {0}, before model {1} was released in {2}")
AFTER_SEEN = N_("the register says in service {0}, but the device was on the network on {1}")


def _age(years: float, source: AgeSource, *evidence: str, lower_bound: bool = False, estimate: bool = False) -> Age:
    return Age(years, source, lower_bound, estimate, basis=BASIS[source].format(*evidence), evidence=evidence)


def _doubted(age: Age, why: str, *evidence: str) -> Age:
    return replace(age, doubt=why.format(*evidence), doubt_evidence=evidence)


def _registered_age(
    today: dt.date,
    in_service_on: dt.date,
    precision: str | None,
    model: str | None,
    first_seen: dt.date | None,
    catalog: AgeCatalog | None,
) -> Age:
    """The register's age, unless it cannot be right: a device is never younger than the day it
    was first seen, and never older than its model.  Then the age comes from that safer evidence,
    and says what to verify."""
    by_year = precision == "year"
    shown = str(in_service_on.year) if by_year else in_service_on.isoformat()
    release = model_release(model, catalog) if catalog is not None else None
    if release is not None and in_service_on.year < release[1]:
        age = _age(float(today.year - release[1]), AgeSource.MODEL_CATALOG, str(model), str(release[1]), estimate=True)
        return _doubted(age, BEFORE_RELEASE, shown, str(model), str(release[1]))
    if first_seen is not None and (first_seen.year < in_service_on.year if by_year else first_seen < in_service_on):
        age = _age(years_between(first_seen, today), AgeSource.FIRST_SEEN, first_seen.isoformat(), lower_bound=True)
        return _doubted(age, AFTER_SEEN, shown, first_seen.isoformat())
    if by_year:
        return _age(float(today.year - in_service_on.year), AgeSource.REGISTER, shown)
    return _age(years_between(in_service_on, today), AgeSource.REGISTER, shown)


def basis_text(source: AgeSource | str | None, evidence: tuple[str, ...], tr: Texts) -> str:
    """The evidence of an age in the reader's language."""
    return tr(BASIS[AgeSource(source)]).format(*evidence) if source and evidence else ""


def doubt_text(age: Age, tr: Texts) -> str:
    """Why the register's date of an age was not believed, in the reader's language."""
    if not age.doubt:
        return ""
    why = BEFORE_RELEASE if age.source is AgeSource.MODEL_CATALOG else AFTER_SEEN
    return tr(why).format(*age.doubt_evidence)


def device_age(
    today: dt.date,
    in_service_on: dt.date | None = None,
    in_service_precision: str | None = None,
    manufactured_on: dt.date | None = None,
    model: str | None = None,
    sys_descr: str | None = None,
    catalog: AgeCatalog | None = None,
    first_seen: dt.date | None = None,
) -> Age | None:
    """The device's age from the best evidence it has; None when it has none."""
    if in_service_on is not None:
        return _registered_age(today, in_service_on, in_service_precision, model, first_seen, catalog)
    if manufactured_on is not None:
        return _age(years_between(manufactured_on, today), AgeSource.ENTITY_MIB, manufactured_on.isoformat())
    if catalog is None:  # no catalog given: only dated evidence counts
        return None
    release = model_release(model, catalog)
    if release is not None:
        return _age(float(today.year - release[1]), AgeSource.MODEL_CATALOG, str(model), str(release[1]), estimate=True)
    match = _WINDOWS_BUILD.search(sys_descr or "")
    if match and int(match[1]) in catalog.windows_last_sold:
        year = catalog.windows_last_sold[int(match[1])]
        return _age(float(today.year - year), AgeSource.OS_LOWER_BOUND, match[1], str(year), lower_bound=True)
    return None


def evidence_age(evidence: AgeEvidence, today: dt.date, catalog: AgeCatalog | None) -> Age | None:
    """`device_age` of what the database holds of a device."""
    e = evidence
    return device_age(
        today, e.in_service_on, e.in_service_precision, e.manufactured_on, e.model, e.sys_descr, catalog, e.first_seen
    )


def over_age(age: Age | None, threshold_years: float) -> bool | None:
    """True: over the threshold; False: not; None: cannot tell (no age, or a bound below the threshold)."""
    if age is None:
        return None
    if age.years > threshold_years:
        return True
    return None if age.lower_bound else False
