"""Shipping address validation for the ``address_invalid`` protection (docs/product.md)."""

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
#: ISO 3166-1 alpha-2: the 249 officially assigned codes.  Anything else (``ZZ``, ``XX``,
#: ``UK``) is no country a parcel can go to.
_ISO_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
"""
ISO_COUNTRIES = frozenset(_ISO_CODES.split())
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
    country = (address.country or "").strip().upper()
    postal = (address.postal_code or "").strip()
    if country and country not in ISO_COUNTRIES:
        problems.append("country_invalid")
    if country in NO_POSTAL_CODE:
        return problems
    if not postal:
        problems.append("postal_code_missing")
    elif country in POSTAL_CODE_FORMATS and not POSTAL_CODE_FORMATS[country].match(postal):
        problems.append("postal_code_malformed")
    return problems
