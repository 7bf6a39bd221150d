"""`officeconsole billing ...`: claims out (ready, export-837, resend), money in (post-835),
and what is owed (aging, denials, statements). Each command is safe to run twice.
"""

from __future__ import annotations

import hashlib
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
    err,
    open_db,
    say,
    signed_in,
)
from officeconsole.config import Paths
from officeconsole.services.billing.billing_identity import BillingIdentityService, Identities
from officeconsole.services.billing.claim_corrections import ClaimCorrectionService
from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.billing.receivables import BUCKETS, ReceivablesService
from officeconsole.services.billing.remittance import RemittanceService
from officeconsole.services.billing.statements import StatementService
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.money import money
from officeconsole.services.common.printable import printable
from officeconsole.services.common.text import plural
from officeconsole.services.frontdesk.insurance import InsuranceService
from officeconsole.services.frontdesk.ledger import LedgerService

billing_app = typer.Typer(help="Claims, insurer payments and accounts receivable.", no_args_is_help=True)
OutOption = Annotated[Path | None, typer.Option("--out", help="Folder for the files (default: the reports folder).")]


def _out(out: Path | None, sub: str) -> Path:
    return out if out is not None else Paths.discover().reports_dir / sub


@billing_app.command("ready")
def ready(ctx: typer.Context, as_user: AsOption, db: DbOption = None, fmt: FormatOption = Format.table) -> None:
    """Scrub every claim waiting to be billed: clean ones become ready, the rest are listed with why."""
    run = ClaimService(signed_in(open_db(ctx, db), as_user)).mark_all_ready()
    say(f"{plural(len(run.ready), 'claim')} marked ready; {len(run.failing)} need fixing.")
    emit(["Claim", "Fix in", "Problem"],
         [(f"OC{e_id}", p.fix, p.message) for e_id, problems in run.failing.items() for p in problems], fmt)


@billing_app.command("export-837")
def export_837(ctx: typer.Context, as_user: AsOption, out: OutOption = None, db: DbOption = None) -> None:
    """Every ready claim into one new 837P file (checked by pyx12); the claims become submitted."""
    result = ClaimService(signed_in(open_db(ctx, db), as_user)).export_837(_out(out, "claims"))
    for e_id, why in result.skipped.items():
        err.print(f"Held back OC{e_id}: {printable(why)}", markup=False)
    if result.claims:
        say(f"Batch {result.control_number}: {plural(result.claims, 'claim')}, {money(result.total)} -> {result.path}")
    else:
        say("No claim could be exported: every ready claim needs fixing again (see above).")


@billing_app.command("resend")
def resend(ctx: typer.Context, batch: Annotated[int, typer.Argument(help="Batch id (see `billing batches`).")],
           as_user: AsOption, out: OutOption = None, db: DbOption = None) -> None:
    """A batch's claims again, in a new file with a new control number."""
    result = ClaimService(signed_in(open_db(ctx, db), as_user)).reexport_837(batch, _out(out, "claims"))
    say(f"Batch {result.control_number} (again): {plural(result.claims, 'claim')}, {money(result.total)} -> {result.path}")


@billing_app.command("batches")
def batches(ctx: typer.Context, as_user: AsOption, db: DbOption = None, fmt: FormatOption = Format.table) -> None:
    """837P files made, newest first."""
    rows = ClaimService(signed_in(open_db(ctx, db), as_user)).batches()
    emit(["Batch", "Control", "Made", "By", "Claims", "Total", "File", "Resends"],
         [(b.id, b.control_number, f"{b.created_at:%m/%d/%Y %H:%M}", b.created_by, b.claims, money(b.total),
           b.file_name, b.resent_of_id or "") for b in rows], fmt)


@billing_app.command("subscriber-names")
def subscriber_names(ctx: typer.Context, as_user: AsOption, db: DbOption = None,
                     fmt: FormatOption = Format.table) -> None:
    """Policies whose subscriber name is in one line and could not be split surely into last and first
    (after an upgrade or an import): open the policy on the patient's record and type the parts."""
    rows = InsuranceService(signed_in(open_db(ctx, db), as_user)).subscriber_names_to_split()
    if fmt is Format.table:
        say(f"{len(rows)} subscriber names to split into last and first." if rows
            else "Every subscriber name is split into last and first.")
    if rows or fmt is not Format.table:
        emit(["MRN", "Patient", "Payer", "Subscriber as typed"],
             [(r.mrn, r.patient, r.payer, r.subscriber_name) for r in rows], fmt)


