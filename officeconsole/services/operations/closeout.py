"""The nightly close-out: settle the day, say what is wrong, lock the books, back up.

Steps, in order: no-shows marked, missing charges listed, desk payments reconciled against
what was counted, the day locked (with the run record and its totals, in one transaction;
its summary names the audit chain's event number and hash at that moment, an anchor to
write down for `officeconsole audit verify --anchor`),
the day sheet written from the locked day, a backup, tomorrow's reminder list. The lock
comes before the sheet so the sheet is read from a day that can no longer change.

Safe to rerun and safe to kill: each step changes only what is not yet done (a visit still
"scheduled" after its time plus the grace becomes a no-show; one already marked is left),
files are written under temporary names and renamed, and a rerun on a locked day writes the
same sheet again (the same bytes), makes the backup if the killed run had not, and tells
how to reopen. `dry_run` runs every check, changes nothing and says what would happen.

Damage: the tables the lock writes are checked before anything is done; the whole file (a minute
at a million patients) is checked in the backup copy, which a damaged page reaches as it is, so a
damaged database is never backed up over the good backups (services/operations/backups.py). The steps after
the lock (disk space, backup, reminders, alerts) are in services/operations/closeout_steps.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from officeconsole.db.maintenance import damage, refresh_statistics
from officeconsole.models import (
    Appointment,
    ChargeLine,
    ClinicSettings,
    ClosedDay,
    CloseRun,
    Encounter,
    Patient,
    User,
)
from officeconsole.models.enums import AppointmentStatus as S
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.folders import writable_folder
from officeconsole.services.common.money import money, parse_signed
from officeconsole.services.common.permissions import requires
from officeconsole.services.frontdesk.flow import Flow
from officeconsole.services.operations.closed_days import Closure, closure, day_bounds_utc, lock
from officeconsole.services.operations.closeout_steps import (
    SKIPPED,
    CloseOutError,
    Progress,
    Run,
    Step,
    alerts,
    backup,
    disk_space,
    reminders,
)
from officeconsole.services.practice.clinic import clinic_row
from officeconsole.services.reporting.day_sheet import (
    SEEN,
    ZERO,
    DaySheet,
    desk_totals,
    drawer_counts,
    read_day_sheet,
    served_on,
    write_sheet,
)
from officeconsole.services.security import audit, audit_witness
from officeconsole.services.security.audit_chain import close_point

POLICIES = ("warn", "block")
IN_CLINIC = (S.ARRIVED, S.ROOMED, S.WITH_PROVIDER)
LOCK_TABLES = ("closed_day", "close_run", "audit_chain_head")  # what the lock writes, besides its audit event


@dataclass(frozen=True)
class CloseSettings:
    grace_minutes: int
    missing_charges: str  # warn or block


@dataclass
class CloseResult:
    day: dt.date
    dry_run: bool
    steps: list[Step]
    sheet: DaySheet
    expected: dict[str, Decimal]  # cash, card, check taken at the desk
    variance: dict[str, Decimal]  # counted - expected, for what was counted
    files: list[Path]
    run_id: int | None
    already: Closure | None = None  # the day was closed before this run

    @property
    def blocked(self) -> bool:
        return any(step.blocking for step in self.steps)

    @property
    def failed(self) -> bool:
        return any(step.failed for step in self.steps)


@dataclass(frozen=True)
class RunRow:
    id: int
    day: dt.date
    run_at: dt.datetime  # clinic time
    run_by: str
    status: str  # closed or blocked
    in_force: bool  # this run's lock still stands (not reopened since)
    charges: Decimal
    desk_payments: Decimal
    cash_variance: Decimal | None
    card_variance: Decimal | None


class CloseOutService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # ----- settings ------------------------------------------------------------------
    @requires("day.close")
    def settings(self) -> CloseSettings:
        with self.ctx.db.read() as session:
            row = session.get(ClinicSettings, 1)
            return CloseSettings(row.no_show_grace_minutes, row.missing_charges_policy) if row else CloseSettings(30, "warn")

    @requires("clinic.manage")
    def set_settings(self, grace_minutes: int | str | None = None, missing_charges: str | None = None) -> CloseSettings:
        errors = {}
        grace = None
        if grace_minutes not in (None, ""):
            try:
                grace = int(str(grace_minutes).strip())
            except ValueError:
                grace = -1
            if not 0 <= grace <= 480:
                errors["grace"] = "The no-show grace is a whole number of minutes from 0 to 480."
        policy = (missing_charges or "").strip().lower() or None
        if policy is not None and policy not in POLICIES:
            errors["missing_charges"] = "Missing charges either warn or block the close."
        if errors:
            raise ValidationError(errors)
        with self.ctx.db.write() as session:
            row = clinic_row(session)
            if grace is not None:
                row.no_show_grace_minutes = grace
            if policy is not None:
                row.missing_charges_policy = policy
            result = CloseSettings(row.no_show_grace_minutes, row.missing_charges_policy)
            audit.record(session, self.ctx.now(), self.ctx.actor, "clinic.close_settings", entity="clinic",
                         entity_id=1, summary=f"no-show grace {result.grace_minutes} min, missing charges "
                                              f"{result.missing_charges}")
        return result

    # ----- the close -----------------------------------------------------------------
    @requires("day.close")
    def close_day(self, day: dt.date | None = None, *, cash_counted: str | Decimal | None = None,
                  card_counted: str | Decimal | None = None, dry_run: bool = False,
                  grace_minutes: int | None = None, missing_charges_block: bool | None = None,
                  reports_dir: Path | None = None, backup_dir: Path | None = None,
                  backup_passphrase: str | None = None, progress: Progress | None = None) -> CloseResult:
        """Close `day` (default today). Grace and the missing-charges rule default to the clinic's
        settings; without `backup_dir` the backup step is skipped and says so."""
        today = self.ctx.today()
        day = day or today
        if day > today:
            raise ValidationError({"date": f"{day:%m/%d/%Y} has not happened yet: close a day that is over."})
        counted = {}
        for method, value in (("cash", cash_counted), ("card", card_counted)):
            if value not in (None, ""):
                counted[method] = parse_signed(value, f"{method}_counted")
                if counted[method] < 0:
                    raise ValidationError({f"{method}_counted": f"The counted {method} cannot be negative."})
        settings = self.settings()
        grace = settings.grace_minutes if grace_minutes is None else grace_minutes
        block = settings.missing_charges == "block" if missing_charges_block is None else missing_charges_block
        run = Run(day, dry_run, counted, reports_dir, backup_dir, backup_passphrase, progress or (lambda _: None))
        # The tables the lock writes, before anything; the whole file in the backup copy (see above).
        if (problem := damage(self.ctx.db.engine, LOCK_TABLES)) is not None:
            raise CloseOutError(f"The live database is damaged ({problem}): nothing was closed or backed up. Stop "
                                "work and restore the latest good backup (`officeconsole restore FILE`).")
        with self.ctx.db.read() as session:
            already = closure(session, day, self.ctx.timezone)
        if already is not None:
            return self._rerun_closed(run, already)
        if not dry_run:
            with self.ctx.db.write() as session:
                audit.record(session, self.ctx.now(), self.ctx.actor, "day.close.start", entity="clinic",
                             entity_id=1, summary=f"{day:%Y-%m-%d} close started")
        disk_space(self.ctx, run)
        self._no_shows(run, grace)
        self._missing_charges(run, block)
        # The desk's takings and the drawer variance are worked out once, in the transaction that
        # records the run (and locks the day): what is printed is what was stored, even when a
        # payment is taken while the close runs.
        reconcile = run.start("Payments reconciled")
        if any(step.blocking for step in run.steps):
            if dry_run:
                with self.ctx.db.read() as session:
                    sheet = read_day_sheet(self.ctx, day, session)
                    expected = self._reconcile(session, run, reconcile)
                run_id = None
            else:
                run_id, sheet, expected = self._record_blocked(run, reconcile)
            return CloseResult(day, dry_run, run.steps, sheet, expected, _variance(counted, expected), [], run_id)
        if dry_run:
            with self.ctx.db.read() as session:
                expected = self._reconcile(session, run, reconcile)
            variance = _variance(counted, expected)
            sheet = read_day_sheet(self.ctx, day)
            run.start("Lock the day").lines.append(f"would lock {day:%m/%d/%Y}")
            run.start("Day sheet").lines.append(_sheet_line(sheet))
            step = run.start("Backup")
            step.lines.append(f"would back up to {backup_dir} and check it for damage" if backup_dir
                              else f"{SKIPPED}: would be skipped")
            reminders(self.ctx, run)
            alerts(self.ctx, run)
            return CloseResult(day, True, run.steps, sheet, expected, variance, [], None)
        run_id, sheet, expected = self._lock(run, reconcile)
        self._write_sheet(run, sheet)
        backup(self.ctx, run)
        reminders(self.ctx, run)
        alerts(self.ctx, run)
        if not any(step.failed for step in run.steps):  # (a damaged file fails ANALYZE: its step said so)
            run.progress("Planner statistics")  # timed apart from the last step, shown to nobody
            refresh_statistics(self.ctx.db.engine)  # a day of new rows: the planner's figures kept current
        return CloseResult(day, False, run.steps, sheet, expected, _variance(counted, expected), run.files, run_id)

    @requires("day.close")
    def runs(self, first: dt.date, last: dt.date | None = None) -> list[RunRow]:
        """Every recorded close of the days `first`..`last`, oldest first, and whether each day is
        closed now."""
        last = last or first
        with self.ctx.db.read() as session:
            rows = session.execute(
                select(CloseRun, User.full_name).join(User, User.id == CloseRun.run_by_id)
                .where(CloseRun.day >= first, CloseRun.day <= last).order_by(CloseRun.day, CloseRun.id)).all()
            locked = set(session.scalars(select(ClosedDay.close_run_id).where(
                ClosedDay.day >= first, ClosedDay.day <= last, ClosedDay.reopened_at.is_(None))))
            return [RunRow(r.id, r.day, r.run_at.astimezone(self.ctx.timezone), name, r.status, r.id in locked,
                           r.charges, r.desk_payments,
                           None if r.cash_counted is None else r.cash_counted - r.cash_expected,
                           None if r.card_counted is None else r.card_counted - r.card_expected)
                    for r, name in rows]

    # ----- steps ---------------------------------------------------------------------
    def _no_shows(self, run: Run, grace: int) -> None:
        """Visits still "scheduled" after their start plus the grace become no-shows."""
        step = run.start(f"No-shows (after {grace} minutes' grace)")
        start, end = day_bounds_utc(run.day, self.ctx.timezone)
        cutoff = self.ctx.now() - dt.timedelta(minutes=grace)
        with (self.ctx.db.read() if run.dry_run else self.ctx.db.write()) as session:
            late = session.scalars(select(Appointment).where(
                Appointment.start_at >= start, Appointment.start_at < end, Appointment.start_at <= cutoff,
                Appointment.status == S.SCHEDULED).order_by(Appointment.start_at)).all()
            if not run.dry_run:
                flow = Flow(self.ctx, session)
                for visit in late:
                    flow.set_status(visit, S.NO_SHOW, detail="close-out")
            counts = dict(session.execute(select(Appointment.status, func.count()).where(
                Appointment.start_at >= start, Appointment.start_at < end).group_by(Appointment.status)).all())
            inside = session.execute(select(Appointment.start_at, Appointment.status, Patient.last_name,
                                            Patient.first_name).join(Patient, Patient.id == Appointment.patient_id)
                                     .where(Appointment.start_at >= start, Appointment.start_at < end,
                                            Appointment.status.in_(IN_CLINIC)).order_by(Appointment.start_at)).all()
        marked = len(late)
        no_shows = counts.get(S.NO_SHOW.value, 0) + (marked if run.dry_run else 0)
        step.lines.append(f"{marked} {'would be marked' if run.dry_run else 'marked'} no-show; "
                          f"{no_shows} no-shows and {counts.get(S.CANCELLED.value, 0)} cancellations in all")
        for at, status, last, first in inside:  # once locked, they cannot be checked out
            step.lines.append(f"still in the clinic, not checked out: {at.astimezone(self.ctx.timezone):%H:%M} "
                              f"{last}, {first} ({status.replace('_', ' ')})")

    def _missing_charges(self, run: Run, blocking: bool) -> None:
        step = run.start("Missing charges")
        start, end = day_bounds_utc(run.day, self.ctx.timezone)
        with self.ctx.db.read() as session:
            seen = session.execute(select(Appointment.id, Patient.last_name, Patient.first_name, Appointment.start_at)
                                   .join(Patient, Patient.id == Appointment.patient_id)
                                   .where(Appointment.start_at >= start, Appointment.start_at < end,
                                          Appointment.status.in_(SEEN)).order_by(Appointment.start_at)).all()
            charged = set(session.scalars(select(Encounter.appointment_id).join(
                ChargeLine, ChargeLine.encounter_id == Encounter.id).where(served_on(run.day))))
        missing = [(last, first, at) for a, last, first, at in seen if a not in charged]
        for last, first, at in missing:
            step.lines.append(f"{at.astimezone(self.ctx.timezone):%H:%M} {last}, {first}: seen, no charges")
        if not missing:
            step.lines.append("every visit seen has charges")
        elif blocking:
            step.lines.append("the clinic's setting makes missing charges block the close: code these visits, "
                              "then run it again")
        else:
            step.lines.append("warning only: once the day is locked, adding these charges needs it reopened")
        step.blocking = blocking and bool(missing)
        step.warning = bool(missing) and not blocking

    def _reconcile(self, session: Session, run: Run, step: Step) -> dict[str, Decimal]:
        """The day's desk takings by method, read in `session` (the run record's own transaction
        when the close records one), with the drawer counts against them on `step`."""
        expected = desk_totals(session, *day_bounds_utc(run.day, self.ctx.timezone))
        step.lines.clear()
        step.warning = False
        for method in ("cash", "card", "check"):
            line = f"{method.title()}: expected {money(expected.get(method, ZERO))}"
            if method in run.counted:
                variance = run.counted[method] - expected.get(method, ZERO)
                line += f", counted {money(run.counted[method])}, variance {money(variance)}"
                if variance:
                    step.warning = True
                    line += " (over)" if variance > 0 else " (short)"
            step.lines.append(line)
        return expected

    def _lock(self, run: Run, reconcile: Step) -> tuple[int, DaySheet, dict[str, Decimal]]:
        """The run record and the lock in one transaction: either the day is closed with its
        totals, or nothing is. The sheet and the desk takings are read in that transaction."""
        step = run.start("Lock the day")
        now = self.ctx.now()
        try:
            with self.ctx.db.write() as session:
                sheet = read_day_sheet(self.ctx, run.day, session)
                expected = self._reconcile(session, run, reconcile)
                record = self._run_row(run, "closed", sheet, expected, now)
                session.add(record)
                session.flush()
                lock(session, run.day, self.ctx.timezone, now, self.ctx.actor_or_fail().user_id, record.id)
                audit.record(session, now, self.ctx.actor, "day.close", entity="close_run", entity_id=record.id,
                             summary=f"{run.day:%Y-%m-%d} closed: charges {money(sheet.charges)}, desk "
                                     f"{money(sheet.desk_payments)}"
                                     + "".join(f", {m} counted {money(v)}" for m, v in run.counted.items()))
                sheet.audit = close_point(session, run.day)  # that event's link: the day's anchor
                session.flush()
                audit_witness.record(session)  # the trail's length, kept outside it
                sheet.drawer = drawer_counts(session, run.day)
        except IntegrityError:
            raise CloseOutError(f"{run.day:%m/%d/%Y} was closed by someone else a moment ago: run close-day "
                                "again to see that close.") from None
        step.lines.append(f"{run.day:%m/%d/%Y} locked; run {record.id} recorded")
        if sheet.audit is not None:
            step.lines.append(sheet.audit.line)
        return record.id, sheet, expected

    def _write_sheet(self, run: Run, sheet: DaySheet) -> None:
        step = run.start("Day sheet")
        step.lines.append(_sheet_line(sheet))
        folder = writable_folder(run.reports_dir or Path("."), CloseOutError, "the day sheet")
        run.files = write_sheet(sheet, folder)
        step.lines += [str(f) for f in run.files]

    # ----- a day already closed ---------------------------------------------------------
    def _rerun_closed(self, run: Run, already: Closure) -> CloseResult:
        step = run.start("Already closed")
        step.lines.append(f"{run.day:%m/%d/%Y} was closed by {already.closed_by} at "
                          f"{already.closed_at:%m/%d/%Y %H:%M} (run {already.close_run_id}); nothing was counted again")
        if run.counted:
            step.lines.append("the drawer counts were recorded at that close; reopen the day to change them")
        step.lines.append(f"to change the day: `officeconsole reopen-day {run.day:%Y-%m-%d} --reason \"...\"`, "
                          "then close it again")
        sheet = read_day_sheet(self.ctx, run.day)
        if sheet.audit is not None:
            step.lines.append(sheet.audit.line)
        with self.ctx.db.read() as session:
            expected = desk_totals(session, *day_bounds_utc(run.day, self.ctx.timezone))
        if run.dry_run:
            return CloseResult(run.day, True, run.steps, sheet, expected, {}, [], already.close_run_id, already)
        self._write_sheet(run, sheet)  # the same bytes again, or the file a killed run did not write
        if already.backed_up_at is None:
            backup(self.ctx, run)
        else:
            run.start("Backup").lines.append(f"done at {already.backed_up_at.astimezone(self.ctx.timezone):%H:%M}: "
                                             f"{already.backup_file}")
        reminders(self.ctx, run)
        alerts(self.ctx, run)
        return CloseResult(run.day, False, run.steps, sheet, expected, {}, run.files, already.close_run_id, already)

    # ----- the run record -------------------------------------------------------------
    def _run_row(self, run: Run, status: str, sheet: DaySheet, expected: dict[str, Decimal],
                 now: dt.datetime) -> CloseRun:
        return CloseRun(day=run.day, run_at=now, run_by_id=self.ctx.actor_or_fail().user_id, status=status,
                        charges=sheet.charges, desk_payments=sheet.desk_payments,
                        insurer_payments=sheet.insurer_payments,
                        cash_expected=expected.get("cash", ZERO), cash_counted=run.counted.get("cash"),
                        card_expected=expected.get("card", ZERO), card_counted=run.counted.get("card"),
                        summary="; ".join(f"{s.name}: {' / '.join(s.lines)}" for s in run.steps)[:2000])

    def _record_blocked(self, run: Run, reconcile: Step) -> tuple[int, DaySheet, dict[str, Decimal]]:
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            sheet = read_day_sheet(self.ctx, run.day, session)
            expected = self._reconcile(session, run, reconcile)
            record = self._run_row(run, "blocked", sheet, expected, now)
            session.add(record)
            session.flush()
            audit.record(session, now, self.ctx.actor, "day.close", entity="close_run", entity_id=record.id,
                         summary=f"{run.day:%Y-%m-%d} blocked: missing charges")
            return record.id, sheet, expected


def _variance(counted: dict[str, Decimal], expected: dict[str, Decimal]) -> dict[str, Decimal]:
    """Counted less expected, for what was counted."""
    return {m: counted[m] - expected.get(m, ZERO) for m in counted}


def _sheet_line(sheet: DaySheet) -> str:
    return (f"charges {money(sheet.charges)}, desk payments {money(sheet.desk_payments)}, insurer payments "
            f"{money(sheet.insurer_payments)}, visits {sheet.visits}, no-shows {sheet.no_shows}")
