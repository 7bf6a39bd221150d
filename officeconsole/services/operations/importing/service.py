"""Importing another system's CSV: dry run by default, committed in batches, safe to rerun.

    report = ImportService(ctx).run(ImportRequest(ImportKind.PATIENTS, "patients.csv", source="oldpms"))

Each row goes through the service the console uses for that record. Rows are taken BATCH at a
time in one transaction: a row that breaks a rule is refused (its savepoint rolled back) and
written to the reject file beside the input with the reason; a dry run rolls each batch back,
a commit keeps it, so a crash or Ctrl+C leaves whole batches and a rerun finishes the file
(rows already imported are found through `import_source` and change nothing).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError

from officeconsole.db.maintenance import refresh_statistics
from officeconsole.models import (
    Appointment,
    AppointmentEvent,
    BookedSlot,
    InsurancePolicy,
    LedgerEntry,
    Patient,
    PatientBalance,
)
from officeconsole.models.imports import ImportKind, ImportSource
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text
from officeconsole.services.formats import csv_safe
from officeconsole.services.operations.importing.batch import BatchDatabase
from officeconsole.services.operations.importing.bulk import BULK, FileIndex, Pending
from officeconsole.services.operations.importing.fields import SOURCE_ID, fields_of
from officeconsole.services.operations.importing.kinds import HANDLERS, NEW, UNCHANGED, UPDATED, Lookups, Refused
from officeconsole.services.operations.importing.mapping import Columns, ImportFileError, Mapping, match_columns
from officeconsole.services.operations.importing.reading import FileFacts, inspect, rows
from officeconsole.services.security import audit

BATCH = 2_000
PREVIEW = 200  # refused rows kept for the screen and the CLI (all of them go to the reject file)
REFUSED = "refused"
REJECT_COLUMNS = ("rejected_line", "rejected_reason")


@dataclass(frozen=True)
class ImportRequest:
    kind: ImportKind | str
    path: str | Path
    source: str = "import"
    maps: tuple[str, ...] = ()
    mapping_file: str | Path | None = None
    commit: bool = False


@dataclass(frozen=True)
class RefusedRow:
    line: int
    source_id: str
    reason: str


@dataclass
class ImportReport:
    kind: ImportKind
    source: str
    file: FileFacts
    committed: bool
    columns: list[tuple[str, str]] = field(default_factory=list)  # (field, their header)
    ignored: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {NEW: 0, UPDATED: 0, UNCHANGED: 0, REFUSED: 0})
    refused: list[RefusedRow] = field(default_factory=list)  # the first PREVIEW
    unmatched: dict[str, dict[str, int]] = field(default_factory=dict)  # payer/provider/type -> value -> rows
    duplicates: int = 0
    collisions: int = 0
    reject_file: Path | None = None
    rows: int = 0
    chars_read: int = 0
    seconds: float = 0.0

    @property
    def summary(self) -> str:
        c = self.counts
        return (f"{c[NEW]} new, {c[UPDATED]} updated, {c[UNCHANGED]} unchanged, {c[REFUSED]} refused "
                f"of {self.rows} rows")

    def unmatched_lines(self) -> list[str]:
        """Each value that matched nothing, once, with how to map it."""
        how = {"payer": "add the payer in Practice setup > Payers (y), or --map \"payer:{v}=<payer name or ID>\"",
               "provider": "--map \"provider:{v}=<NPI or username>\"",
               "type": "add the type in Practice setup > Appointment types (t), or --map \"type:{v}=<type name>\""}
        return [f"{what} {value!r} ({count} row{'s' if count != 1 else ''}): {how[what].format(v=value)}"
                for what, found in sorted(self.unmatched.items()) for value, count in sorted(found.items())]


Progress = Callable[[ImportReport], None]


FILLED: dict[ImportKind, tuple[str, ...]] = {  # the tables each kind of import writes rows to
    ImportKind.PATIENTS: (Patient.__tablename__, PatientBalance.__tablename__, ImportSource.__tablename__),
    ImportKind.POLICIES: (InsurancePolicy.__tablename__, ImportSource.__tablename__),
    ImportKind.APPOINTMENTS: (Appointment.__tablename__, BookedSlot.__tablename__, AppointmentEvent.__tablename__,
                              ImportSource.__tablename__),
    ImportKind.BALANCES: (LedgerEntry.__tablename__, PatientBalance.__tablename__, ImportSource.__tablename__),
}


class ImportService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("data.import")
    def run(self, request: ImportRequest, progress: Progress | None = None) -> ImportReport:
        started = time.perf_counter()
        kind = _kind(request.kind)
        source = clean_text(request.source, 60)
        if not source:
            raise ValidationError({"source": "Name the system the file comes from (--source), such as oldpms."})
        mapping = Mapping.build(kind, request.maps, request.mapping_file)
        facts = inspect(request.path)
        stream = rows(facts)
        header = next(stream, None)
        if header is None:
            raise ImportFileError(f"{facts.path.name} is empty: a CSV with a header row and one row per record "
                                  "is needed.")
        titles = [cell.strip() for cell in header[1]]
        columns = match_columns(kind, titles, mapping, facts.path.name)
        first = next(stream, None)
        if first is None:
            raise ImportFileError(f"{facts.path.name} has a header row but no rows: nothing to import.")
        report = ImportReport(kind, source, facts, request.commit, columns.describe(), columns.ignored)
        timezone = self.ctx.timezone
        with self.ctx.db.read() as session:
            lookups = Lookups.load(session, mapping.values)
        run = _Run(self.ctx, kind, source, columns, lookups, report, timezone)
        with _Rejects(facts, titles) as rejects:
            run.rejects = rejects
            for batch in _batches(_chain(first, stream), BATCH):
                run.batch(batch, commit=request.commit)
                if progress is not None:
                    progress(report)
        report.reject_file = rejects.path if report.counts[REFUSED] else None
        if request.commit:
            self._audit(report)
            # Thousands of new rows: the planner's figures kept current for the tables filled.
            refresh_statistics(self.ctx.db.engine, tables=FILLED[kind])
        report.seconds = time.perf_counter() - started
        return report

    def _audit(self, report: ImportReport) -> None:
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            audit.record(session, now, self.ctx.actor, "import.commit", entity="import",
                         entity_id=report.kind.value,
                         summary=f"{report.kind.value} from {report.source}: {report.summary}; file "
                                 f"{report.file.path.name} sha256 {report.file.sha256}")


def _kind(value: ImportKind | str) -> ImportKind:
    try:
        return ImportKind(str(value).lower())
    except ValueError:
        raise ValidationError({"kind": f"{value!r} is not a kind of import: patients, policies, appointments or "
                                       "balances."}) from None


def _chain(first, rest: Iterator) -> Iterator:
    yield first
    yield from rest


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class _DryRun(Exception):
    """Raised at the end of a dry run's batch so its transaction rolls back."""