@billing_app.command("post-835")
def post_835(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="An X12 835 remittance file.")],
             as_user: AsOption, db: DbOption = None) -> None:
    """Post an insurer's remittance; what did not match is listed, and a file posted before is not posted again."""
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ValidationError({"file": f"Cannot read {file}: {exc.strerror or exc}."}) from None
    results = RemittanceService(signed_in(open_db(ctx, db), as_user)).post_835(text)
    failed = False
    for r in results:
        if r.posted is None:
            failed = True
            say(f"{r.payer_name} {r.trace_number} ({money(r.total)}): not posted. {r.refused}")
        else:
            p = r.posted
            say(f"{p.payer_name} {p.trace_number}: {money(p.total)} received, {money(p.applied)} applied to "
                f"{plural(len(p.claims), 'claim')}" + (f", {money(p.unapplied)} not applied" if p.unapplied else "") + ".")
            emit(["Claim", "Payer claim #", "Patient", "Paid", "Adjusted", "Patient owes", "State", "Denied"],
                 [(f"OC{c.encounter_id}" + (" reversal" if c.reversal else ""), c.payer_claim_number, c.patient_name,
                   money(c.paid), money(c.adjusted), money(c.to_patient), c.status.replace("_", " "),
                   "; ".join(c.denied)) for c in p.claims], Format.table)
            for c in p.claims:
                if c.next_payer:
                    say(f"OC{c.encounter_id}: {money(c.to_next_payer)} goes to {c.next_payer}, not the patient "
                        f"(secondary claim {c.next_claim}).")
            if p.provider_adjustments:
                emit(["Provider adjustment (PLB)", "Reference", "Amount"],
                     [(a.description, a.reference, money(a.amount)) for a in p.provider_adjustments], Format.table,
                     title="Provider-level adjustments (+ taken off the payment, - added to it)")
        if r.skipped:
            emit(["Claim", "Not posted because"], r.skipped, Format.table, title="Did not match")
    if failed and all(r.posted is None for r in results):
        raise typer.Exit(1)


@billing_app.command("denials")
def denials(ctx: typer.Context, as_user: AsOption, db: DbOption = None, fmt: FormatOption = Format.table) -> None:
    """Denied lines the insurer still owes on, oldest first: appeal, bill the patient or write off."""
    rows = RemittanceService(signed_in(open_db(ctx, db), as_user)).denials()
    emit(["Claim", "Line", "Code", "Service", "Patient", "Payer", "Owing", "Denial", "Days"],
         [(f"OC{r.encounter_id}", r.line_no, r.code, f"{r.date_of_service:%m/%d/%Y}", r.patient_name, r.payer_name,
           money(r.owing), r.denial, r.days) for r in rows], fmt)


