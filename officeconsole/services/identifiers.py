"""National identifiers a clinic records: provider NPIs and the employer tax ID (EIN).

The check digits come from python-stdnum; an NPI is a Luhn number with the 80840 prefix.
"""

from __future__ import annotations

from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.us import ein

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


def valid_dea(value: str) -> bool:
    """A DEA registration number: two letters and seven digits whose last is a check digit
    (sum of digits 1, 3, 5 plus twice the sum of 2, 4, 6; its last digit). python-stdnum has
    no DEA module, and the rule is public and short."""
    value = value.strip().upper()
    if len(value) != 9 or not value[:2].isalpha() or not value[2:].isdigit():
        return False
    d = [int(c) for c in value[2:]]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]
