"""Insurer payments applied to claim lines, typed in from an EOB or read from an 835.

Per line the payer says what it allowed, what it paid and why the rest was adjusted (CARC
group and reason). Paid and adjusted amounts leave the insurer's account; patient
responsibility (group PR) moves to the patient's account; a line denied outright is not
written off but left owing and put on the denial work list for the biller to appeal, bill
the patient or write off. One check or EFT is posted once: its trace number is unique per
payer, and an 835 file's digest is unique too.

An 835 file is checked whole before anything is posted (x12_835) and then posted in one
transaction, with its remittance (the trace) and provider-level adjustments (PLB): a file
either posts completely or leaves nothing behind. A reversal (CLP02 = 22) takes back what
earlier remittances posted on the claim, as negative entries, and reopens it (even a closed
claim); the corrected claim that follows posts afresh. Claim-level adjustments (CAS before the
first SVC) post to the claim.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from officeconsole.models import (
    ChargeLine,
    Encounter,
    Patient,
    Payer,
    RemitClaim,
    RemitLine,
    RemitProviderAdjustment,
    Remittance,
)
from officeconsole.models.billing import EncounterStatus as St
from officeconsole.models.claims import RemitSource
from officeconsole.services.billing.ar_book import ArBook
from officeconsole.services.billing.remit_inputs import (  # noqa: F401  (re-exported: what callers post)
    CONTRACTUAL,
    GROUPS,
    PROVIDER_REASONS,
    REASONS,
    Adjustment,
    ClaimPayment,
    LinePayment,
    RemitInput,
    describe,
    is_denial,
    parse_adjustments,
)
from officeconsole.services.billing.remit_posting import PAYABLE, ClaimPoster, PostedClaim  # noqa: F401  (re-exported)
from officeconsole.services.billing.remittance_835 import match_payment
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import (
    ConcurrentEdit,
    NotFound,
    OfficeError,
    ValidationError,
)
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.money import money, parse_signed
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text, parse_date
from officeconsole.services.formats.x12_835 import ParsedPayment, read_835
from officeconsole.services.security import audit


class AlreadyPosted(OfficeError):
    """This check, EFT or file was posted before: nothing was posted again."""


@dataclass(frozen=True)
class ProviderAdjustmentRow:
    reason: str  # PLB reason: L6 interest, WO overpayment recovery, FB forwarding balance, 72 take-back...
    reference: str
    amount: Decimal  # positive: taken off the payment; negative: added to it

    @property
    def description(self) -> str:
        return f"{self.reason} {PROVIDER_REASONS.get(self.reason, 'Provider adjustment')}"


@dataclass(frozen=True)
class RemitResult:
    remittance_id: int
    payer_name: str
    trace_number: str
    total: Decimal  # the check or EFT
    claims: list[PostedClaim]
    provider_adjustments: tuple[ProviderAdjustmentRow, ...] = ()

    @property
    def applied(self) -> Decimal:
        return sum((c.paid for c in self.claims), Decimal("0.00"))

    @property
    def provider_total(self) -> Decimal:
        return sum((p.amount for p in self.provider_adjustments), Decimal("0.00"))

    @property
    def unapplied(self) -> Decimal:
        """Money received for claims that did not match: to be found and posted by hand. The check is
        the claims paid less the provider-level adjustments, so those are added back."""
        return self.total + self.provider_total - self.applied


@dataclass
class File835Result:
    payer_name: str
    trace_number: str
    total: Decimal
    posted: RemitResult | None = None
    refused: str = ""  # why nothing of this payment was posted
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (claim ID, why): every item not posted
    posted_before: bool = False  # refused only because this payment was posted before


class _FileRefused(Exception):
    """A payment of the file cannot post: the file's transaction is rolled back."""


@dataclass(frozen=True)
class RemittanceRow:
    """A posted check or EFT, newest first, with its provider-level adjustments."""

    id: int
    paid_on: dt.date
    payer_name: str
    trace_number: str
    method: str
    source: str
    total: Decimal
    claims: int
    provider_adjustments: tuple[ProviderAdjustmentRow, ...]