class _Run:
    def __init__(self, ctx: ServiceContext, kind: ImportKind, source: str, columns: Columns, lookups: Lookups,
                 report: ImportReport, timezone) -> None:
        self.ctx, self.kind, self.source, self.columns = ctx, kind, source, columns
        self.lookups, self.report, self.timezone = lookups, report, timezone
        self.fields = fields_of(kind)
        self.seen: dict[str, int] = {}  # source ID -> the line it was first on
        self.index = FileIndex()  # the new patients so far, for the file's own likely duplicates
        self.refusals: list[tuple[int, list[str], str, str]] = []  # the batch's, written at its end
        self.rejects: _Rejects | None = None

    def batch(self, batch: list[tuple[int, list[str]]], commit: bool) -> None:
        try:
            with self.ctx.db.write() as session:
                ctx = ServiceContext(BatchDatabase(self.ctx.db, session), self.ctx.clock, self.ctx.actor,
                                     self.ctx.zone)
                handler = HANDLERS[self.kind](ctx, session, self.source, self.lookups)
                prepared = [(line, raw, self._values(raw)) for line, raw in batch]
                readable = [v for _, _, v in prepared if isinstance(v, dict)]
                known = self._known(session, [handler.source_id(v) for v in readable])
                handler.preload(readable)
                new: list[Pending] = []
                for line, raw, values in prepared:
                    self.report.rows += 1
                    self.report.chars_read += sum(len(c) + 1 for c in raw)
                    if isinstance(values, str):
                        self._refuse(line, raw, "", values)
                        continue
                    screened = self._screen(handler, known, line, raw, values)
                    if screened is None:
                        continue
                    item, before = screened
                    if before is None and self.kind in BULK:
                        new.append(item)
                    else:
                        self._row(session, handler, item, before)
                if new:
                    self._bulk(session, handler, new)
                if not commit:
                    raise _DryRun
        except _DryRun:
            pass
        finally:
            self._write_refusals()

    def _values(self, raw: list[str]) -> dict[str, str] | str:
        """The row's cells by field, or why the row cannot be read at all."""
        values: dict[str, str] = {}
        for name, index in self.columns.positions.items():
            cell = csv_safe.unescape_cell(raw[index]) if index < len(raw) else ""
            limit = self.fields[name].limit
            if len(cell.strip()) > limit:
                return (f"{name} is {len(cell.strip()):,} characters long; the most it may hold is {limit}: "
                        "check the column mapping or shorten it.")
            values[name] = cell
        missing = [n for n, f in self.fields.items() if f.required and n in values and not values[n].strip()]
        if missing:
            return f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} empty (required)."
        return values

    def _known(self, session, ids: list[str]) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        for chunk in _batches(sorted(set(ids)), 400):
            for sid, local, fingerprint in session.execute(
                    select(ImportSource.source_id, ImportSource.local_id, ImportSource.fingerprint).where(
                        ImportSource.source == self.source, ImportSource.kind == self.kind,
                        ImportSource.source_id.in_(chunk))):
                found[sid] = (local, fingerprint)
        return found

    def _screen(self, handler, known, line: int, raw: list[str],
                values: dict[str, str]) -> tuple[Pending, tuple[int, str] | None] | None:
        """The row and what it was imported as before (None: new), or None when it needs nothing
        more (refused for its ID, or unchanged since the last import)."""
        sid = handler.source_id(values)
        if len(sid) > 100:
            self._refuse(line, raw, sid[:40], f"{SOURCE_ID[self.kind]} is longer than 100 characters.")
            return None
        earlier = self.seen.get(sid)
        if earlier is not None:
            self._refuse(line, raw, sid, f"{SOURCE_ID[self.kind]} {sid!r} is on line {earlier} of this file "
                                         "already: each record once.")
            return None
        self.seen[sid] = line
        fingerprint = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()
        before = known.get(sid)
        if before is not None and before[1] == fingerprint:
            self.report.counts[UNCHANGED] += 1
            return None
        return Pending(line, raw, sid, fingerprint, values), before

    def _row(self, session, handler, item: Pending, before: tuple[int, str] | None) -> None:
        """One row through its service, in its own savepoint."""
        try:
            with session.begin_nested():
                if before is None:
                    local = handler.create(item.values)
                    if local is None:
                        self.report.counts[UNCHANGED] += 1
                        return
                    session.add(ImportSource(source=self.source, kind=self.kind, source_id=item.sid,
                                             local_id=local, fingerprint=item.fingerprint,
                                             imported_at=self.ctx.now()))
                    session.flush()
                    outcome = NEW
                else:
                    handler.update(before[0], item.values)
                    record = session.scalar(select(ImportSource).where(
                        ImportSource.source == self.source, ImportSource.kind == self.kind,
                        ImportSource.source_id == item.sid))
                    record.fingerprint, record.imported_at = item.fingerprint, self.ctx.now()
                    session.flush()
                    outcome = UPDATED
        except (OfficeError, DBAPIError) as exc:
            self._not_imported(item, exc)
            return
        self.report.counts[outcome] += 1

    def _bulk(self, session, handler, items: list[Pending]) -> None:
        """The batch's new rows at once (bulk.py); should the database refuse the insert after all
        (a record added by someone else meanwhile), each row goes on its own to find its reason."""
        try:
            with session.begin_nested():
                outcomes = BULK[self.kind](handler, items, self.index)
                now = self.ctx.now()
                made = [{"source": self.source, "kind": self.kind.value, "source_id": item.sid, "local_id": local,
                         "fingerprint": item.fingerprint, "imported_at": now}
                        for item, local in zip(items, outcomes, strict=False) if isinstance(local, int)]
                if made:
                    session.execute(insert(ImportSource.__table__), made)
        except DBAPIError:
            for item in items:
                self._row(session, handler, item, None)
            return
        for item, outcome in zip(items, outcomes, strict=False):
            if isinstance(outcome, int):
                self.report.counts[NEW] += 1
            else:
                self._not_imported(item, outcome)

    def _not_imported(self, item: Pending, exc: Exception) -> None:
        if isinstance(exc, Refused):
            if exc.problem is not None:
                what, value = exc.problem
                if what == "duplicate":
                    self.report.duplicates += 1
                elif what == "collision":
                    self.report.collisions += 1
                else:
                    found = self.report.unmatched.setdefault(what, {})
                    found[value] = found.get(value, 0) + 1
            reason = str(exc)
        elif isinstance(exc, OfficeError):
            reason = _reason(exc)
        else:
            orig = getattr(exc, "orig", None)
            detail = str(orig).strip().splitlines()[0] if orig else str(exc)
            reason = f"the database refused the row: {detail}"
        self._refuse(item.line, item.raw, item.sid, reason)

    def _refuse(self, line: int, raw: list[str], sid: str, reason: str) -> None:
        """Counted now; listed and written at the end of the batch, in the file's order."""
        self.report.counts[REFUSED] += 1
        self.refusals.append((line, raw, sid, reason))

    def _write_refusals(self) -> None:
        assert self.rejects is not None
        for line, raw, sid, reason in sorted(self.refusals, key=lambda refusal: refusal[0]):
            if len(self.report.refused) < PREVIEW:
                self.report.refused.append(RefusedRow(line, sid, reason))
            self.rejects.write(raw, line, reason)
        self.refusals.clear()


