"""Billing at scale: the queue with 50,000 open claims, and A/R aging over 1,000,000 charge lines.

`ensure_billing` adds claims to a generated clinic once (its past visits, most recent first):
the newest `open_claims` spread over the open states of the queue, the rest closed with
balanced A/R entries (charge, insurer payment, contractual adjustment, the patient's share).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import sys
import time
from decimal import Decimal

from sqlalchemy import func, select

from benchmarks.settle import workers_done
from officeconsole.db.bulk import insert_rows, sync_sequences
from officeconsole.db.database import Database
from officeconsole.db.maintenance import refresh_statistics
from officeconsole.models import (
    Appointment,
    ArEntry,
    ChargeLine,
    Encounter,
    EncounterDiagnosis,
    FeeScheduleItem,
    InsurancePolicy,
    LedgerEntry,
)
from officeconsole.services.billing.ar_book import rebuild_patient_balances
from officeconsole.services.billing.encounters import EncounterService, QueueFilter
from officeconsole.services.billing.receivables import ReceivablesService
from officeconsole.services.common.context import ServiceContext

FEES = "code,description,fee\n99212,Visit 12,75\n99213,Visit 13,125\n99214,Visit 14,185\n36415,Blood draw,15\n"
OPEN_STATES = (("needs_coding", 20), ("ready", 15), ("submitted", 20), ("accepted", 10), ("rejected", 2),
               ("paid", 15), ("partially_paid", 5), ("denied", 8), ("closed", 5))
BATCH = 20_000


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(round(0.95 * (len(ordered) - 1)))]


def ensure_billing(database: Database, manager: ServiceContext, charge_lines: int, open_claims: int) -> dict:
    """Generate the claims once; describe what the database holds."""
    with database.read() as session:
        lines = session.scalar(select(func.count()).select_from(ChargeLine))
    if not lines:
        from officeconsole.services.billing.fees import FeeService

        if not FeeService(manager).fees():
            FeeService(manager).import_csv(FEES)
        _generate(database, manager, charge_lines, open_claims)
    with database.read() as session:
        return {"charge_lines": session.scalar(select(func.count()).select_from(ChargeLine)),
                "open_claims": session.scalar(select(func.count()).select_from(Encounter)
                                              .where(Encounter.status != "closed")),
                "ar_entries": session.scalar(select(func.count()).select_from(ArEntry)),
                "desk_payments": session.scalar(select(func.count()).select_from(LedgerEntry))}


def _generate(database: Database, manager: ServiceContext, charge_lines: int, open_claims: int) -> None:
    rng = random.Random(5)
    now = manager.now()
    user_id = manager.actor_or_fail().user_id
    tz = manager.timezone
    states = [state for state, weight in OPEN_STATES for _ in range(weight)]
    with database.read() as session:
        fees = dict(session.execute(select(FeeScheduleItem.code, FeeScheduleItem.fee)).all())
    query = (select(Appointment.id, Appointment.patient_id, Appointment.provider_id, Appointment.start_at,
                    InsurancePolicy.id, InsurancePolicy.payer_id)
             .outerjoin(InsurancePolicy, (InsurancePolicy.patient_id == Appointment.patient_id)
                        & (InsurancePolicy.rank == 1))
             .where(Appointment.status == "checked_out", Appointment.start_at < now)
             .order_by(Appointment.start_at.desc()))
    made = encounter_id = line_id = ar_id = ledger_id = 0
    encounters, diagnoses, lines, entries, payments = [], [], [], [], []
    started = time.perf_counter()

    def flush() -> None:
        with database.write() as session:
            insert_rows(session, Encounter, encounters)
            insert_rows(session, EncounterDiagnosis, diagnoses)
            insert_rows(session, ChargeLine, lines)
            insert_rows(session, ArEntry, entries)
            insert_rows(session, LedgerEntry, payments)
        for rows in (encounters, diagnoses, lines, entries, payments):
            rows.clear()
        _log(f"  charge lines {made:>9,} ({time.perf_counter() - started:.0f}s)")

    with database.engine.connect() as conn:
        for visit_id, patient_id, provider_id, start, policy_id, payer_id in conn.execute(query).yield_per(BATCH):
            if made >= charge_lines:
                break
            encounter_id += 1
            day = start.astimezone(tz).date() if start.tzinfo else start.date()
            state = rng.choice(states) if encounter_id <= open_claims else "closed"
            if payer_id is None and state != "needs_coding":
                state = "closed"  # self-pay, billed to the patient
            encounters.append({"id": encounter_id, "appointment_id": visit_id, "patient_id": patient_id,
                               "provider_id": provider_id, "date_of_service": day, "place_of_service": "11",
                               "status": state, "policy_id": policy_id, "payer_id": payer_id, "note": "", "created_at": now,
                               "updated_at": now, "version": 1})
            diagnoses.append({"encounter_id": encounter_id, "position": 1, "code": "I10"})
            codes = [rng.choice(("99212", "99213", "99213", "99214"))] + (["36415"] if rng.random() < 0.25 else [])
            # Charges post on the day of the visit, the insurer's answer two to six weeks later (never
            # after now): a close of one day then sums that day, not the whole generated history.
            answered = min(now, start + dt.timedelta(days=rng.randint(14, 45)))
            for n, code in enumerate(codes, start=1):
                line_id += 1
                made += 1
                fee = fees[code]
                lines.append({"id": line_id, "encounter_id": encounter_id, "line_no": n, "code": code,
                              "modifiers": "", "units": 1, "fee": fee, "diagnosis_pointers": "1"})
                for account, kind, amount, group, reason, payer in _entries(state, fee, payer_id):
                    if account == "patient" and amount > 0 and rng.random() < 0.9:  # most pay at the desk
                        ledger_id += 1
                        payments.append({
                            "id": ledger_id, "patient_id": patient_id, "appointment_id": visit_id, "kind": "payment",
                            "amount": -amount, "method": "card", "reference": "", "receipt_number": f"B{ledger_id:08d}",
                            "memo": "Patient share", "posted_by_id": user_id, "posted_at": start, "voids_id": None,
                            "reason": "", "request_key": f"bench-pay:{ledger_id}"})
                    ar_id += 1
                    entries.append({"id": ar_id, "encounter_id": encounter_id, "charge_line_id": line_id,
                                    "patient_id": patient_id, "payer_id": payer, "account": account, "kind": kind,
                                    "amount": amount, "group_code": group, "reason_code": reason,
                                    "service_date": day, "remittance_id": None, "memo": "",
                                    "posted_at": start if kind == "charge" else answered,
                                    "posted_by_id": user_id, "request_key": f"bench:{ar_id}"})
            if len(lines) >= BATCH:
                flush()
    flush()
    with database.write() as session:
        sync_sequences(session, (Encounter, ChargeLine, ArEntry, LedgerEntry))
        rebuild_patient_balances(session)
    refresh_statistics(database.engine, after_bulk_load=True)


def _entries(state: str, fee: Decimal, payer_id: int | None):
    """The A/R entries a line in `state` has: nothing before it is billed, a balanced history after."""
    if state in ("needs_coding", "ready", "rejected"):
        return []
    if payer_id is None:
        return [("patient", "charge", fee, "", "", None)]
    allowed = (fee * Decimal("0.7")).quantize(Decimal("0.01"))
    share = (allowed * Decimal("0.2")).quantize(Decimal("0.01"))
    charge = [("insurer", "charge", fee, "", "", payer_id)]
    if state in ("submitted", "accepted", "denied"):
        return charge
    return charge + [("insurer", "payment", -(allowed - share), "", "", payer_id),
                     ("insurer", "adjustment", -(fee - allowed), "CO", "45", payer_id),
                     ("insurer", "transfer", -share, "PR", "2", payer_id),
                     ("patient", "transfer", share, "PR", "2", None)]


def measure_services(biller: ServiceContext, runs: int) -> dict:
    """Service times: the queue (default view, every state, a payer filter) and A/R aging."""
    queue = EncounterService(biller)
    views = [QueueFilter("needs_coding"), QueueFilter(None), QueueFilter("submitted", payer_id=1),
             QueueFilter("denied", older_than_days=30)]
    timings: dict[str, list[float]] = {"queue": [], "aging": []}
    for run in range(runs + 1):
        for where in views:
            start = time.perf_counter()
            queue.queue(None, 500, where)
            if run:
                timings["queue"].append((time.perf_counter() - start) * 1000)
    ar = ReceivablesService(biller)
    for run in range(max(3, runs // 3) + 1):
        start = time.perf_counter()
        ar.aging()
        if run:
            timings["aging"].append((time.perf_counter() - start) * 1000)
    found: dict = {name: _percentiles(samples) for name, samples in timings.items()}
    found["aging_parts"] = aging_parts(ar, biller)
    return found


def aging_parts(ar: ReceivablesService, biller: ServiceContext) -> dict[str, float]:
    """Where the aging's time goes (its three reads, timed one by one, medians of 3 in ms): the
    figure's profile, printed beside it."""
    from officeconsole.services.billing import receivables

    today = biller.today()
    parts: dict[str, list[float]] = {"payers": [], "patients": [], "days in A/R": []}
    for _ in range(3):
        with biller.db.read() as session:
            start = time.perf_counter()
            ar._payers(session, today)
            parts["payers"].append(time.perf_counter() - start)
            start = time.perf_counter()
            ar._patients(session, today, 200)
            parts["patients"].append(time.perf_counter() - start)
            start = time.perf_counter()
            receivables._days_in_ar(session, today, Decimal("1000.00"))
            parts["days in A/R"].append(time.perf_counter() - start)
    return {name: statistics.median(samples) * 1000 for name, samples in parts.items()}


