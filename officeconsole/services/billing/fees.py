"""The clinic's fee schedule: procedure codes with the clinic's own descriptions and fees.

`import_csv` reads `code,description,fee` rows and applies them all or none: one bad row
(an unknown code shape, a fee that is not an amount, a code twice) and nothing changes,
with every bad row listed. Rerunning the same file changes nothing (safe after a crash).
A code is also added, changed, retired and reinstated one at a time (Practice setup -> Fees,
`officeconsole fees add|set|retire|reinstate`). Codes are retired, never deleted: charge lines
keep theirs, and a retired code is not offered for new charges.

The fee_schedule_item table has no version column. An edit from the console passes the row it
opened (`expected`) and is refused if the stored description, fee or state differ from it
(compare-and-set on the values); the CLI edits without it, last write wins, and every change is
audited with its before and after.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from officeconsole.models import FeeScheduleItem
from officeconsole.services.billing.codes import procedure_kind
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, NotFound, OfficeError, ValidationError
from officeconsole.services.common.money import FEE_MAX, read_amount
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text
from officeconsole.services.formats.csv_text import read_csv_text
from officeconsole.services.security import audit


@dataclass(frozen=True)
class FeeRow:
    code: str
    kind: str
    description: str
    fee: Decimal
    active: bool = True


def fee_row(item: FeeScheduleItem) -> FeeRow:
    return FeeRow(item.code, item.kind, item.description, item.fee, item.active)


def parse_fee(value: str | Decimal | int | None) -> Decimal:
    """A fee as typed, exactly: "125", "125.5", "$1,250.00" -> Decimal with cents (the shared amount
    reader, `services/common/money.py`). Zero is a code billed at no charge; refuses negatives, fractions of
    a cent, a comma as the decimal mark ("12,50" could be 12.50 or 1,250) and more than FEE_MAX."""
    return read_amount(value, "fee", maximum=FEE_MAX, zero=True)


def parse_code(code: str) -> tuple[str, str]:
    """(CODE, kind) for a CPT or HCPCS code as typed; ValidationError otherwise."""
    value = clean_text(code).upper()
    if not value:
        raise ValidationError({"code": "Code is required (CPT such as 99213, or HCPCS such as J1100)."})
    return value, procedure_kind(value)


def parse_description(text: str | None) -> str:
    value = clean_text(text, 200)
    if not value:
        raise ValidationError({"description": "Description is required (the clinic's own words)."})
    return value


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int


class FeeImportError(OfficeError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        super().__init__(f"Nothing was imported: {shown}")


def parse_fee_csv(text: str) -> list[FeeRow]:
    reader = csv.reader(io.StringIO(text))
    rows: list[FeeRow] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, record in enumerate(reader, start=1):
        if not record or all(not cell.strip() for cell in record):
            continue
        if number == 1 and record[0].strip().lower() == "code":
            continue  # the header
        if len(record) < 3:
            problems.append(f"line {number}: expected code,description,fee")
            continue
        code = record[0].strip().upper()
        try:
            kind = procedure_kind(code)
        except ValidationError as exc:
            problems.append(f"line {number}: {exc.errors['code']}")
            continue
        description = clean_text(record[1], 200)
        if not description:
            problems.append(f"line {number}: {code} needs a description (the clinic's own words)")
        try:
            fee = parse_fee(record[2])
        except ValidationError as exc:
            message = exc.errors["fee"]
            problems.append(f"line {number}: {code} {message[0].lower()}{message[1:]}")
            continue
        if code in seen:
            problems.append(f"line {number}: {code} is listed already on line {seen[code]}")
            continue
        seen[code] = number
        rows.append(FeeRow(code, kind, description, fee.quantize(Decimal("0.01"))))
    if problems:
        raise FeeImportError(problems)
    if not rows:
        raise FeeImportError(["the file has no fee rows (code,description,fee)"])
    return rows


class FeeService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("billing.view")
    def fees(self, include_retired: bool = False) -> list[FeeRow]:
        """Active codes in code order (the ones offered for charges); with `include_retired`, all."""
        query = select(FeeScheduleItem).order_by(FeeScheduleItem.code)
        if not include_retired:
            query = query.where(FeeScheduleItem.active.is_(True))
        with self.ctx.db.read() as session:
            return [fee_row(f) for f in session.scalars(query)]

    @requires("fees.manage")
    def add_fee(self, code: str, description: str, fee: str | Decimal) -> FeeRow:
        """A new code on the fee schedule."""
        errors: dict[str, str] = {}
        value = kind = text = amount = None
        for parse in ("code", "description", "fee"):
            try:
                if parse == "code":
                    value, kind = parse_code(code)
                elif parse == "description":
                    text = parse_description(description)
                else:
                    amount = parse_fee(fee)
            except ValidationError as exc:
                errors.update(exc.errors)
        if errors:
            raise ValidationError(errors)
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            existing = session.scalar(select(FeeScheduleItem).where(FeeScheduleItem.code == value))
            if existing is not None:
                how = "change it" if existing.active else "it is retired: reinstate it"
                raise ValidationError({"code": f"{value} is on the fee schedule already ({how} instead)."})
            item = FeeScheduleItem(code=value, kind=kind, description=text, fee=amount, active=True, updated_at=now)
            session.add(item)
            session.flush()
            audit.record(session, now, self.ctx.actor, "fees.add", entity="fee_schedule", entity_id=value,
                         summary=f"{value} {text} {amount:.2f}")
            return fee_row(item)

    @requires("fees.manage")
    def update_fee(self, code: str, description: str | None = None, fee: str | Decimal | None = None, *,
                   expected: FeeRow | None = None) -> FeeRow:
        """Change a code's description and/or fee (None keeps it). Charges already entered keep the
        fee they were entered with. `expected` (the row as the form showed it) refuses the save if
        someone changed the code meanwhile."""
        errors: dict[str, str] = {}
        new_text = new_fee = None
        try:
            new_text = parse_description(description) if description is not None else None
        except ValidationError as exc:
            errors.update(exc.errors)
        try:
            new_fee = parse_fee(fee) if fee is not None else None
        except ValidationError as exc:
            errors.update(exc.errors)
        if errors:
            raise ValidationError(errors)
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            item = self._item(session, code, expected)
            before = {"description": item.description, "fee": item.fee}
            if new_text is not None:
                item.description = new_text
            if new_fee is not None:
                item.fee = new_fee
            after = {"description": item.description, "fee": item.fee}
            if after != before:
                item.updated_at = now
                audit.record(session, now, self.ctx.actor, "fees.update", entity="fee_schedule",
                             entity_id=item.code, summary=f"{item.code}: " + audit.describe_changes(before, after))
            return fee_row(item)

    @requires("fees.manage")
    def retire_fee(self, code: str, *, expected: FeeRow | None = None) -> FeeRow:
        """No longer offered for new charges (the scrubber flags a claim still carrying it); charges
        already entered keep it."""
        return self._set_active(code, False, expected)

    @requires("fees.manage")
    def reinstate_fee(self, code: str, *, expected: FeeRow | None = None) -> FeeRow:
        return self._set_active(code, True, expected)

    def _set_active(self, code: str, active: bool, expected: FeeRow | None) -> FeeRow:
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            item = self._item(session, code, expected)
            if item.active == active:
                raise ValidationError({"code": f"{item.code} is {'active' if active else 'retired'} already."})
            item.active, item.updated_at = active, now
            audit.record(session, now, self.ctx.actor, "fees.reinstate" if active else "fees.retire",
                         entity="fee_schedule", entity_id=item.code, summary=f"{item.code} {item.description}")
            return fee_row(item)

    @staticmethod
    def _item(session: Session, code: str, expected: FeeRow | None) -> FeeScheduleItem:
        value = clean_text(code).upper()
        item = session.scalar(select(FeeScheduleItem).where(FeeScheduleItem.code == value))
        if item is None:
            raise NotFound(f"{value or 'That code'} is not on the fee schedule.")
        if expected is not None and fee_row(item) != replace(expected, kind=item.kind):
            raise ConcurrentEdit("fee")
        return item

    @requires("fees.manage")
    def import_csv(self, source: str | Path) -> ImportResult:
        """Add new codes and update changed ones from a CSV file (or its text)."""
        if isinstance(source, Path):
            text = read_csv_text(source, lambda why: FeeImportError([why]))
        else:
            text = source
        rows = parse_fee_csv(text)
        now = self.ctx.now()
        added = updated = unchanged = 0
        with self.ctx.db.write() as session:
            existing = {f.code: f for f in session.scalars(select(FeeScheduleItem))}
            for row in rows:
                item = existing.get(row.code)
                if item is None:
                    session.add(FeeScheduleItem(code=row.code, kind=row.kind, description=row.description,
                                                fee=row.fee, active=True, updated_at=now))
                    added += 1
                elif (item.description, item.fee, item.active) != (row.description, row.fee, True):
                    item.description, item.fee, item.active, item.updated_at = row.description, row.fee, True, now
                    updated += 1
                else:
                    unchanged += 1
            audit.record(session, now, self.ctx.actor, "fees.import", entity="fee_schedule",
                         summary=f"{added} added, {updated} updated, {unchanged} unchanged")
        return ImportResult(added, updated, unchanged)