def _reason(exc: OfficeError) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.errors.values())
    return str(exc)


class _Rejects:
    """The reject file beside the input: the refused rows as they were, with the line and the reason.
    Written under a temporary name and renamed at the end; no refused rows, no file."""

    def __init__(self, facts: FileFacts, header: list[str]) -> None:
        self.path = facts.reject_path
        self.header = header
        self.temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self.stream = None
        self.writer = None
        self.count = 0

    def __enter__(self) -> _Rejects:
        return self

    def write(self, raw: list[str], line: int, reason: str) -> None:
        if self.writer is None:
            try:
                self.stream = self.temp.open("w", encoding="utf-8-sig", newline="")
            except OSError as exc:
                raise ImportFileError(f"Cannot write the reject file beside the input ({self.path}): "
                                      f"{exc.strerror or exc}.") from None
            self.writer = csv_safe.SafeWriter(self.stream)
            self.writer.writerow([*self.header, *REJECT_COLUMNS])
        width = len(self.header)
        self.writer.writerow([*(raw + [""] * width)[:width], line, reason])
        self.count += 1

    def __exit__(self, exc_type, *_) -> None:
        if self.stream is not None:
            self.stream.close()
        if exc_type is None and self.count:
            os.replace(self.temp, self.path)
            return
        if self.stream is not None:
            self.temp.unlink(missing_ok=True)
        if exc_type is None:
            self.path.unlink(missing_ok=True)  # an earlier run's rejects, all fixed now