async def _queue_opens(ctx: ServiceContext, username: str, password: str, runs: int) -> list[float]:
    from textual import events

    from officeconsole.services.security import auth
    from officeconsole.tui.app import OfficeApp
    from officeconsole.tui.screens.billing_queue import BillingQueueScreen

    shown = asyncio.Event()
    original = BillingQueueScreen._show

    def drawn_rows(self, queue) -> None:
        original(self, queue)
        shown.set()

    app = OfficeApp(ctx)
    samples = []
    try:
        BillingQueueScreen._show = drawn_rows
        async with app.run_test(size=(160, 48)) as pilot:
            await workers_done(app)
            app.start_session(auth.login(ctx, username, password))
            await workers_done(app)
            await pilot.pause()
            for run in range(runs + 1):
                shown.clear()
                drawn = asyncio.Event()
                start = time.perf_counter()
                app.post_message(events.Key("f5", None))
                await shown.wait()
                app.call_after_refresh(drawn.set)
                await drawn.wait()
                if run:
                    samples.append((time.perf_counter() - start) * 1000)
                await workers_done(app)
                app.pop_screen()
                await pilot.pause()
    finally:
        BillingQueueScreen._show = original
    return samples


def measure_queue_screen(ctx: ServiceContext, username: str, password: str, runs: int) -> tuple[float, float]:
    """F5 → the queue's 500 oldest claims needing coding drawn, with counts for every state."""
    return _percentiles(asyncio.run(_queue_opens(ctx, username, password, runs)))

