"""Phone formatting: the fast path for North American numbers agrees with phonenumbers."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from officeconsole.services.common.text import format_phone


def _reference(e164: str) -> str:
    number = phonenumbers.parse(e164, None)
    national = phonenumbers.region_code_for_number(number) == "US"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL if national
                                      else phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@pytest.mark.parametrize("e164", ["+12175550123", "+14165550123", "+17875550123", "+18005550199",
                                  "+12065550111", "+442079460958", "+5215512345678"])
def test_known_numbers_format_as_phonenumbers_does(e164):
    assert format_phone(e164) == _reference(e164)


def test_random_north_american_numbers_match_the_reference():
    rng = random.Random(3)
    checked = 0
    for _ in range(3000):
        e164 = f"+1{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(e164, None)):
            assert format_phone(e164) == _reference(e164), e164
            checked += 1
    assert checked > 1000


def test_day_words_are_the_clinic_days():
    import datetime as dt

    from officeconsole.services.common.text import parse_day_words

    friday = dt.date(2026, 12, 4)
    assert parse_day_words("today", friday) == friday
    assert parse_day_words(" Tomorrow ", friday) == dt.date(2026, 12, 5)
    assert parse_day_words("yesterday", friday) == dt.date(2026, 12, 3)
    assert parse_day_words("+3", friday) == dt.date(2026, 12, 7)
    assert parse_day_words("-30 days", friday) == dt.date(2026, 11, 4)
    assert parse_day_words("mon", friday) == dt.date(2026, 12, 7)
    assert parse_day_words("fri", friday) == dt.date(2026, 12, 11)  # the next Friday, not today
    assert parse_day_words("Thursday", friday) == dt.date(2026, 12, 10)
    assert parse_day_words("12/25/2026", friday) == dt.date(2026, 12, 25)
    assert parse_day_words(None, friday) is None
    for bad in ("mo", "someday", "+", "31/02/2026", "++2"):
        with pytest.raises(ValueError, match="is not a date"):
            parse_day_words(bad, friday)


def test_dates_no_clinic_record_can_have_are_refused():
    import datetime as dt

    from officeconsole.services.common.text import parse_date, parse_day_words

    for typo in ("9999-12-31", "0001-01-01", "12/31/2200", "1899-12-31"):
        with pytest.raises(ValueError, match="is out of range"):
            parse_date(typo)
        with pytest.raises(ValueError, match="is out of range"):
            parse_day_words(typo, dt.date(2026, 12, 5))
    assert parse_date("1900-01-01") == dt.date(1900, 1, 1) and parse_date("2199-12-31") == dt.date(2199, 12, 31)
