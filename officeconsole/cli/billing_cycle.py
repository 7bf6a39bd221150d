"""`officeconsole billing post-ack | eligibility | post-271 | refund ...`: the acknowledgements of the
claims sent, eligibility inquiries and their answers, and refunds of patients' credits and insurers'
overpayments. Each command is safe to run twice."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from officeconsole.cli._common import (
    AsOption,
    DbOption,
    Format,
    FormatOption,
    day_option,
    emit,
    open_db,
    say,
    signed_in,
)
from officeconsole.cli.billing import billing_app
from officeconsole.config import Paths
from officeconsole.services.billing.acknowledgements import AcknowledgementService
from officeconsole.services.common.money import money
from officeconsole.services.frontdesk.eligibility import EligibilityService
from officeconsole.services.frontdesk.patients import PatientService
from officeconsole.services.frontdesk.refunds import RefundInput, RefundService

refund_app = typer.Typer(help="Refunds of a patient's credit or an insurer's overpayment (a manager approves).",
                         no_args_is_help=True)
billing_app.add_typer(refund_app, name="refund")


@billing_app.command("post-ack")
def post_ack(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="An X12 999 or 277CA file.")],
             as_user: AsOption, db: DbOption = None) -> None:
    """Post a 999 or 277CA acknowledgement: claims move to accepted or rejected by themselves; what
    did not match is listed; a file posted before changes nothing."""
    result = AcknowledgementService(signed_in(open_db(ctx, db), as_user)).post_file(file)
    say(result.summary())
    if result.lines:
        emit(["Item", "Patient", "Outcome", "Moved", "Says"],
             [(line.reference, line.patient, line.outcome, "yes" if line.moved else "", line.message)
              for line in result.lines], Format.table)


@billing_app.command("eligibility")
def eligibility(ctx: typer.Context, as_user: AsOption,
                date: Annotated[str, typer.Option("--date", help="The day booked: 2026-12-05, today, tomorrow, mon...")],
                out: Annotated[Path | None, typer.Option("--out", help="Folder for the 270 (default: the reports "
                                                                      "folder's eligibility/).")] = None,
                db: DbOption = None) -> None:
    """Write one 270 eligibility inquiry for every patient booked that day with a policy in force
    (the others are listed as skipped); send it through the clearinghouse, then post its 271."""
    service_ctx = signed_in(open_db(ctx, db), as_user)
    day = day_option(date, service_ctx, "--date")
    folder = out if out is not None else Paths.discover().reports_dir / "eligibility"
    result = EligibilityService(service_ctx).write_270(day, folder)
    say(result.summary())
    if result.skipped:
        emit(["Skipped", "Why"], [(s.patient, s.reason) for s in result.skipped], Format.table)


@billing_app.command("post-271")
def post_271(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="An X12 271 eligibility answer.")],
             as_user: AsOption, db: DbOption = None) -> None:
    """Post a 271 eligibility answer: per policy, active or not, plan dates, copay and deductible; shown at
    check-in. All of it or nothing; a file posted before changes nothing."""
    result = EligibilityService(signed_in(open_db(ctx, db), as_user)).post_271(file)
    say(result.summary())
    if result.lines:
        emit(["Patient", "Payer", "Member", "Answer"],
             [(line.patient, line.payer, line.member_id, line.said) for line in result.lines], Format.table)


def _key(*parts: object) -> str:
    """The same command typed twice is the same request: its key is made from what it asks."""
    return "cli:" + hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:40]


@refund_app.command("request")
def request(ctx: typer.Context, mrn: Annotated[str, typer.Argument(help="The patient's MRN.")],
            amount: Annotated[str, typer.Argument(help="How much to give back, e.g. 25.00.")],
            as_user: AsOption,
            method: Annotated[str, typer.Option("--method", help="check, card or cash (eft to an insurer).")] = "check",
            reference: Annotated[str, typer.Option("--reference", help="Check number or card's last four.")] = "",
            reason: Annotated[str, typer.Option("--reason", help="Why the money is given back.")] = "",
            claim: Annotated[str, typer.Option("--claim", help="An insurer's overpayment: the claim (OC123).")] = "",
            db: DbOption = None) -> None:
    """Ask for a refund of the patient's credit (or, with --claim, of the insurer's overpayment on it)."""
    service_ctx = signed_in(open_db(ctx, db), as_user)
    patient = PatientService(service_ctx).by_mrn(mrn)
    encounter_id = int(claim.upper().removeprefix("OC")) if claim.upper().removeprefix("OC").isdigit() else None
    source = "insurer" if claim else "patient"
    key = _key(patient.id, amount, method, reference, reason, claim)
    view = RefundService(service_ctx).request(RefundInput(patient.id, amount, method, reason, key, reference,
                                                          encounter_id, source))
    say(f"Refund {view.id}: {money(view.amount)} {view.method} to {view.to_whom}, {view.status} "
        "(a manager approves it with `billing refund approve`).")


@refund_app.command("approve")
def approve(ctx: typer.Context, refund_id: Annotated[int, typer.Argument(help="The refund's number.")],
            as_user: AsOption, db: DbOption = None) -> None:
    """Approve a refund and post it (a manager)."""
    service = RefundService(signed_in(open_db(ctx, db), as_user))
    found = next((r for r in service.refunds(status="requested", limit=1000) if r.id == refund_id), None)
    if found is None:
        raise typer.BadParameter(f"No refund {refund_id} is waiting for approval (see `billing refund list`).")
    view = service.approve(found.id, found.version)
    say(f"Refund {view.id}: {money(view.amount)} {view.method} to {view.to_whom} approved and posted.")


@refund_app.command("decline")
def decline(ctx: typer.Context, refund_id: Annotated[int, typer.Argument(help="The refund's number.")],
            reason: Annotated[str, typer.Option("--reason", help="Why it is declined.")],
            as_user: AsOption, db: DbOption = None) -> None:
    """Decline a refund (a manager): nothing is posted."""
    service = RefundService(signed_in(open_db(ctx, db), as_user))
    found = next((r for r in service.refunds(status="requested", limit=1000) if r.id == refund_id), None)
    if found is None:
        raise typer.BadParameter(f"No refund {refund_id} is waiting for approval (see `billing refund list`).")
    service.decline(found.id, found.version, reason)
    say(f"Refund {found.id} declined.")


@refund_app.command("list")
def list_refunds(ctx: typer.Context, as_user: AsOption,
                 mrn: Annotated[str, typer.Option("--mrn", help="Only this patient's.")] = "",
                 waiting: Annotated[bool, typer.Option("--waiting", help="Only those waiting for approval.")] = False,
                 db: DbOption = None, fmt: FormatOption = Format.table) -> None:
    """Refunds, newest first, and what each patient could still be refunded."""
    service_ctx = signed_in(open_db(ctx, db), as_user)
    patient_id = PatientService(service_ctx).by_mrn(mrn).id if mrn else None
    service = RefundService(service_ctx)
    rows = service.refunds(patient_id, "requested" if waiting else None)
    emit(["Refund", "Asked", "To", "Patient", "Amount", "Method", "Reference", "Reason", "Status", "Decided by"],
         [(r.id, f"{r.requested_at:%m/%d/%Y}", r.source, r.patient_name, money(r.amount), r.method, r.reference,
           r.reason, r.status, r.decided_by) for r in rows], fmt)
    if patient_id is not None:
        found = service.refundable(patient_id)
        say(f"Refundable to the patient: {money(found.patient_available)}"
            + "".join(f"; to {c.payer_name} on OC{c.encounter_id}: {money(c.credit)}" for c in found.insurers)
            + (f" ({money(found.waiting)} waiting for approval)" if found.waiting > Decimal(0) else "") + ".")
