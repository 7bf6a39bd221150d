"""Cleaning and parsing of what people type: names, phones, e-mails, dates.

Control characters and escape sequences are stripped at input, so nothing typed can
move a terminal's cursor later; Rich markup is kept as literal text (screens render
user text with markup off).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from anyascii import anyascii

DEFAULT_REGION = "US"
_ESCAPE_SEQUENCE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|.)?")
FIRST_YEAR, LAST_YEAR = 1900, 2199  # no patient, policy or visit falls outside; 9999-12-31 is a typo
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y", "%Y%m%d")


def clean_text(value: str | None, max_length: int | None = None) -> str:
    """Trimmed text with escape sequences and other control characters removed."""
    if value is None:
        return ""
    value = _ESCAPE_SEQUENCE.sub("", str(value))
    value = "".join(
        " " if ch in "\t\n\r" else ch
        for ch in value
        if ch in "\t\n\r" or unicodedata.category(ch)[0] != "C"
    )
    value = " ".join(value.split())
    if max_length is not None:
        value = value[:max_length]
    return value


def search_key(value: str) -> str:
    """Lower-case ASCII letters and digits only: "O'Brien-Núñez" -> "obriennunez"; a name with no
    Latin letters is transliterated (anyascii): "Иван" -> "ivan"."""
    decomposed = unicodedata.normalize("NFKD", value)
    key = "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalnum())
    if not key and value:
        key = "".join(ch for ch in anyascii(value).lower() if ch.isascii() and ch.isalnum())
    return key


class DateOutOfRange(ValueError):
    """A real calendar date no clinic record can have (year 0001, 9999-12-31)."""


def parse_date(value: str | dt.date | None, *, bounded: bool = True) -> dt.date | None:
    """A date from ISO (2024-03-01) or US (03/01/2024) text; None when empty. `bounded`: refuse a
    year outside FIRST_YEAR..LAST_YEAR (a caller with its own, clearer limits turns it off)."""
    if value is None or isinstance(value, dt.date):
        return value
    text = value.strip()
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            parsed = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if fmt == "%m/%d/%y" and parsed.year > dt.date.today().year:
            parsed = parsed.replace(year=parsed.year - 100)
        if bounded and not FIRST_YEAR <= parsed.year <= LAST_YEAR:
            raise DateOutOfRange(f"{text!r} is out of range (years {FIRST_YEAR} to {LAST_YEAR})")
        return parsed
    raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD or MM/DD/YYYY)")


_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_STEP = re.compile(r"^([+-])\s*(\d{1,4})\s*(d|day|days)?$")


def parse_day_words(value: str | dt.date | None, today: dt.date) -> dt.date | None:
    """A date as a person types it on a command line: `today`, `tomorrow`, `yesterday`, `+N` / `-N`
    days, a weekday name or its first three letters (`mon`: the next Monday after today), or any
    date `parse_date` reads. `today` is the clinic's today, so the words mean the clinic's days."""
    if value is None or isinstance(value, dt.date):
        return value
    text = value.strip().lower()
    words = {"today": 0, "tomorrow": 1, "yesterday": -1}
    if text in words:
        return today + dt.timedelta(days=words[text])
    step = _DAY_STEP.match(text)
    if step:
        days = int(step.group(2))
        return today + dt.timedelta(days=days if step.group(1) == "+" else -days)
    if len(text) >= 3:
        for weekday, name in enumerate(_WEEKDAY_NAMES):
            if name.startswith(text):
                return today + dt.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    try:
        return parse_date(value)
    except DateOutOfRange:
        raise
    except ValueError:
        raise ValueError(f"{value.strip()!r} is not a date (use YYYY-MM-DD, MM/DD/YYYY, today, tomorrow, "
                         "yesterday, +N or -N days, or a weekday such as mon)") from None


def too_long(label: str, value: str | None, limit: int) -> str | None:
    """The message for a field typed longer than its column holds (nothing is cut without a word)."""
    length = len(clean_text(value))
    if length <= limit:
        return None
    return f"{label}: {length:,} characters; the most it may hold is {limit}."


def looks_like_date(text: str) -> bool:
    try:
        return parse_date(text) is not None
    except ValueError:
        return False


def parse_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """E.164 form of a valid phone number, or ValueError; empty stays empty."""
    import phonenumbers  # imported on first use: about 0.2 s, and not needed to draw the login

    text = clean_text(value)
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"{text!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{text!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_digits(e164: str) -> str:
    """The national digits of a stored number: what a person types to search by phone."""
    import phonenumbers  # imported on first use: about 0.2 s, and not needed to draw the login

    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    return str(number.national_number)


def format_phone(e164: str, region: str = DEFAULT_REGION) -> str:
    """National format for numbers in the clinic's region, international for the rest.

    A search page formats fifty numbers per keystroke and phonenumbers takes about 17 µs
    each, so North American numbers whose area code is known to be in the region are laid
    out directly; the region of each area code is asked of phonenumbers once.
    """
    import phonenumbers  # imported on first use: about 0.2 s, and not needed to draw the login

    if not e164:
        return ""
    if region == "US" and len(e164) == 12 and e164.startswith("+1") and e164[2:].isdigit():
        area = e164[2:5]
        if area not in _AREA_REGION:
            _AREA_REGION[area] = phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
        if _AREA_REGION[area] == region:
            return f"({area}) {e164[5:8]}-{e164[8:]}"
    number = phonenumbers.parse(e164, None)
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if phonenumbers.region_code_for_number(number) == region
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)


_AREA_REGION: dict[str, str | None] = {}


def parse_email(value: str) -> str:
    """A syntactically valid e-mail address (no DNS look-up), normalised; empty stays empty."""
    from email_validator import EmailNotValidError, validate_email  # on first use: about 0.3 s

    text = clean_text(value)
    if not text:
        return ""
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"{text!r} is not a valid e-mail address ({exc})") from None


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 claim`, `2 claims`; `many` for a noun that does not take an s (`1 patient's`...)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"
