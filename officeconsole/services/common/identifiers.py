"""National identifiers a clinic records: provider NPIs, the tax ID (EIN or SSN), taxonomy codes.

The check digits come from python-stdnum; an NPI is a Luhn number with the 80840 prefix.
"""

from __future__ import annotations

import re

from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.us import ein, ssn

# A Health Care Provider Taxonomy code (NUCC): ten characters, the last an X, e.g. 207Q00000X.
TAXONOMY = re.compile(r"^[0-9]{3}[0-9A-Z]{6}X$")

NPI_PREFIX = "80840"


def npi_with_check_digit(first_nine: str) -> str:
    """Complete nine digits into a valid NPI (for generated providers)."""
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise ValueError("an NPI starts with nine digits")
    return first_nine + luhn.calc_check_digit(NPI_PREFIX + first_nine)


def valid_npi(value: str) -> bool:
    return len(value) == 10 and value.isdigit() and luhn.is_valid(NPI_PREFIX + value)


def parse_ein(value: str) -> str:
    """A tax ID as NN-NNNNNNN, or ValueError."""
    try:
        return ein.format(ein.validate(value))
    except StdnumError:
        raise ValueError(f"{value!r} is not an employer identification number (NN-NNNNNNN)") from None


def parse_tax_id(value: str) -> tuple[str, str]:
    """A billing tax ID: an EIN (NN-NNNNNNN), or a solo practitioner's SSN (NNN-NN-NNNN, typed with
    its dashes so it is never taken for a mistyped EIN). Returns (X12 qualifier "EI" or "SY", formatted)."""
    text = (value or "").strip()
    if re.fullmatch(r"\d{3}-\d{2}-\d{4}", text):
        try:
            return "SY", ssn.format(ssn.validate(text))
        except StdnumError:
            raise ValueError(f"{value!r} is not a valid social security number") from None
    try:
        return "EI", parse_ein(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a tax ID: an EIN (NN-NNNNNNN) or an SSN (NNN-NN-NNNN)") from None


def valid_taxonomy(value: str) -> bool:
    return bool(TAXONOMY.match(value or ""))


def valid_dea(value: str) -> bool:
    """A DEA registration number: two letters and seven digits whose last is a check digit
    (sum of digits 1, 3, 5 plus twice the sum of 2, 4, 6; its last digit). python-stdnum has
    no DEA module, and the rule is public and short."""
    value = value.strip().upper()
    if len(value) != 9 or not value[:2].isalpha() or not value[2:].isdigit():
        return False
    d = [int(c) for c in value[2:]]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]
