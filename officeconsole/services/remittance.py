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

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import (
    ArEntry,
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
from officeconsole.services.remittance_835 import match_payment
from officeconsole.services.x12_835 import ParsedPayment, read_835

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
    reversal: bool = False  # the payer took back an earlier payment (CLP02 = 22)
    payer_claim_number: str = ""  # CLP07


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
        if not data.claims and not (data.source == RemitSource.X835 and data.provider_adjustments):
            errors["claims"] = "Apply the payment to at least one claim."
        if errors:
            raise ValidationError(errors)
        return {"trace": trace, "method": method, "paid_on": paid_on}

    def _post(self, session: Session, data: RemitInput, header: dict, total: Decimal | None = None,
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
        book = ArBook(self.ctx, session)
        posted: list[PostedClaim] = []
        errors: dict[str, str] = {}
        for n, claim in enumerate(data.claims, start=1):
            try:
                with session.begin_nested():
                    posted.append(self._post_claim(session, book, remit, payer, claim, n))
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

    def _post_claim(self, session: Session, book: ArBook, remit: Remittance, payer: Payer,
                    claim: ClaimPayment, n: int = 1) -> PostedClaim:
        """Apply the payer's adjudication of each line. A line adjudicated before (a second EOB, a
        corrected 835) posts only the difference from what its earlier remittances posted, so the
        same figures twice change nothing and a correction replaces, never adds to, the first.
        A reversal takes back, entry by entry, what earlier remittances posted on its lines."""
        encounter = get_or_fail(session, Encounter, claim.encounter_id, "encounter")
        if encounter.status not in PAYABLE and not (claim.reversal and encounter.status == St.CLOSED):
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
        billed_total = lines_paid = shares = Decimal("0.00")
        denied: list[str] = []
        changed = False
        seen: set[int] = set()
        sign = -1 if claim.reversal else 1
        for line_in in claim.lines:
            line = session.get(ChargeLine, line_in.charge_line_id)
            if line is None or line.encounter_id != encounter.id:
                raise ValidationError({f"line {len(seen) + 1}": "is not a line of this claim."})
            if line.id in seen:
                raise ValidationError({f"line {line.line_no}": "is listed twice in one payment."})
            seen.add(line.id)
            billed = line.fee * line.units * sign
            paid = parse_signed(line_in.paid, "paid")
            adjustments = self._adjustments(line_in.adjustments, f"line {line.line_no}")
            if paid + sum(a for _, _, a in adjustments) != billed:
                raise ValidationError({f"line {line.line_no}": (
                    f"{line.code} billed {money(billed)} but paid {money(paid)} + adjustments "
                    f"{money(sum((a for _, _, a in adjustments), Decimal(0)))} do not add up to it.")})
            before = self._adjudicated(session, line.id)
            key = f"remit:{remit.id}:{n}:{line.id}"
            share = sum((a for g, _, a in adjustments if g == "PR"), Decimal("0.00"))
            if claim.reversal:
                if -paid != before[0]:
                    raise ValidationError({f"line {line.line_no}": (
                        f"{line.code}: the payer takes back {money(-paid)} but {money(before[0])} was posted on "
                        "this line: post the reversal by hand after reading the EOB.")})
                self._reverse(session, book, encounter, payer, remit, key, line.id)
                denial, text = False, ""
                delta_paid, delta_adjusted, delta_share = (-x for x in before)
            else:
                denial = is_denial(paid, adjustments)
                # Denial reasons stay owing (the work list); the contract and the patient's share post.
                posted_adjustments = [(g, r, a) for g, r, a in adjustments
                                      if g != "PR" and (not denial or r in CONTRACTUAL)]
                delta_paid = paid - before[0]
                delta_adjusted = sum((a for _, _, a in posted_adjustments), Decimal("0.00")) - before[1]
                delta_share = share - before[2]
                text = " ".join(describe(g, r) for g, r, _ in adjustments if g != "PR" and r not in CONTRACTUAL)
                self._post_parts(book, encounter, payer, remit, key, line.id, adjustments, posted_adjustments,
                                 before, delta_paid, delta_adjusted, delta_share)
            said_before = session.scalar(select(RemitLine.denial).where(RemitLine.charge_line_id == line.id)
                                         .order_by(RemitLine.id.desc()).limit(1))
            changed = changed or any((delta_paid, delta_adjusted, delta_share)) or said_before != (
                text[:80] if denial else "")
            if denial:
                denied.append(f"line {line.line_no} {line.code}: {text}")
            allowed = (parse_signed(line_in.allowed, "allowed") if line_in.allowed not in (None, "")
                       else billed - sum((a for g, _, a in adjustments if g != "PR"), Decimal(0)))
            session.add(RemitLine(remittance_id=remit.id, encounter_id=encounter.id, charge_line_id=line.id,
                                  billed=billed, allowed=allowed, paid=paid, patient_responsibility=share,
                                  denial=text[:80] if denial else "", remark_codes=_codes(line_in.remarks)))
            paid_total += delta_paid
            adjusted += delta_adjusted
            to_patient += delta_share
            billed_total += billed
            lines_paid += paid
            shares += share
        # Claim-level adjustments (CAS before the first SVC) are posted to the claim: what they take off
        # the lines' payments comes back onto the insurer's account, then is adjusted or moved to the patient.
        claim_adjustments = self._adjustments(claim.adjustments, "claim")
        claim_paid = lines_paid if claim.paid in (None, "") else parse_signed(claim.paid, "paid")
        taken_off = lines_paid - claim_paid
        if taken_off != sum((a for _, _, a in claim_adjustments), Decimal("0.00")):
            raise ValidationError({"claim": f"paid {money(claim_paid)}, but its lines paid {money(lines_paid)} and the "
                                            "claim-level adjustments do not account for the difference."})
        key = f"remit:{remit.id}:{n}:claim"
        before = self._adjudicated(session, None, encounter.id)
        if claim.reversal:
            self._reverse(session, book, encounter, payer, remit, key, None)
            deltas = tuple(-x for x in before)
        elif not claim_adjustments:  # nothing said about the claim as a whole: what was posted stands
            deltas = (Decimal("0.00"),) * 3
        else:
            share = sum((a for g, _, a in claim_adjustments if g == "PR"), Decimal("0.00"))
            posted_adjustments = [(g, r, a) for g, r, a in claim_adjustments if g != "PR"]
            deltas = (-taken_off - before[0], sum((a for _, _, a in posted_adjustments), Decimal("0.00")) - before[1],
                      share - before[2])
            self._post_parts(book, encounter, payer, remit, key, None, claim_adjustments, posted_adjustments,
                             before, *deltas)
        shares += sum((a for g, _, a in claim_adjustments if g == "PR"), Decimal("0.00"))
        changed = changed or any(deltas)
        paid_total, adjusted, to_patient = paid_total + deltas[0], adjusted + deltas[1], to_patient + deltas[2]
        session.add(RemitClaim(remittance_id=remit.id, encounter_id=encounter.id, status_code=claim.status_code[:2],
                               payer_claim_number=clean_text(claim.payer_claim_number, 50), billed=billed_total,
                               paid=claim_paid, patient_responsibility=shares, remark_codes=_codes(claim.remarks)))
        session.flush()
        encounter.status = self._state(session, book, encounter)
        balance = book.balance(encounter)
        if claim.reversal and balance.insurer == balance.charged:
            encounter.status = St.ACCEPTED  # nothing adjudicated any more: waiting for the corrected claim
        encounter.updated_at = self.ctx.now()
        try:
            session.flush()
        except StaleDataError:
            raise ConcurrentEdit("claim") from None
        what = "took back" if claim.reversal else "paid"
        audit.record(session, self.ctx.now(), self.ctx.actor, "remit.apply", entity="encounter",
                     entity_id=encounter.id, patient_id=encounter.patient_id,
                     summary=f"{payer.name} {what} {money(paid_total)}, adjusted {money(adjusted)}, patient "
                             f"{money(to_patient)}{'; denied ' + '; '.join(denied) if denied else ''}")
        return PostedClaim(encounter.id, f"{patient.last_name}, {patient.first_name}", paid_total, adjusted,
                           to_patient, denied, encounter.status, changed, claim.reversal,
                           clean_text(claim.payer_claim_number, 50))

    @staticmethod
    def _adjustments(given: list[Adjustment], where: str) -> list[tuple[str, str, Decimal]]:
        result = []
        for a in given:
            group, reason = clean_text(a.group).upper(), clean_text(a.reason).upper()
            if group not in GROUPS:
                raise ValidationError({where: f"adjustment group {group!r}: CO, PR, OA, PI or CR."})
            if not reason or len(reason) > 5:
                raise ValidationError({where: "each adjustment needs its reason code (e.g. 45)."})
            result.append((group, reason, parse_signed(a.amount, "adjustment")))
        return result

    @staticmethod
    def _post_parts(book: ArBook, encounter: Encounter, payer: Payer, remit: Remittance, key: str,
                    line_id: int | None, adjustments: list, posted_adjustments: list,
                    before: tuple[Decimal, Decimal, Decimal], delta_paid: Decimal, delta_adjusted: Decimal,
                    delta_share: Decimal) -> None:
        """Post one line's (or the claim's) adjudication: the payment, adjustments and patient share."""
        book.post(encounter, f"{key}:paid", Account.INSURER, ArKind.PAYMENT, -delta_paid, payer_id=payer.id,
                  line_id=line_id, remittance_id=remit.id, memo=f"{payer.name} {remit.trace_number}")
        if before == (0, 0, 0):  # the first adjudication: each adjustment with its own reason
            parts = list(posted_adjustments) + [(g, r, a) for g, r, a in adjustments if g == "PR"]
        else:  # a correction: the difference, under the new adjudication's first reason
            first_adj = posted_adjustments[0][:2] if posted_adjustments else ("CO", "45")
            first_pr = next(((g, r) for g, r, _ in adjustments if g == "PR"), ("PR", "2"))
            parts = [(*first_adj, delta_adjusted), (*first_pr, delta_share)]
        for i, (group, reason, amount) in enumerate(parts):
            if group == "PR":
                book.post(encounter, f"{key}:{i}:out", Account.INSURER, ArKind.TRANSFER, -amount, payer_id=payer.id,
                          line_id=line_id, group=group, reason=reason, remittance_id=remit.id,
                          memo=describe(group, reason))
                book.post(encounter, f"{key}:{i}:in", Account.PATIENT, ArKind.TRANSFER, amount, line_id=line_id,
                          group=group, reason=reason, remittance_id=remit.id, memo=describe(group, reason))
            else:
                book.post(encounter, f"{key}:{i}:adj", Account.INSURER, ArKind.ADJUSTMENT, -amount,
                          payer_id=payer.id, line_id=line_id, group=group, reason=reason,
                          remittance_id=remit.id, memo=describe(group, reason))

    @staticmethod
    def _reverse(session: Session, book: ArBook, encounter: Encounter, payer: Payer, remit: Remittance, key: str,
                 line_id: int | None) -> None:
        """Negative entries for what earlier remittances posted on a line (or on the claim itself)."""
        where = ArEntry.charge_line_id == line_id if line_id is not None else and_(
            ArEntry.encounter_id == encounter.id, ArEntry.charge_line_id.is_(None))
        rows = session.execute(
            select(ArEntry.account, ArEntry.kind, ArEntry.group_code, ArEntry.reason_code, ArEntry.payer_id,
                   func.sum(ArEntry.amount))
            .where(where, ArEntry.remittance_id.is_not(None))
            .group_by(ArEntry.account, ArEntry.kind, ArEntry.group_code, ArEntry.reason_code, ArEntry.payer_id)
            .order_by(ArEntry.account, ArEntry.kind, ArEntry.group_code, ArEntry.reason_code)).all()
        for i, (account, kind, group, reason, payer_id, amount) in enumerate(rows):
            book.post(encounter, f"{key}:r{i}", account, kind, -Decimal(amount or 0).quantize(Decimal("0.01")),
                      payer_id=payer_id, line_id=line_id, group=group, reason=reason, remittance_id=remit.id,
                      memo=f"Reversed by {payer.name} {remit.trace_number}")

    @staticmethod
    def _adjudicated(session: Session, line_id: int | None,
                     encounter_id: int | None = None) -> tuple[Decimal, Decimal, Decimal]:
        """What earlier remittances posted on a line (or, with no line, on the claim itself): paid,
        adjusted, moved to the patient."""
        where = ArEntry.charge_line_id == line_id if line_id is not None else and_(
            ArEntry.encounter_id == encounter_id, ArEntry.charge_line_id.is_(None))
        rows = dict(session.execute(
            select(ArEntry.kind, func.sum(ArEntry.amount)).where(
                where, ArEntry.remittance_id.is_not(None),
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


def _codes(codes: list[str]) -> str:
    """Remark codes as stored: "N130,M15", cut to the column."""
    text = ",".join(clean_text(c, 10).upper() for c in codes if clean_text(c, 10))
    return text[:100].rsplit(",", 1)[0] if len(text) > 100 else text
