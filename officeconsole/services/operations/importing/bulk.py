"""New patients and policies a batch at a time, under the rules of the forms that create them one by one.

Each row is checked by the service's own validation (`patients.validate`, `insurance.validate_policy`)
and the import's handler (dates, payer names, the patient it belongs to); the clinic's likely
duplicates are found with one indexed query per batch, the file's own with an index kept for the
run; the rows that pass are inserted with one multi-row INSERT, take consecutive MRNs from the
counter, and each gets its creation audit row (`audit.record_many`, the same hash chain). Any
row's refusal is returned in its place, with the reason the one-by-one path would give.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import insert, select, tuple_
from sqlalchemy.orm import Session

from officeconsole.models import InsurancePolicy, Patient, Payer
from officeconsole.models.enums import PatientStatus
from officeconsole.models.imports import ImportKind
from officeconsole.services.common.errors import NotFound, OfficeError, ValidationError
from officeconsole.services.common.permissions import check
from officeconsole.services.common.text import format_phone
from officeconsole.services.frontdesk.insurance import RANK_LABELS, InsuranceService, check_payer, validate_policy
from officeconsole.services.frontdesk.patient_search import format_mrn
from officeconsole.services.frontdesk.patients import PatientRow, PatientService, validate
from officeconsole.services.operations.importing.kinds import (
    Handler,
    PatientHandler,
    PolicyHandler,
    same_in_file,
    same_person,
    same_phone,
)
from officeconsole.services.practice.clinic import next_number
from officeconsole.services.security import audit

CHUNK = 500  # keys per IN (...) list: well inside both engines' limits on bound parameters

Outcome = int | OfficeError  # the new record's id, or why the row was not imported


@dataclass
class Pending:
    """A row that is new to the clinic, waiting for its batch's insert."""

    line: int
    raw: list[str]
    sid: str
    fingerprint: str
    values: dict[str, str]


@dataclass
class FileIndex:
    """The new patients of this run so far, by name and date of birth and by first name and phone:
    the file's own likely duplicates (a dry run writes nothing the database could find)."""

    people: dict[tuple[str, str, dt.date], int] = field(default_factory=dict)
    phones: dict[tuple[str, str], int] = field(default_factory=dict)


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _insert_ids(session: Session, model, rows: list[dict]) -> list[int]:
    """One multi-row INSERT; the new ids in the order of `rows`."""
    table = model.__table__  # Core, not the ORM's bulk path: the rows are plain values already
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def create_patients(handler: PatientHandler, items: list[Pending], index: FileIndex) -> list[Outcome]:
    ctx, session = handler.ctx, handler.session
    check(ctx.actor_or_fail().role, PatientService.register.permission)
    today, now = ctx.today(), ctx.now()
    outcomes: list[Outcome | None] = [None] * len(items)
    checked: list[tuple[int, dict]] = []
    for position, item in enumerate(items):
        try:
            checked.append((position, validate(handler.service_input(item.values), today)))
        except OfficeError as exc:
            outcomes[position] = exc
    names = _clinic_by_name(session, {(v["last_key"], v["first_key"], v["dob"]) for _, v in checked})
    phones = _clinic_by_phone(session, {(v["phone_key"], v["first_key"]) for _, v in checked if v["phone_key"]})
    people, numbers = dict(index.people), dict(index.phones)
    accepted: list[tuple[int, dict]] = []
    for position, values in checked:
        person = (values["last_key"], values["first_key"], values["dob"])
        phone = (values["phone_key"], values["first_key"])
        line = items[position].line
        if person in people:
            outcomes[position] = same_in_file(people[person], "name and date of birth")
        elif person in names:
            outcomes[position] = same_person(names[person])
        elif values["phone_key"] and values["first_key"] and phone in phones:
            outcomes[position] = same_phone(*phones[phone])
        elif values["phone_key"] and values["first_key"] and phone in numbers:
            outcomes[position] = same_in_file(numbers[phone], "first name and phone number")
        else:
            people[person] = line
            if values["phone_key"]:
                numbers.setdefault(phone, line)
            accepted.append((position, values))
    if accepted:
        first = next_number(session, "mrn", start=1001, count=len(accepted))
        rows = [{**values, "mrn": format_mrn(first + n), "status": PatientStatus.ACTIVE.value, "version": 1,
                 "created_at": now, "updated_at": now} for n, (_, values) in enumerate(accepted)]
        ids = _insert_ids(session, Patient, rows)
        audit.record_many(session, now, ctx.actor, [
            audit.Event("patient.create", "patient", pid, pid, f"registered {row['mrn']}")
            for pid, row in zip(ids, rows, strict=False)])
        for (position, _), pid in zip(accepted, ids, strict=False):
            outcomes[position] = pid
    index.people, index.phones = people, numbers
    return outcomes  # type: ignore[return-value]  # every position is filled