@billing_app.command("aging")
def aging(
    ctx: typer.Context,
    as_user: AsOption,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Age balances as of this day (default today).")] = None,
    by: Annotated[str, typer.Option("--by", help="payer, patient or both.")] = "both",
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Accounts receivable in buckets of 0-30, 31-60, 61-90, 91-120 and 120+ days, and days in A/R."""
    if by not in ("payer", "patient", "both"):
        raise ValidationError({"by": "--by: payer, patient or both."})
    service = ReceivablesService(signed_in(open_db(ctx, db), as_user))
    result = service.aging(day_option(as_of, service.ctx, "--as-of"))
    blank = ("",) * len(BUCKETS)
    for kind in ("payer", "patient"):
        if by not in (kind, "both"):
            continue
        rows = result.payers if kind == "payer" else result.patients
        table = [(r.name, *(money(b) for b in r.buckets), money(r.total)) for r in rows]
        if kind == "patient" and fmt is not Format.table:  # scripts get each patient in credit as a row
            table += [(r.name, *blank, money(r.total)) for r in result.credits]
        if fmt is Format.table and kind == "payer":
            table.append(("Total", *(money(b) for b in result.totals(rows)), money(sum(result.totals(rows)))))
        elif fmt is Format.table:  # every patient's, not only the rows listed; credits on their own line
            table.append((f"Total owed ({plural(result.owing_count, 'patient')})", *(money(b) for b in result.patient_buckets),
                          money(result.patient_owed)))
            table.append((f"Credits ({plural(result.credit_count, 'patient')})", *blank, money(result.patient_credit)))
            table.append(("Net", *blank, money(result.patient_total)))
        emit([kind.title(), *BUCKETS, "Total"], table, fmt,
             title=f"{'Insurance' if kind == 'payer' else 'Patient'} A/R as of {result.as_of:%m/%d/%Y}")
    if fmt is Format.table:
        days = "n/a (no charges in 90 days)" if result.days_in_ar is None else f"{result.days_in_ar}"
        listed = (f" (the {len(result.patients)} largest of {result.owing_count} listed)"
                  if len(result.patients) < result.owing_count else "")
        say(f"Insurers owe {money(result.insurer_total)}; patients owe {money(result.patient_owed)}{listed}, "
            f"less {money(-result.patient_credit)} in credits. Days in A/R: {days}")


@billing_app.command("balance")
def balance(
    ctx: typer.Context,
    mrns: Annotated[list[str], typer.Argument(help="The patients' MRNs.", show_default=False)],
    as_user: AsOption,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """What each patient owes: the figure the account screen, check-in and the statement show."""
    service = LedgerService(signed_in(open_db(ctx, db), as_user))
    rows = []
    for mrn in mrns:
        found = service.balance(mrn)
        owes = found.owes
        rows.append((found.mrn, found.name, money(owes.balance), owes.state,
                     f"{owes.oldest:%m/%d/%Y}" if owes.oldest else "", "" if owes.oldest_days is None
                     else owes.oldest_days, money(owes.share), money(owes.paid)))
    emit(["MRN", "Patient", "Balance", "State", "Oldest unpaid", "Days", "Billed to patient", "Paid"], rows, fmt)


@billing_app.command("write-off-patient")
def write_off_patient(
    ctx: typer.Context,
    claim: Annotated[str, typer.Argument(help="The visit's claim, e.g. OC12.", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", help="Why, e.g. \"small balance\" or \"hardship\".")],
    as_user: AsOption,
    amount: Annotated[str | None, typer.Option("--amount", help="Only this much (default: all the patient owes "
                                                                 "on the visit).")] = None,
    db: DbOption = None,
) -> None:
    """Write off what the patient owes on a visit (or --amount of it). The same command run again the
    same day writes nothing more."""
    number = claim.strip().upper().removeprefix("OC")
    if not number.isdigit():
        raise ValidationError({"claim": f"{claim!r} is not a claim number: type it as shown, e.g. OC12."})
    opened = signed_in(open_db(ctx, db), as_user)
    key = "cli-" + hashlib.sha256(f"{number}|{amount or ''}|{reason.strip()}|{opened.today()}".encode()).hexdigest()[:32]
    cleared = ReceivablesService(opened).write_off_patient(int(number), reason, key, amount)
    say(f"{money(cleared)} of the patient's share of OC{number} written off.")


@billing_app.command("statements")
def statements(
    ctx: typer.Context,
    as_user: AsOption,
    over: Annotated[str, typer.Option("--over", help="Only balances above this amount.")] = "10",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """A text and a PDF statement for each patient owing more than --over."""
    files = StatementService(signed_in(open_db(ctx, db), as_user)).write_statements(_out(out, "statements"), over)
    for f in files:
        say(f"{f.patient_name}: {money(f.balance)} -> {f.pdf_path}")
    say(f"{len(files)} statements written.")


@billing_app.command("identities")
def identities(
    ctx: typer.Context,
    as_user: AsOption,
    npi: Annotated[str, typer.Option("--npi", help="The clinic's (billing) NPI.")],
    tax_id: Annotated[str, typer.Option("--tax-id", help="The clinic's EIN, NN-NNNNNNN.")],
    zip_code: Annotated[str, typer.Option("--zip", help="The clinic's ZIP+4.")],
    clearinghouse: Annotated[str, typer.Option("--clearinghouse-id", help="The clearinghouse's interchange ID.")],
    clearinghouse_name: Annotated[str, typer.Option("--clearinghouse-name")] = "",
    db: DbOption = None,
) -> None:
    """Set the identifiers every claim carries (check digits verified)."""
    result = BillingIdentityService(signed_in(open_db(ctx, db), as_user)).set_identities(
        Identities(npi, tax_id, zip_code, clearinghouse, clearinghouse_name))
    say(f"Billing as NPI {result.npi}, tax ID {result.tax_id}, ZIP {result.postal_code}, "
        f"to clearinghouse {result.clearinghouse_id}.")


ClaimArgument = Annotated[str, typer.Argument(help="The claim, e.g. OC12.", show_default=False)]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).", show_default=False)]


def _claim_number(claim: str) -> int:
    number = claim.strip().upper().removeprefix("OC")
    if not number.isdigit():
        raise ValidationError({"claim": f"{claim!r} is not a claim number: type it as shown, e.g. OC12."})
    return int(number)


@billing_app.command("correct")
def correct(ctx: typer.Context, claim: ClaimArgument, reason: ReasonOption, as_user: AsOption,
            db: DbOption = None) -> None:
    """Send a corrected claim (CLM05-3 = 7) for a claim the payer has adjudicated: its charges are taken
    back and it returns to coding; fix it, mark it ready and export it."""
    number = _claim_number(claim)
    ClaimCorrectionService(signed_in(open_db(ctx, db), as_user)).correct(number, reason)
    say(f"OC{number} is back in coding as a corrected claim: change it, mark it ready, then export-837.")


@billing_app.command("void")
def void(ctx: typer.Context, claim: ClaimArgument, reason: ReasonOption, as_user: AsOption,
         db: DbOption = None) -> None:
    """Void a claim with the payer (CLM05-3 = 8): its charges, write-offs and patient shares are reversed and
    the void is ready to export; what the payer paid stays its credit until it takes it back."""
    number = _claim_number(claim)
    result = ClaimCorrectionService(signed_in(open_db(ctx, db), as_user)).void(number, reason)
    say(f"OC{number} voided: ready to export (export-837)."
        + (f" The payer's {money(-result.insurer_owes)} stays its credit until its 835 takes it back."
           if result.insurer_owes < 0 else ""))
