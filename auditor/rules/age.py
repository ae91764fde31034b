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
from dataclasses import dataclass

from auditor.domain import AgeSource, fold
from auditor.facts import Age, AgeEvidence
from auditor.i18n import N_, Texts


@dataclass(frozen=True)
class AgeCatalog:
    models: Mapping[str, int]  # folded model name (or its start) → release year
    windows_last_sold: Mapping[int, int]  # Windows build → last year sold on new computers


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
    starts = [key for key in catalog.models if folded.startswith(key + " ") or folded.startswith(key)]
    if not starts:
        return None
    key = max(starts, key=len)
    return key, catalog.models[key]


_WINDOWS_BUILD = re.compile(r"Windows.*?\(Build (\d+)", re.IGNORECASE)


# What each kind of evidence says, in English; `basis_text` says it in the reader's language.
BASIS: dict[AgeSource, str] = {
    AgeSource.REGISTER: N_("in service {0}"),
    AgeSource.ENTITY_MIB: N_("manufactured {0}"),
    AgeSource.MODEL_CATALOG: N_("model {0} released {1}"),
    AgeSource.OS_LOWER_BOUND: N_("Windows build {0}, last sold on new computers in {1}"),
}


def _age(years: float, source: AgeSource, *evidence: str, **flags: bool) -> Age:
    return Age(years, source, basis=BASIS[source].format(*evidence), evidence=evidence, **flags)


def basis_text(source: AgeSource | str | None, evidence: tuple[str, ...], tr: Texts) -> str:
    """The evidence of an age in the reader's language."""
    return tr(BASIS[AgeSource(source)]).format(*evidence) if source and evidence else ""


def device_age(
    today: dt.date,
    in_service_on: dt.date | None = None,
    in_service_precision: str | None = None,
    manufactured_on: dt.date | None = None,
    model: str | None = None,
    sys_descr: str | None = None,
    catalog: AgeCatalog | None = None,
) -> Age | None:
    """The device's age from the best evidence it has; None when it has none."""
    if in_service_on is not None:
        if in_service_precision == "year":
            return _age(float(today.year - in_service_on.year), AgeSource.REGISTER, str(in_service_on.year))
        return _age(years_between(in_service_on, today), AgeSource.REGISTER, in_service_on.isoformat())
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
    return device_age(today, e.in_service_on, e.in_service_precision, e.manufactured_on, e.model, e.sys_descr, catalog)


def over_age(age: Age | None, threshold_years: float) -> bool | None:
    """True: over the threshold; False: not; None: cannot tell (no age, or a bound below the threshold)."""
    if age is None:
        return None
    if age.years > threshold_years:
        return True
    return None if age.lower_bound else False
