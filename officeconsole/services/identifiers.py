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
