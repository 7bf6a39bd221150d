"""The clinic's own settings: its name and address, contacts, time zone, the identifiers every
claim carries (NPI, tax ID, taxonomy, place of service, clearinghouse) and its opening hours.

Identifiers may be left empty while a practice is being set up (the setup checklist lists what is
still missing), but one typed wrong is refused with a message for its field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import ClinicSettings
from officeconsole.services.billing.scrubber import PLACES_OF_SERVICE
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, NotFound, ValidationError
from officeconsole.services.common.identifiers import parse_tax_id, valid_npi, valid_taxonomy
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text, parse_email, parse_phone
from officeconsole.services.practice.clinic import valid_timezone
from officeconsole.services.security import audit
from officeconsole.services.staffing.credentials import US_STATES

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ZIP = re.compile(r"^(\d{5})(?:-?(\d{4}))?$")
INTERCHANGE_ID = re.compile(r"^[A-Z0-9]{2,15}$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")

# What the fields are called in messages and in the audit trail.
LABELS = {
    "name": "Name", "address_line1": "Street", "address_line2": "Street (2)", "city": "City", "state": "State",
    "postal_code": "ZIP", "phone": "Phone", "fax": "Fax", "email": "E-mail", "timezone": "Time zone",
    "npi": "NPI", "tax_id": "Tax ID", "taxonomy": "Taxonomy", "place_of_service": "Place of service",
    "clearinghouse_id": "Clearinghouse ID", "clearinghouse_name": "Clearinghouse name",
    "submitter_id": "Submitter ID", "x12_usage": "Claim files",
    "opening_hours": "Opening hours",
}
# ISA15: whether 837 files are test or production interchanges.
X12_USAGE = {"T": "test", "P": "production"}
FIELDS = tuple(LABELS)


@dataclass(frozen=True)
class ClinicView:
    name: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    phone: str  # E.164
    fax: str  # E.164
    email: str
    timezone: str
    npi: str
    tax_id: str
    taxonomy: str
    place_of_service: str
    clearinghouse_id: str
    clearinghouse_name: str
    opening_hours: dict[str, list[str] | None] = field(hash=False)  # every weekday: [open, close] or None
    version: int
    submitter_id: str = ""  # the clearinghouse's ID for the clinic as a submitter (empty: the NPI is sent)
    x12_usage: str = "P"  # T test or P production claim files (ISA15)

    @property
    def address(self) -> str:
        """One line: street, city, state and ZIP (what is set of them)."""
        place = " ".join(part for part in (self.state, self.postal_code) if part)
        return ", ".join(part for part in (self.address_line1, self.address_line2, self.city, place) if part)


@dataclass
class ClinicInput:
    """Everything the clinic form edits; `opening_hours` None leaves the hours as they are."""

    name: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    phone: str = ""
    fax: str = ""
    email: str = ""
    timezone: str = ""
    npi: str = ""
    tax_id: str = ""
    taxonomy: str = ""
    place_of_service: str = "11"
    clearinghouse_id: str = ""
    clearinghouse_name: str = ""
    submitter_id: str = ""
    x12_usage: str = "P"  # "T"/"test" or "P"/"production"
    # {"mon": ["08:00", "17:00"] or "08:00-17:00", "sat": None or "closed"}; a day left out is closed
    opening_hours: dict[str, list[str] | tuple[str, str] | str | None] | None = None


def input_from(view: ClinicView) -> ClinicInput:
    """The current settings as an input, to change a few fields and save (the CLI's `clinic set`)."""
    return ClinicInput(**{name: getattr(view, name) for name in FIELDS if name != "opening_hours"},
                       opening_hours=dict(view.opening_hours))


def full_hours(hours: Mapping[str, Any] | None) -> dict[str, list[str] | None]:
    """Every weekday, in order: [open, close] or None when closed."""
    hours = hours or {}
    return {day: (list(hours[day]) if hours.get(day) else None) for day in WEEKDAYS}


def format_hours(hours: dict[str, list[str] | None]) -> str:
    """"mon 08:00-17:00, ..., sat closed" (one line, for lists and the audit trail)."""
    return ", ".join(f"{day} {value[0]}-{value[1]}" if value else f"{day} closed"
                     for day, value in full_hours(hours).items())


def parse_span(text: str, day: str) -> list[str] | None:
    """"08:00-17:00" -> ["08:00", "17:00"]; "", "closed" or "off" -> None (closed that day).
    The times themselves are checked when the settings are saved."""
    value = clean_text(text).lower().replace(" ", "")
    if value in ("", "closed", "off", "-"):
        return None
    parts = value.split("-")
    if len(parts) != 2 or not all(parts):
        raise ValidationError({f"hours_{day}": f"{day.title()}: the opening and closing time, such as "
                                               f"08:00-17:00, or closed."})
    return parts


def _view(row: ClinicSettings) -> ClinicView:
    return ClinicView(
        row.name, row.address_line1, row.address_line2, row.city, row.state, row.postal_code, row.phone, row.fax,
        row.email, row.timezone, row.npi, row.tax_id, row.taxonomy, row.place_of_service, row.clearinghouse_id,
        row.clearinghouse_name, full_hours(row.opening_hours), row.version, row.submitter_id, row.x12_usage)


def _minutes(text: str) -> int | None:
    match = _TIME.match(text.strip())
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def validate_hours(hours: Mapping[str, Any]) -> tuple[dict[str, list[str] | None], dict[str, str]]:
    """Opening hours as stored, and a message per bad day (field "hours_<day>")."""
    errors: dict[str, str] = {}
    unknown = [str(day) for day in hours if day not in WEEKDAYS]
    if unknown:
        errors["opening_hours"] = (f"Opening hours: {', '.join(unknown)} is not a weekday "
                                   f"(use {', '.join(WEEKDAYS)}).")
    result: dict[str, list[str] | None] = {}
    for day in WEEKDAYS:
        value = hours.get(day)
        if isinstance(value, str):  # as typed: "08:00-17:00", "closed" or ""
            try:
                value = parse_span(value, day)
            except ValidationError as exc:
                errors.update(exc.errors)
                continue
        if not value:
            result[day] = None
            continue
        if isinstance(value, str) or len(value) != 2:
            errors[f"hours_{day}"] = f"{day.title()}: give the opening and closing time, such as 08:00-17:00."
            continue
        start, end = (clean_text(str(part)) for part in value)
        start_minutes, end_minutes = _minutes(start), _minutes(end)
        if start_minutes is None or end_minutes is None:
            errors[f"hours_{day}"] = f"{day.title()}: times are HH:MM on the 24-hour clock, such as 08:00-17:00."
        elif start_minutes % 5 or end_minutes % 5:
            errors[f"hours_{day}"] = f"{day.title()}: times are on the 5-minute grid (08:00, 08:05...)."
        elif end_minutes <= start_minutes:
            errors[f"hours_{day}"] = f"{day.title()}: closing time {end} is not after opening time {start}."
        else:
            result[day] = [f"{start_minutes // 60:02d}:{start_minutes % 60:02d}",
                           f"{end_minutes // 60:02d}:{end_minutes % 60:02d}"]
    return result, errors


def validate(data: ClinicInput) -> dict[str, object]:
    """The values to store, or ValidationError with one message per bad field."""
    errors: dict[str, str] = {}
    values: dict[str, object] = {
        "name": clean_text(data.name, 200),
        "address_line1": clean_text(data.address_line1, 255),
        "address_line2": clean_text(data.address_line2, 255),
        "city": clean_text(data.city, 100),
        "state": clean_text(data.state).upper(),
        "timezone": clean_text(data.timezone),
        "npi": clean_text(data.npi).replace(" ", ""),
        "taxonomy": clean_text(data.taxonomy).upper().replace(" ", ""),
        "place_of_service": clean_text(data.place_of_service),
        "clearinghouse_id": clean_text(data.clearinghouse_id).upper().replace(" ", ""),
        "clearinghouse_name": clean_text(data.clearinghouse_name, 60),
        "submitter_id": clean_text(data.submitter_id).upper().replace(" ", ""),
        "x12_usage": clean_text(data.x12_usage).upper()[:1],
    }
    if not values["name"]:
        errors["name"] = "The clinic's name is required."
    if values["state"] and values["state"] not in US_STATES:
        errors["state"] = f"State: {values['state']!r} is not a US state or territory code (such as IL)."
    postal = clean_text(data.postal_code).replace(" ", "")
    values["postal_code"] = ""
    if postal:
        match = ZIP.match(postal)
        if match is None:
            errors["postal_code"] = "ZIP: 5 digits, or 9 as ZIP+4 (62704 or 62704-1234; claims need all nine)."
        else:
            values["postal_code"] = match.group(1) + (f"-{match.group(2)}" if match.group(2) else "")
    for name, label in (("phone", "Phone"), ("fax", "Fax")):
        try:
            values[name] = parse_phone(getattr(data, name))
        except ValueError as exc:
            errors[name] = f"{label}: {exc}."
    try:
        values["email"] = parse_email(data.email)
    except ValueError as exc:
        errors["email"] = f"E-mail: {exc}."
    if not values["timezone"]:
        errors["timezone"] = "Time zone is required (for example America/Chicago)."
    elif not valid_timezone(str(values["timezone"])):
        errors["timezone"] = f"{values['timezone']!r} is not a time zone (for example America/Chicago)."
    npi = str(values["npi"])
    if npi and not valid_npi(npi):
        errors["npi"] = (f"NPI {npi} is not a valid NPI: 10 digits, the last a check digit "
                         "(the clinic's type 2 NPI, or a solo practitioner's own).")
    tax_id = clean_text(data.tax_id)
    values["tax_id"] = ""
    if tax_id:
        try:
            values["tax_id"] = parse_tax_id(tax_id)[1]
        except ValueError:
            errors["tax_id"] = (f"Tax ID {tax_id!r} fails its check: an EIN (NN-NNNNNNN) or a solo "
                                "practitioner's SSN typed with its dashes (NNN-NN-NNNN).")
    taxonomy = str(values["taxonomy"])
    if taxonomy and not valid_taxonomy(taxonomy):
        errors["taxonomy"] = (f"Taxonomy {taxonomy!r} is not a taxonomy code: 10 characters, 3 digits, "
                              "6 letters or digits and a final X (such as 207Q00000X or 261QP2300X).")
    if values["place_of_service"] not in PLACES_OF_SERVICE:
        errors["place_of_service"] = (f"Place of service {values['place_of_service'] or '(none)'!s} is not one "
                                      "this clinic can bill: 11 for the office, 02 or 10 for telehealth...")
    chid = str(values["clearinghouse_id"])
    if chid and not INTERCHANGE_ID.match(chid):
        errors["clearinghouse_id"] = "Clearinghouse ID: 2-15 letters or digits, as the clearinghouse gave it."
    if values["submitter_id"] and not INTERCHANGE_ID.match(str(values["submitter_id"])):
        errors["submitter_id"] = "Submitter ID: 2-15 letters or digits, as the clearinghouse gave it."
    if values["x12_usage"] not in X12_USAGE:
        errors["x12_usage"] = "Claim files: test (T) while trying the clearinghouse out, or production (P)."
    if data.opening_hours is not None:
        values["opening_hours"], hour_errors = validate_hours(dict(data.opening_hours))
        errors.update(hour_errors)
    if errors:
        raise ValidationError(errors)
    return values


def _shown(name: str, value: object) -> str:
    """A value as the audit trail records it: a solo practitioner's SSN only by its last four."""
    if name == "tax_id" and isinstance(value, str) and len(value) == 11:
        return f"SSN ***-**-{value[-4:]}"
    if name == "opening_hours":
        return format_hours(value)  # type: ignore[arg-type]
    if name == "x12_usage":
        return X12_USAGE.get(str(value), str(value))
    return str(value) if value != "" else "(none)"


class ClinicSettingsService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("clinic.manage")
    def settings(self) -> ClinicView:
        with self.ctx.db.read() as session:
            return _view(self._row(session))

    @requires("clinic.manage")
    def update(self, expected_version: int, data: ClinicInput) -> ClinicView:
        """Save the clinic's settings as typed (opening hours unchanged when None)."""
        values = validate(data)
        now = self.ctx.now()
        try:
            with self.ctx.db.write() as session:
                row = self._row(session)
                if row.version != expected_version:
                    raise ConcurrentEdit("clinic's settings")
                before = {name: getattr(row, name) for name in values}
                if "opening_hours" in before:
                    before["opening_hours"] = full_hours(row.opening_hours)
                changed = {name: value for name, value in values.items() if before[name] != value}
                for name, value in changed.items():
                    setattr(row, name, value)
                if changed:
                    session.flush()
                    audit.record(session, now, self.ctx.actor, "clinic.update", entity="clinic", entity_id=1,
                                 summary="; ".join(f"{LABELS[name]}: {_shown(name, before[name])} -> "
                                                   f"{_shown(name, value)}" for name, value in changed.items()))
                view = _view(row)
        except StaleDataError:
            raise ConcurrentEdit("clinic's settings") from None
        if "timezone" in changed:
            self.ctx.zone.set(str(changed["timezone"]))  # every context of this console sees it at once
        return view

    @staticmethod
    def _row(session: Session) -> ClinicSettings:
        row = session.get(ClinicSettings, 1)
        if row is None:
            raise NotFound("The clinic is not set up yet: run the first-start wizard or `officeconsole setup init`.")
        return row
