"""The setup checklist: what a practice still needs before it can book, and before it can bill.

Each line says whether it is done, what is missing, and the key on the Practice setup screen
that opens the form that fixes it. `officeconsole setup check` prints the same lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from officeconsole.models import AppointmentType, ClinicSettings, FeeScheduleItem, Payer, Provider, User
from officeconsole.models.hours import WorkingHours
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.identifiers import parse_tax_id, valid_npi, valid_taxonomy
from officeconsole.services.common.permissions import requires

_ZIP9 = re.compile(r"^\d{5}-\d{4}$")

# The keys of the Practice setup screen, and what each opens.
SUBJECTS = {"c": "Clinic", "p": "Providers", "t": "Appointment types", "h": "Hours", "y": "Payers", "f": "Fees"}


@dataclass(frozen=True)
class CheckItem:
    label: str
    done: bool
    key: str  # the Practice setup key that opens the fix: c, p, t, h, y, f
    detail: str  # what is there, or what is missing and how to fix it

    @property
    def fix(self) -> str:
        """"press p (Providers)", for a line that is not done."""
        return f"press {self.key} ({SUBJECTS[self.key]})"


@dataclass(frozen=True)
class SetupStatus:
    before_booking: tuple[CheckItem, ...]
    before_billing: tuple[CheckItem, ...]

    @property
    def ready_to_book(self) -> bool:
        return all(item.done for item in self.before_booking)

    @property
    def ready_to_bill(self) -> bool:
        return all(item.done for item in self.before_billing)

    @property
    def missing(self) -> list[CheckItem]:
        return [item for item in (*self.before_booking, *self.before_billing) if not item.done]


def _names(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _booking(session: Session) -> tuple[CheckItem, ...]:
    providers = session.execute(
        select(Provider.id, User.full_name, Provider.npi).join(User, User.id == Provider.user_id)
        .where(Provider.active.is_(True), User.active.is_(True)).order_by(User.full_name)).all()
    types = list(session.scalars(select(AppointmentType.name).where(AppointmentType.active.is_(True))
                                 .order_by(AppointmentType.name)))
    ids = [row.id for row in providers]
    with_hours = list(session.scalars(
        select(User.full_name).join(Provider, Provider.user_id == User.id)
        .where(Provider.id.in_(ids), exists().where(WorkingHours.provider_id == Provider.id,
                                                    WorkingHours.kind == "work"))
        .order_by(User.full_name))) if ids else []
    return (
        CheckItem("A provider", bool(providers), "p",
                  f"{len(providers)} active: {_names([row.full_name for row in providers])}" if providers
                  else "None yet: make a staff member a provider (NPI, taxonomy, visit length)."),
        CheckItem("An appointment type", bool(types), "t",
                  f"{len(types)} active: {_names(types)}" if types
                  else "None yet: add the kinds of visit (name, minutes), such as Follow-up."),
        CheckItem("Working hours", bool(with_hours), "h",
                  f"Set for {_names(with_hours)}" if with_hours
                  else "No provider has a weekly template yet: nothing can be booked."),
    )


def _billing(session: Session) -> tuple[CheckItem, ...]:
    c = session.get(ClinicSettings, 1)
    items = []
    missing = []
    if c is None or not c.address_line1:
        missing.append("street")
    if c is None or not c.city:
        missing.append("city")
    if c is None or not c.state:
        missing.append("state")
    if c is None or not _ZIP9.match(c.postal_code or ""):
        missing.append("ZIP+4" + (f" ({c.postal_code} has 5 digits)" if c is not None and c.postal_code else ""))
    if c is None or not c.phone:
        missing.append("phone")
    items.append(CheckItem("Clinic address and phone", not missing, "c",
                           "Missing: " + ", ".join(missing) + "." if missing or c is None
                           else f"{c.address_line1}, {c.city}, {c.state} {c.postal_code}"))
    npi = c.npi if c is not None else ""
    items.append(CheckItem("Clinic NPI", valid_npi(npi), "c",
                           npi if valid_npi(npi) else
                           (f"NPI {npi} fails its check digit." if npi else "Not set: the clinic's type 2 NPI "
                                                                            "(or a solo practitioner's own).")))
    tax_id = c.tax_id if c is not None else ""
    try:
        kind = parse_tax_id(tax_id)[0]
    except ValueError:
        kind = ""
    items.append(CheckItem("Tax ID", bool(kind), "c",
                           ("EIN " + tax_id if kind == "EI" else "SSN ending " + tax_id[-4:]) if kind else
                           (f"Tax ID {tax_id} is not an EIN or SSN." if tax_id else "Not set: the EIN (or a "
                                                                                    "solo practitioner's SSN).")))
    taxonomy = c.taxonomy if c is not None else ""
    items.append(CheckItem("Taxonomy code", valid_taxonomy(taxonomy), "c",
                           taxonomy if valid_taxonomy(taxonomy) else "Not set: the billing provider's code, "
                                                                     "such as 261QP2300X."))
    clearinghouse = c.clearinghouse_id if c is not None else ""
    items.append(CheckItem("Clearinghouse", bool(clearinghouse), "c",
                           " ".join(part for part in (clearinghouse, f"({c.clearinghouse_name})"
                                                      if c is not None and c.clearinghouse_name else "") if part)
                           if clearinghouse else "Not set: the interchange ID claims are sent to."))
    payers = list(session.scalars(select(Payer.name).where(Payer.active.is_(True), Payer.payer_code != "")
                                  .order_by(func.lower(Payer.name))))
    items.append(CheckItem("A payer", bool(payers), "y",
                           f"{len(payers)} with a payer ID: {_names(payers)}" if payers
                           else "None yet with an electronic payer ID."))
    fees = session.scalar(select(func.count()).select_from(FeeScheduleItem).where(FeeScheduleItem.active.is_(True)))
    items.append(CheckItem("A fee schedule", bool(fees), "f",
                           f"{fees} codes" if fees else "None yet: add the codes you bill (or import a CSV)."))
    providers = session.execute(
        select(User.full_name, Provider.npi).join(User, User.id == Provider.user_id)
        .where(Provider.active.is_(True), User.active.is_(True)).order_by(User.full_name)).all()
    bad = [row.full_name for row in providers if not valid_npi(row.npi or "")]
    items.append(CheckItem("Provider NPIs", bool(providers) and not bad, "p",
                           f"Not a valid NPI: {_names(bad)}." if bad else
                           ("Every provider's NPI is valid." if providers else "No active provider yet.")))
    return tuple(items)


def setup_status(session: Session) -> SetupStatus:
    """The checklist, inside the caller's session (no permission: the app asks at login)."""
    return SetupStatus(_booking(session), _billing(session))


class SetupCheckService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("clinic.manage")
    def check(self) -> SetupStatus:
        with self.ctx.db.read() as session:
            return setup_status(session)
