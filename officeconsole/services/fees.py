"""The clinic's fee schedule: procedure codes with the clinic's own descriptions and fees.

`import_csv` reads `code,description,fee` rows and applies them all or none: one bad row
(an unknown code shape, a fee that is not an amount, a code twice) and nothing changes,
with every bad row listed. Rerunning the same file changes nothing (safe after a crash).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import select

from officeconsole.models import FeeScheduleItem
from officeconsole.services import audit
from officeconsole.services.codes import procedure_kind
from officeconsole.services.context import ServiceContext
from officeconsole.services.errors import OfficeError, ValidationError
from officeconsole.services.permissions import requires
from officeconsole.services.text import clean_text


@dataclass(frozen=True)
class FeeRow:
    code: str
    kind: str
    description: str
    fee: Decimal


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
            fee = Decimal(record[2].strip().lstrip("$").replace(",", ""))
            if not fee.is_finite() or fee < 0 or fee != fee.quantize(Decimal("0.01")):
                raise InvalidOperation
        except InvalidOperation:
            problems.append(f"line {number}: fee {record[2].strip()!r} for {code} is not an amount such as 125.00")
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
    def fees(self) -> list[FeeRow]:
        with self.ctx.db.read() as session:
            return [FeeRow(f.code, f.kind, f.description, f.fee) for f in session.scalars(
                select(FeeScheduleItem).where(FeeScheduleItem.active.is_(True)).order_by(FeeScheduleItem.code))]

    @requires("fees.manage")
    def import_csv(self, source: str | Path) -> ImportResult:
        """Add new codes and update changed ones from a CSV file (or its text)."""
        if isinstance(source, Path):
            try:
                text = source.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise FeeImportError([f"cannot read {source}: {exc}"]) from None
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