def _clinic_by_name(session: Session, keys: set[tuple]) -> dict[tuple, list[PatientRow]]:
    """The clinic's patients with a name and date of birth among `keys` (merged records left out)."""
    found: dict[tuple, list[PatientRow]] = {}
    for chunk in _chunks(sorted(keys)):
        for row in session.execute(
                select(Patient.last_key, Patient.first_key, Patient.dob, Patient.id, Patient.mrn, Patient.last_name,
                       Patient.first_name, Patient.sex, Patient.phone, Patient.city)
                .where(tuple_(Patient.last_key, Patient.first_key, Patient.dob).in_(chunk),
                       Patient.status != PatientStatus.MERGED).order_by(Patient.id)):
            found.setdefault(tuple(row[:3]), []).append(PatientRow(row.id, row.mrn, row.last_name, row.first_name, row.dob, row.sex, format_phone(row.phone), row.city))
    return found


def _clinic_by_phone(session: Session, keys: set[tuple]) -> dict[tuple, tuple[str, str, str]]:
    """The clinic's patients with a phone number and first name among `keys`: (MRN, last, first)."""
    found: dict[tuple, tuple[str, str, str]] = {}
    for chunk in _chunks(sorted(keys)):
        for row in session.execute(
                select(Patient.phone_key, Patient.first_key, Patient.mrn, Patient.last_name, Patient.first_name)
                .where(tuple_(Patient.phone_key, Patient.first_key).in_(chunk),
                       Patient.status != PatientStatus.MERGED).order_by(Patient.id)):
            found.setdefault((row[0], row[1]), (row.mrn, row.last_name, row.first_name))
    return found


def create_policies(handler: PolicyHandler, items: list[Pending], _index: FileIndex) -> list[Outcome]:
    ctx, session = handler.ctx, handler.session
    check(ctx.actor_or_fail().role, InsuranceService.add_policy.permission)
    now = ctx.now()
    outcomes: list[Outcome | None] = [None] * len(items)
    checked: list[tuple[int, dict]] = []
    for position, item in enumerate(items):
        try:
            patient = handler.patient(item.values)
            values = validate_policy(handler.service_input(item.values))
        except OfficeError as exc:
            outcomes[position] = exc
            continue
        checked.append((position, {**values, "patient_id": patient}))
    patients = {row[0] for row in _in(session, select(Patient.id), Patient.id, {v["patient_id"] for _, v in checked})}
    payers: dict[int, str | OfficeError] = {}
    for payer_id in {v["payer_id"] for _, v in checked}:
        try:
            check_payer(session, payer_id, None)  # the insurance form's rule
            payers[payer_id] = session.get(Payer, payer_id).name
        except OfficeError as exc:
            payers[payer_id] = exc
    held = set(_in(session, select(InsurancePolicy.patient_id, InsurancePolicy.payer_id, InsurancePolicy.member_id),
                   InsurancePolicy.patient_id, {v["patient_id"] for _, v in checked}))
    accepted: list[tuple[int, dict]] = []
    for position, values in checked:
        same = (values["patient_id"], values["payer_id"], values["member_id"])
        if values["patient_id"] not in patients:
            outcomes[position] = NotFound(f"No patient with id {values['patient_id']}.")
        elif isinstance(payers[values["payer_id"]], OfficeError):
            outcomes[position] = payers[values["payer_id"]]
        elif same in held:
            outcomes[position] = ValidationError({"member_id": "This patient already has that payer and member ID."})
        else:
            held.add(same)
            accepted.append((position, values))
    if accepted:
        rows = [{**values, "created_at": now, "version": 1} for _, values in accepted]
        ids = _insert_ids(session, InsurancePolicy, rows)
        audit.record_many(session, now, ctx.actor, [
            audit.Event("insurance.add", "insurance_policy", pid, row["patient_id"],
                        f"{RANK_LABELS[row['rank']]} {payers[row['payer_id']]} {row['member_id']}")
            for pid, row in zip(ids, rows, strict=False)])
        for (position, _), pid in zip(accepted, ids, strict=False):
            outcomes[position] = pid
    return outcomes  # type: ignore[return-value]


def _in(session: Session, query, column, keys: Iterable) -> Iterator[tuple]:
    """The rows of `query` whose `column` is among `keys`, asked CHUNK keys at a time."""
    for chunk in _chunks(sorted(keys)):
        yield from session.execute(query.where(column.in_(chunk)))



BULK: dict[ImportKind, Callable[[Handler, list[Pending], FileIndex], list[Outcome]]] = {
    ImportKind.PATIENTS: create_patients,  # type: ignore[dict-item]
    ImportKind.POLICIES: create_policies,  # type: ignore[dict-item]
}
