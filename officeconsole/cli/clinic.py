"""`officeconsole clinic show|set`: the clinic's name, address, contacts, time zone, billing
identifiers and opening hours (managers). `set` changes only the options given."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from officeconsole.cli._common import AsOption, DbOption, Format, FormatOption, emit, open_db, say, signed_in
from officeconsole.services.billing.scrubber import PLACES_OF_SERVICE
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.text import format_phone
from officeconsole.services.practice.clinic_settings import (
    WEEKDAYS,
    X12_USAGE,
    ClinicSettingsService,
    ClinicView,
    format_hours,
    input_from,
    parse_span,
)
from officeconsole.services.scheduling.hours import parse_weekdays

clinic_app = typer.Typer(help="The clinic's own settings (managers).", no_args_is_help=True)


def _opt(flag: str, text: str):
    return typer.Option(flag, help=text)


@clinic_app.command("show")
def show(ctx: typer.Context, as_user: AsOption, db: DbOption = None, fmt: FormatOption = Format.table) -> None:
    """The clinic's settings, one per line."""
    view = ClinicSettingsService(signed_in(open_db(ctx, db), as_user)).settings()
    emit(["Setting", "Value"], _rows(view), fmt)


def _rows(v: ClinicView) -> list[tuple[str, str]]:
    place = f"{v.place_of_service} {PLACES_OF_SERVICE.get(v.place_of_service, '')}".strip()
    return [("Name", v.name), ("Street", v.address_line1), ("Street (2)", v.address_line2), ("City", v.city),
            ("State", v.state), ("ZIP", v.postal_code), ("Phone", format_phone(v.phone)), ("Fax", format_phone(v.fax)),
            ("E-mail", v.email), ("Time zone", v.timezone), ("NPI", v.npi), ("Tax ID", v.tax_id),
            ("Taxonomy", v.taxonomy), ("Place of service", place), ("Clearinghouse ID", v.clearinghouse_id),
            ("Clearinghouse name", v.clearinghouse_name), ("Submitter ID", v.submitter_id or f"(the NPI {v.npi})"),
            ("Claim files", X12_USAGE.get(v.x12_usage, v.x12_usage)), ("Opening hours", format_hours(v.opening_hours))]


def parse_hours_options(specs: list[str], current: dict[str, list[str] | None]) -> dict[str, list[str] | None]:
    """"mon=08:00-17:00", "mon-fri=08:00-17:00", "sat=closed" -> the week with those days replaced."""
    hours = dict(current)
    for spec in specs:
        days, sep, span = spec.partition("=")
        if not sep:
            raise ValidationError({"opening_hours": f"--hours {spec!r}: give DAYS=HH:MM-HH:MM, such as "
                                                    "mon-fri=08:00-17:00 or sat=closed."})
        for number in parse_weekdays(days, "opening_hours"):
            hours[WEEKDAYS[number]] = parse_span(span, WEEKDAYS[number])
    return hours


@clinic_app.command("set")
def set_clinic(
    ctx: typer.Context,
    as_user: AsOption,
    name: Annotated[str | None, _opt("--name", "The clinic's legal name.")] = None,
    address: Annotated[str | None, _opt("--address", "Street address (line 1).")] = None,
    address2: Annotated[str | None, _opt("--address2", "Street address, line 2 (suite...).")] = None,
    city: Annotated[str | None, _opt("--city", "City.")] = None,
    state: Annotated[str | None, _opt("--state", "Two-letter state code, e.g. IL.")] = None,
    postal_code: Annotated[str | None, _opt("--zip", "ZIP: 5 digits, or ZIP+4 (claims need all nine).")] = None,
    phone: Annotated[str | None, _opt("--phone", "Phone number.")] = None,
    fax: Annotated[str | None, _opt("--fax", "Fax number.")] = None,
    email: Annotated[str | None, _opt("--email", "E-mail address.")] = None,
    timezone: Annotated[str | None, _opt("--timezone", "Time zone, e.g. America/Chicago.")] = None,
    npi: Annotated[str | None, _opt("--npi", "The clinic's NPI (type 2, or a solo practitioner's own).")] = None,
    tax_id: Annotated[str | None, _opt("--tax-id", "EIN NN-NNNNNNN (or a solo practitioner's SSN NNN-NN-NNNN).")] = None,
    taxonomy: Annotated[str | None, _opt("--taxonomy", "Billing taxonomy code, e.g. 261QP2300X.")] = None,
    pos: Annotated[str | None, _opt("--pos", "Default place of service: 11 office, 02/10 telehealth...")] = None,
    clearinghouse_id: Annotated[str | None, _opt("--clearinghouse-id", "The clearinghouse's interchange ID.")] = None,
    clearinghouse_name: Annotated[str | None, _opt("--clearinghouse-name", "The clearinghouse's name.")] = None,
    submitter_id: Annotated[str | None, _opt(
        "--submitter-id", "The submitter ID the clearinghouse gave the clinic (empty: the NPI is sent).")] = None,
    claim_files: Annotated[str | None, _opt(
        "--claim-files", "test or production: 837 files are test (ISA15 T) or production (P) interchanges.")] = None,
    hours: Annotated[list[str] | None, _opt(
        "--hours", 'Opening hours, e.g. "mon-fri=08:00-17:00" or "sat=closed" (repeatable).')] = None,
    db: DbOption = None,
) -> None:
    """Change the clinic's settings: only the options given change (an empty value clears one)."""
    service = ClinicSettingsService(signed_in(open_db(ctx, db), as_user))
    current = service.settings()
    given = {"name": name, "address_line1": address, "address_line2": address2, "city": city, "state": state,
             "postal_code": postal_code, "phone": phone, "fax": fax, "email": email, "timezone": timezone,
             "npi": npi, "tax_id": tax_id, "taxonomy": taxonomy, "place_of_service": pos,
             "clearinghouse_id": clearinghouse_id, "clearinghouse_name": clearinghouse_name,
             "submitter_id": submitter_id, "x12_usage": claim_files}
    data = dataclasses.replace(input_from(current), **{key: value for key, value in given.items() if value is not None})
    data.opening_hours = parse_hours_options(hours, current.opening_hours) if hours else None
    saved = service.update(current.version, data)
    changed = [before[0] for before, after in zip(_rows(current), _rows(saved), strict=True) if before != after]
    say(f"Saved the clinic's settings: {', '.join(changed)}." if changed else "Nothing changed.")
