"""Insurer payments applied to claim lines, typed in from an EOB or read from an 835.

Per line the payer says what it allowed, what it paid and why the rest was adjusted (CARC
group and reason). Paid and adjusted amounts leave the insurer's account; patient
responsibility (group PR) moves to the patient's account; a line denied outright is not
written off but left owing and put on the denial work list for the biller to appeal, bill
the patient or write off. One check or EFT is posted once: its trace number is unique per
payer, and an 835 file's digest is unique too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import ArEntry, ChargeLine, Encounter, Patient, Payer, RemitLine, Remittance
from officeconsole.models.billing import EncounterStatus as St
from officeconsole.models.claims import Account, ArKind, RemitSource
from officeconsole.services import audit
from officeconsole.services.ar_book import ArBook
from officeconsole.services.booking import get_or_fail
from officeconsole.services.context import ServiceContext
from officeconsole.services.errors import ConcurrentEdit, NotFound, OfficeError, ValidationError
from officeconsole.services.money import money, parse_signed
from officeconsole.services.permissions import requires
from officeconsole.services.text import clean_text, parse_date
from officeconsole.services.remit_inputs import (  # noqa: F401  (re-exported: what callers post)
    CONTRACTUAL,
    GROUPS,
    REASONS,
    Adjustment,
    ClaimPayment,
    LinePayment,
    RemitInput,
    describe,
    is_denial,
    parse_adjustments,
)
from officeconsole.services.remittance_835 import match_payment
from officeconsole.services.x12_835 import ParsedPayment, parse_835

PAYABLE = (St.SUBMITTED, St.ACCEPTED, St.PARTIALLY_PAID, St.DENIED, St.PAID)  # PAID: a corrected EOB


class AlreadyPosted(OfficeError):
    """This check, EFT or file was posted before: nothing was posted again."""


@dataclass(frozen=True)
class PostedClaim:
    encounter_id: int
    patient_name: str
    paid: Decimal
    adjusted: Decimal
    to_patient: Decimal
    denied: list[str]
    status: str
    changed: bool = True  # False: the same figures were posted for these lines before


@dataclass(frozen=True)
class RemitResult:
    remittance_id: int
    payer_name: str
    trace_number: str
    total: Decimal  # the check or EFT
    claims: list[PostedClaim]

    @property
    def applied(self) -> Decimal:
        return sum((c.paid for c in self.claims), Decimal("0.00"))

    @property
    def unapplied(self) -> Decimal:
        """Money received for claims that did not match: to be found and posted by hand."""
        return self.total - self.applied


@dataclass
class File835Result:
    payer_name: str
    trace_number: str
    total: Decimal
    posted: RemitResult | None = None
    refused: str = ""  # why nothing of this payment was posted
    skipped: dict[str, str] = field(default_factory=dict)  # claim ID -> why it was not posted


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
        """Post every payment in an 835 file; each one's result says what was posted and what did not match.

        A payment posted before (same payer and trace, or the same file) is reported, not posted again,
        so the file can be run twice safely.
        """
        payments = parse_835(text)
        digest = hashlib.sha256(text.encode()).hexdigest()
        results = []
        for n, payment in enumerate(payments):
            result = File835Result(payment.payer_name, payment.trace_number, payment.total)
            results.append(result)
            try:
                self._post_payment(payment, hashlib.sha256(f"{digest}:{n}".encode()).hexdigest(), result)
            except (IntegrityError, ConcurrentEdit):
                result.posted = None
                result.refused = ("Another console posted to these claims at the same moment: nothing of this "
                                  "payment was posted; run the file again.")
        return results

    def _post_payment(self, payment: ParsedPayment, digest: str, result: File835Result) -> None:
        with self.ctx.db.write() as session:
            data = match_payment(session, payment, self.ctx.today(), result.skipped)
            if data is None:
                result.refused = f"Payer {payment.payer_name} ({payment.payer_code or 'no ID'}) is not known here."
                return
            data.file_digest = digest
            if not data.claims:
                result.refused = "No claim in this payment matched a claim of this clinic."
                return
            try:
                header = self._header(data)
                with session.begin_nested():
                    result.posted = self._post(session, data, header, payment.total, result.skipped)
            except (AlreadyPosted, ValidationError) as exc:
                result.refused = str(exc)

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
    def _header(self, data: RemitInput) -> dict:
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
        if not data.claims:
            errors["claims"] = "Apply the payment to at least one claim."
        if errors:
            raise ValidationError(errors)
        return {"trace": trace, "method": method, "paid_on": paid_on}

    def _post(self, session: Session, data: RemitInput, header: dict, total: Decimal | None = None,
              skipped: dict[str, str] | None = None) -> RemitResult:
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
        book = ArBook(self.ctx, session)
        posted: list[PostedClaim] = []
        errors: dict[str, str] = {}
        for claim in data.claims:
            try:
                with session.begin_nested():
                    posted.append(self._post_claim(session, book, remit, payer, claim))
            except (ValidationError, NotFound) as exc:
                problems = exc.errors if isinstance(exc, ValidationError) else {"": str(exc)}
                if skipped is None:
                    errors.update({f"claim {claim.encounter_id} {k}".strip(): v for k, v in problems.items()})
                else:
                    skipped[f"OC{claim.encounter_id}"] = "; ".join(f"{k} {v}".strip() for k, v in problems.items())
        if errors:
            raise ValidationError(errors)
        if not any(p.changed for p in posted) and posted:
            raise AlreadyPosted(f"Nothing new: {payer.name} trace {header['trace']} was posted for these lines "
                                "already, with the same amounts.")
        audit.record(session, now, self.ctx.actor, "remit.post", entity="remittance", entity_id=remit.id,
                     summary=f"{payer.name} {header['method']} {header['trace']}: {money(total)} over "
                             f"{len(posted)} claims")
        return RemitResult(remit.id, payer.name, remit.trace_number, total, posted)

    def _post_claim(self, session: Session, book: ArBook, remit: Remittance, payer: Payer,
                    claim: ClaimPayment) -> PostedClaim:
        """Apply the payer's adjudication of each line. A line adjudicated before (a second EOB, a
        corrected 835) posts only the difference from what its earlier remittances posted, so the
        same figures twice change nothing and a correction replaces, never adds to, the first."""
        encounter = get_or_fail(session, Encounter, claim.encounter_id, "encounter")
        if encounter.status not in PAYABLE:
            raise ValidationError({"state": f"is {encounter.status.replace('_', ' ')}: only a submitted claim "
                                            "takes an insurer's payment."})
        billed_to = session.scalar(select(ArEntry.payer_id).where(
            ArEntry.encounter_id == encounter.id, ArEntry.kind == ArKind.CHARGE, ArEntry.account == Account.INSURER)
            .order_by(ArEntry.id.desc()).limit(1))
        if billed_to is not None and billed_to != payer.id:
            name = session.scalar(select(Payer.name).where(Payer.id == billed_to))
            raise ValidationError({"payer": f"was billed to {name}, not {payer.name}."})
        if not claim.lines:
            raise ValidationError({"lines": "no lines to apply the payment to."})
        patient = session.get(Patient, encounter.patient_id)
        paid_total = adjusted = to_patient = Decimal("0.00")
        denied: list[str] = []
        changed = False
        seen: set[int] = set()
        for n, line_in in enumerate(claim.lines, start=1):
            line = session.get(ChargeLine, line_in.charge_line_id)
            if line is None or line.encounter_id != encounter.id:
                raise ValidationError({f"line {n}": "is not a line of this claim."})
            if line.id in seen:
                raise ValidationError({f"line {line.line_no}": "is listed twice in one payment."})
            seen.add(line.id)
            billed = line.fee * line.units
            paid = parse_signed(line_in.paid, "paid")
            adjustments = []
            for a in line_in.adjustments:
                group, reason = clean_text(a.group).upper(), clean_text(a.reason).upper()
                if group not in GROUPS:
                    raise ValidationError({f"line {line.line_no}": f"adjustment group {group!r}: CO, PR, OA, PI or CR."})
                if not reason or len(reason) > 5:
                    raise ValidationError({f"line {line.line_no}": "each adjustment needs its reason code (e.g. 45)."})
                adjustments.append((group, reason, parse_signed(a.amount, "adjustment")))
            if paid + sum(a for _, _, a in adjustments) != billed:
                raise ValidationError({f"line {line.line_no}": (
                    f"{line.code} billed {money(billed)} but paid {money(paid)} + adjustments "
                    f"{money(sum((a for _, _, a in adjustments), Decimal(0)))} do not add up to it.")})
            denial = is_denial(paid, adjustments)
            # Denial reasons stay owing (the work list); the contract and the patient's share post.
            posted_adjustments = [(g, r, a) for g, r, a in adjustments
                                  if g != "PR" and (not denial or r in CONTRACTUAL)]
            share = sum((a for g, _, a in adjustments if g == "PR"), Decimal("0.00"))
            before = self._adjudicated(session, line.id)
            key = f"remit:{remit.id}:{line.id}"
            delta_paid = paid - before[0]
            delta_adjusted = sum((a for _, _, a in posted_adjustments), Decimal("0.00")) - before[1]
            delta_share = share - before[2]
            text = " ".join(describe(g, r) for g, r, _ in adjustments if g != "PR" and r not in CONTRACTUAL)
            said_before = session.scalar(select(RemitLine.denial).where(RemitLine.charge_line_id == line.id)
                                         .order_by(RemitLine.id.desc()).limit(1))
            changed = changed or any((delta_paid, delta_adjusted, delta_share)) or said_before != (
                text[:80] if denial else "")
            book.post(encounter, f"{key}:paid", Account.INSURER, ArKind.PAYMENT, -delta_paid, payer_id=payer.id,
                      line_id=line.id, remittance_id=remit.id, memo=f"{payer.name} {remit.trace_number}")
            if before == (0, 0, 0):  # the first adjudication: each adjustment with its own reason
                parts = [(g, r, a) for g, r, a in posted_adjustments] + [(g, r, a) for g, r, a in adjustments
                                                                         if g == "PR"]
            else:  # a correction: the difference, under the new adjudication's first reason
                first_adj = posted_adjustments[0][:2] if posted_adjustments else ("CO", "45")
                first_pr = next(((g, r) for g, r, _ in adjustments if g == "PR"), ("PR", "2"))
                parts = [(*first_adj, delta_adjusted), (*first_pr, delta_share)]
            for i, (group, reason, amount) in enumerate(parts):
                if group == "PR":
                    book.post(encounter, f"{key}:{i}:out", Account.INSURER, ArKind.TRANSFER, -amount, payer_id=payer.id,
                              line_id=line.id, group=group, reason=reason, remittance_id=remit.id,
                              memo=describe(group, reason))
                    book.post(encounter, f"{key}:{i}:in", Account.PATIENT, ArKind.TRANSFER, amount, line_id=line.id,
                              group=group, reason=reason, remittance_id=remit.id, memo=describe(group, reason))
                else:
                    book.post(encounter, f"{key}:{i}:adj", Account.INSURER, ArKind.ADJUSTMENT, -amount,
                              payer_id=payer.id, line_id=line.id, group=group, reason=reason,
                              remittance_id=remit.id, memo=describe(group, reason))
            if denial:
                denied.append(f"line {line.line_no} {line.code}: {text}")
            allowed = (parse_signed(line_in.allowed, "allowed") if line_in.allowed not in (None, "")
                       else billed - sum((a for g, _, a in adjustments if g != "PR"), Decimal(0)))
            session.add(RemitLine(remittance_id=remit.id, encounter_id=encounter.id, charge_line_id=line.id,
                                  billed=billed, allowed=allowed, paid=paid, patient_responsibility=share,
                                  denial=text[:80] if denial else ""))
            paid_total += delta_paid
            adjusted += delta_adjusted
            to_patient += delta_share
        session.flush()
        encounter.status = self._state(session, book, encounter)
        encounter.updated_at = self.ctx.now()
        try:
            session.flush()
        except StaleDataError:
            raise ConcurrentEdit("claim") from None
        audit.record(session, self.ctx.now(), self.ctx.actor, "remit.apply", entity="encounter",
                     entity_id=encounter.id, patient_id=encounter.patient_id,
                     summary=f"{payer.name} paid {money(paid_total)}, adjusted {money(adjusted)}, patient "
                             f"{money(to_patient)}{'; denied ' + '; '.join(denied) if denied else ''}")
        return PostedClaim(encounter.id, f"{patient.last_name}, {patient.first_name}", paid_total, adjusted,
                           to_patient, denied, encounter.status, changed)

    @staticmethod
    def _adjudicated(session: Session, line_id: int) -> tuple[Decimal, Decimal, Decimal]:
        """What earlier remittances posted on a line: paid, adjusted, moved to the patient."""
        rows = dict(session.execute(
            select(ArEntry.kind, func.sum(ArEntry.amount)).where(
                ArEntry.charge_line_id == line_id, ArEntry.remittance_id.is_not(None),
                ArEntry.account == Account.INSURER).group_by(ArEntry.kind)).all())
        value = lambda kind: -Decimal(rows.get(kind) or 0).quantize(Decimal("0.01"))  # noqa: E731
        return value(ArKind.PAYMENT), value(ArKind.ADJUSTMENT), value(ArKind.TRANSFER)

    @staticmethod
    def _state(session: Session, book: ArBook, encounter: Encounter) -> str:
        balance = book.balance(encounter)
        if balance.insurer == 0:
            return St.CLOSED if balance.patient <= 0 else St.PAID
        if balance.insurer < 0:
            return St.PAID  # overpaid: stays open until the refund is settled
        paid = session.scalar(select(func.coalesce(func.sum(ArEntry.amount), 0)).where(
            ArEntry.encounter_id == encounter.id, ArEntry.kind == ArKind.PAYMENT))
        owing_denied = session.scalar(select(func.count()).select_from(RemitLine).where(
            RemitLine.encounter_id == encounter.id, RemitLine.denial != ""))
        return St.DENIED if paid == 0 and owing_denied else St.PARTIALLY_PAID
