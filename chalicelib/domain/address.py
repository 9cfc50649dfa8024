"""Shipping address validation for the ``address_invalid`` protection (DESIGN §4)."""

from __future__ import annotations

import re

from chalicelib.domain.facts import Address

#: Postal code formats by ISO 3166-1 alpha-2 country.
POSTAL_CODE_FORMATS: dict[str, re.Pattern[str]] = {
    "CN": re.compile(r"^\d{6}$"),
    "US": re.compile(r"^\d{5}(-\d{4})?$"),
    "GB": re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$", re.IGNORECASE),
    "DE": re.compile(r"^\d{5}$"),
    "FR": re.compile(r"^\d{5}$"),
    "ES": re.compile(r"^(0[1-9]|[1-4]\d|5[0-2])\d{3}$"),
    "RU": re.compile(r"^\d{6}$"),
    "BR": re.compile(r"^\d{5}-?\d{3}$"),
}
#: Countries whose addresses have no postal code.
NO_POSTAL_CODE = frozenset({"HK", "MO", "AE", "QA"})
REQUIRED_FIELDS = ("recipient", "street", "city", "country")


def address_problems(address: Address | None) -> list[str]:
    """Names of what is wrong with ``address`` (empty when it is deliverable)."""
    if address is None:
        return ["address_missing"]
    problems = [
        f"{name}_missing" for name in REQUIRED_FIELDS if not (getattr(address, name) or "").strip()
    ]
    country = (address.country or "").upper()
    postal = (address.postal_code or "").strip()
    if country in NO_POSTAL_CODE:
        return problems
    if not postal:
        problems.append("postal_code_missing")
    elif country in POSTAL_CODE_FORMATS and not POSTAL_CODE_FORMATS[country].match(postal):
        problems.append("postal_code_malformed")
    return problems