@dataclass(frozen=True)
class RemittanceClaimRow:
    encounter_id: int
    patient_name: str
    status_code: str  # CLP02: 1 primary, 2 secondary, 4 denied, 22 reversal; empty when typed from an EOB
    payer_claim_number: str  # CLP07
    billed: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    remark_codes: str  # the claim's (MIA/MOA), then its lines' (LQ)


@dataclass(frozen=True)
class DenialRow:
    encounter_id: int
    line_no: int
    code: str
    date_of_service: dt.date
    patient_name: str
    payer_name: str
    billed: Decimal
    owing: Decimal
    denial: str
    days: int  # since the denial was posted


class RemittanceService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("remit.post")
    def post(self, data: RemitInput) -> RemitResult:
        """Post one check or EFT across its claims' lines, all or nothing."""
        header = self._header(data)
        try:
            with self.ctx.db.write() as session:
                return self._post(session, data, header)
        except IntegrityError:
            raise AlreadyPosted(f"Trace {header['trace']} from this payer was posted from another console "
                                "just now.") from None

    @requires("remit.post")
    def post_835(self, text: str) -> list[File835Result]:
        """Post an 835 file whole or not at all; each payment's result says what was posted and what did not match.

        The file is checked first (RemitFileError names the segment that is wrong; nothing is posted and
        no trace is used). Then every payment posts in one transaction: if one cannot post (an unknown
        payer, no claim that matches), none does. A payment posted before (same payer and trace, or the
        same file) is reported, not posted again, so the file can be run twice safely.
        """
        parsed = read_835(text)
        results = [File835Result(p.payer_name, p.trace_number, p.total) for p in parsed.payments]
        try:
            with self.ctx.db.write() as session:
                for n, (payment, result) in enumerate(zip(parsed.payments, results, strict=True)):
                    digest = hashlib.sha256(f"{parsed.digest}:{n}".encode()).hexdigest()
                    self._post_payment(session, payment, digest, result)
                if any(r.refused and not r.posted_before for r in results):
                    raise _FileRefused
        except _FileRefused:
            for r in results:
                r.posted = None
                r.refused = r.refused or ("Not posted: another payment in this file cannot post, and a file posts "
                                          "whole or not at all.")
        except (IntegrityError, ConcurrentEdit):
            for r in results:
                r.posted, r.posted_before = None, False
                r.refused = ("Another console posted to these claims at the same moment: nothing of this file was "
                             "posted; run the file again.")
        return results

    def _post_payment(self, session: Session, payment: ParsedPayment, digest: str, result: File835Result) -> None:
        data = match_payment(session, payment, self.ctx.today(), result.skipped)
        if data is None:
            result.refused = f"Payer {payment.payer_name} ({payment.payer_code or 'no ID'}) is not known here."
            return
        data.file_digest = digest
        if not data.claims and not data.provider_adjustments:
            result.refused = "No claim in this payment matched a claim of this clinic."
            return
        try:
            header = self._header(data)
            with session.begin_nested():
                result.posted = self._post(session, data, header, payment.total, result.skipped)
        except AlreadyPosted as exc:
            result.refused, result.posted_before = str(exc), True
        except ValidationError as exc:
            result.refused = str(exc)

    @requires("ar.view")
    def remittances(self, limit: int = 200) -> list[RemittanceRow]:
        """Posted checks and EFTs, newest first, each with its claim count and PLB adjustments."""
        with self.ctx.db.read() as session:
            claims = (select(func.count()).select_from(RemitClaim).where(RemitClaim.remittance_id == Remittance.id)
                      .scalar_subquery())
            rows = session.execute(select(Remittance, Payer.name, claims).join(Payer, Payer.id == Remittance.payer_id)
                                   .order_by(Remittance.posted_at.desc(), Remittance.id.desc()).limit(limit)).all()
            provider: dict[int, list[ProviderAdjustmentRow]] = {}
            for adj in session.scalars(select(RemitProviderAdjustment).where(
                    RemitProviderAdjustment.remittance_id.in_([r.id for r, _, _ in rows]))
                    .order_by(RemitProviderAdjustment.id)):
                provider.setdefault(adj.remittance_id, []).append(
                    ProviderAdjustmentRow(adj.reason_code, adj.reference, adj.amount))
            return [RemittanceRow(r.id, r.paid_on, payer, r.trace_number, r.method, r.source, r.total, count or 0,
                                  tuple(provider.get(r.id, ()))) for r, payer, count in rows]

    @requires("ar.view")
    def remittance_claims(self, remittance_id: int) -> list[RemittanceClaimRow]:
        """What one remittance said about each claim: status, the payer's claim number, remark codes."""
        with self.ctx.db.read() as session:
            rows = session.execute(
                select(RemitClaim, Patient.last_name, Patient.first_name)
                .join(Encounter, Encounter.id == RemitClaim.encounter_id)
                .join(Patient, Patient.id == Encounter.patient_id)
                .where(RemitClaim.remittance_id == remittance_id).order_by(RemitClaim.id)).all()
            lines: dict[int, list[str]] = {}
            for encounter_id, codes in session.execute(
                    select(RemitLine.encounter_id, RemitLine.remark_codes)
                    .where(RemitLine.remittance_id == remittance_id, RemitLine.remark_codes != "")
                    .order_by(RemitLine.id)):
                lines.setdefault(encounter_id, []).extend(codes.split(","))
            return [RemittanceClaimRow(c.encounter_id, f"{last}, {first}", c.status_code, c.payer_claim_number,
                                       c.billed, c.paid, c.patient_responsibility,
                                       ",".join(dict.fromkeys([*filter(None, c.remark_codes.split(",")),
                                                               *lines.get(c.encounter_id, [])])))
                    for c, last, first in rows]

    @requires("ar.view")
    def denials(self, limit: int = 500) -> list[DenialRow]:
        """Denied lines the insurer still owes on: the biller's work list, oldest first."""
        today = self.ctx.today()
        with self.ctx.db.read() as session:
            rows = session.execute(
                select(RemitLine, ChargeLine.line_no, ChargeLine.code, Encounter, Patient.last_name,
                       Patient.first_name, Payer.name, Remittance.paid_on)
                .join(ChargeLine, ChargeLine.id == RemitLine.charge_line_id)
                .join(Encounter, Encounter.id == RemitLine.encounter_id)
                .join(Patient, Patient.id == Encounter.patient_id)
                .join(Remittance, Remittance.id == RemitLine.remittance_id)
                .join(Payer, Payer.id == Remittance.payer_id)
                .where(RemitLine.denial != "", Encounter.status.in_([St.DENIED, St.PARTIALLY_PAID]))
                .order_by(Remittance.paid_on, RemitLine.id).limit(limit)).all()
            book = ArBook(self.ctx, session)
            result = []
            for line, line_no, code, encounter, last, first, payer, paid_on in rows:
                owing = book.line_insurer_balance(line.charge_line_id)
                if owing > 0:
                    result.append(DenialRow(encounter.id, line_no, code, encounter.date_of_service,
                                            f"{last}, {first}", payer, line.billed, owing, line.denial,
                                            (today - paid_on).days))
            return result

    # ----- posting ---------------------------------------------------------------------
    def _header(self, data: RemitInput) -> dict[str, Any]:
        errors: dict[str, str] = {}
        trace = clean_text(data.trace_number, 50)
        if not trace:
            errors["trace_number"] = "Type the check or EFT trace number."
        method = clean_text(data.method).lower()
        if method not in ("check", "eft", "none"):
            errors["method"] = "Method: check or eft."
        try:
            paid_on = parse_date(data.paid_on)
        except ValueError as exc:
            errors["paid_on"] = str(exc)
            paid_on = None
        if paid_on is None and "paid_on" not in errors:
            errors["paid_on"] = "Type the payment date."
        elif paid_on and paid_on > self.ctx.today() + dt.timedelta(days=30 if data.source == RemitSource.X835 else 0):
            errors["paid_on"] = "The payment date is in the future."  # an 835 may come days before its EFT
        if not data.claims and not (data.source == RemitSource.X835 and data.provider_adjustments):
            errors["claims"] = "Apply the payment to at least one claim."
        if errors:
            raise ValidationError(errors)
        return {"trace": trace, "method": method, "paid_on": paid_on}

    def _post(self, session: Session, data: RemitInput, header: dict[str, Any], total: Decimal | None = None,
              skipped: list[tuple[str, str]] | None = None) -> RemitResult:
        """All claims or none; with `skipped` given (an 835), a claim that fails is left out and listed."""
        payer = get_or_fail(session, Payer, data.payer_id, "payer")
        parts = session.scalars(select(Remittance).where(Remittance.payer_id == payer.id,
                                                         Remittance.trace_number == header["trace"])
                                .order_by(Remittance.part)).all()
        earlier = next((r for r in parts if r.source == RemitSource.X835), None) if data.source == RemitSource.X835 \
            else None
        if earlier is None and data.file_digest:
            earlier = session.scalar(select(Remittance).where(Remittance.file_digest == data.file_digest))
        if earlier is not None:
            raise AlreadyPosted(f"{payer.name} trace {earlier.trace_number} was posted on "
                                f"{earlier.posted_at.astimezone(self.ctx.timezone):%m/%d/%Y} "
                                f"({money(earlier.total)}): nothing was posted again.")
        now = self.ctx.now()
        if total is None:
            total = sum((parse_signed(line.paid, "paid") for claim in data.claims for line in claim.lines),
                        Decimal("0.00"))
        remit = Remittance(payer_id=payer.id, trace_number=header["trace"], part=len(parts) + 1, method=header["method"],
                           paid_on=header["paid_on"], total=total, source=data.source,
                           file_digest=data.file_digest, posted_at=now, posted_by_id=self.ctx.actor_or_fail().user_id)
        session.add(remit)
        session.flush()
        provider = tuple(ProviderAdjustmentRow(clean_text(r, 2).upper(), clean_text(ref, 50), parse_signed(a, "PLB"))
                         for r, ref, a in data.provider_adjustments)
        session.add_all(RemitProviderAdjustment(remittance_id=remit.id, reason_code=p.reason, reference=p.reference,
                                                amount=p.amount) for p in provider)
        # The keys of this remittance's postings are new: each names it (remit:<id>:...) and it was
        # made just above (a file posted again is refused as AlreadyPosted before this point).
        poster = ClaimPoster(self.ctx, session, ArBook(self.ctx, session, fresh=f"remit:{remit.id}:"))
        posted: list[PostedClaim] = []
        errors: dict[str, str] = {}
        for n, claim in enumerate(data.claims, start=1):
            try:
                with session.begin_nested():
                    posted.append(poster.post(remit, payer, claim, n))
            except (ValidationError, NotFound) as exc:
                problems = exc.errors if isinstance(exc, ValidationError) else {"": str(exc)}
                if skipped is None:
                    errors.update({f"claim {claim.encounter_id} {k}".strip(): v for k, v in problems.items()})
                else:
                    what = "reversal" if claim.reversal else "claim"
                    skipped.extend((f"OC{claim.encounter_id}", f"{what}: {k} {v}".replace("  ", " "))
                                   for k, v in problems.items())
        if errors:
            raise ValidationError(errors)
        if data.claims and not posted and not provider:
            raise ValidationError({"claims": "no claim in this payment could be posted (see the list)."})
        if posted and not any(p.changed for p in posted) and not provider:
            raise AlreadyPosted(f"Nothing new: {payer.name} trace {header['trace']} was posted for these lines "
                                "already, with the same amounts.")
        plb = "".join(f"; {p.description} {money(p.amount)}" for p in provider)
        audit.record(session, now, self.ctx.actor, "remit.post", entity="remittance", entity_id=remit.id,
                     summary=f"{payer.name} {header['method']} {header['trace']}: {money(total)} over "
                             f"{len(posted)} claims{plb}")
        return RemitResult(remit.id, payer.name, remit.trace_number, total, posted, provider)
