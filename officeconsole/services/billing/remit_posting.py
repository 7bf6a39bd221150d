"""One payer's adjudication of one claim, posted line by line onto the accounts receivable.

Per line: the payment and the adjustments leave the payer's account; the patient's share (group
PR) moves to the next payer in the claim's chain when one is in force (coordination of
benefits, see cob), else to the patient; a line denied outright stays owing (the denial work
list). Adjustments for the prior payer's adjudication (reason 23, on a secondary's 835) post
nothing: that part was settled by the earlier payer. Every adjustment the payer gave is kept
(remit_adjustment) for the next payer's claim to repeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ScalarSelect, and_, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import (
    ArEntry,
    ChargeLine,
    Encounter,
    InsurancePolicy,
    Patient,
    Payer,
    RemitAdjustment,
    RemitClaim,
    RemitLine,
    Remittance,
)
from officeconsole.models.billing import EncounterStatus as St
from officeconsole.models.claims import Account, ArKind
from officeconsole.services.billing import cob
from officeconsole.services.billing.ar_book import ArBook, ClaimBalance
from officeconsole.services.billing.claim_data import load_claim
from officeconsole.services.billing.remit_inputs import (
    CONTRACTUAL,
    GROUPS,
    PRIOR_PAYER,
    Adjustment,
    ClaimPayment,
    describe,
    is_denial,
)
from officeconsole.services.billing.scrubber import scrub
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, ValidationError
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.money import money, parse_signed
from officeconsole.services.common.text import clean_text
from officeconsole.services.security import audit

PAYABLE = (St.SUBMITTED, St.ACCEPTED, St.PARTIALLY_PAID, St.DENIED, St.PAID)  # PAID: a corrected EOB


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
    to_next_payer: Decimal = Decimal("0.00")  # the patient's share handed to the secondary (or tertiary)
    next_payer: str = ""  # its name
    next_claim: str = ""  # what became of the claim: "ready to send", "expected by crossover" or the problem


class ClaimPoster:
    def __init__(self, ctx: ServiceContext, session: Session, book: ArBook) -> None:
        self.ctx = ctx
        self.session = session
        self.book = book

    def post(self, remit: Remittance, payer: Payer, claim: ClaimPayment, n: int = 1) -> PostedClaim:
        """Apply the payer's adjudication of each line. A line adjudicated before (a second EOB, a
        corrected 835) posts only the difference from what this payer's earlier remittances posted,
        so the same figures twice change nothing and a correction replaces, never adds to, the first.
        A reversal takes back, entry by entry, what the payer's earlier remittances posted."""
        session, book = self.session, self.book
        encounter = get_or_fail(session, Encounter, claim.encounter_id, "encounter")
        self._check_payer(encounter, payer, claim)
        if not claim.lines:
            raise ValidationError({"lines": "no lines to apply the payment to."})
        following = None if claim.reversal else cob.next_policy(session, encounter, payer.id)
        to_payer = None if following is None else following.payer_id
        patient = get_or_fail(session, Patient, encounter.patient_id, "patient")
        paid_total = adjusted = to_patient = Decimal("0.00")
        billed_total = lines_paid = shares = Decimal("0.00")
        denied: list[str] = []
        changed = False
        seen: set[int] = set()
        said: list[tuple[RemitLine, list[tuple[str, str, Decimal]]]] = []
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
            adjustments = adjustments_of(line_in.adjustments, f"line {line.line_no}")
            if paid + sum(a for _, _, a in adjustments) != billed:
                raise ValidationError({f"line {line.line_no}": (
                    f"{line.code} billed {money(billed)} but paid {money(paid)} + adjustments "
                    f"{money(sum((a for _, _, a in adjustments), Decimal(0)))} do not add up to it.")})
            own = [a for a in adjustments if a[1] != PRIOR_PAYER]  # the earlier payer's part posts nothing here
            before = self._adjudicated(line.id, payer.id)
            key = f"remit:{remit.id}:{n}:{line.id}"
            share = sum((a for g, _, a in own if g == "PR"), Decimal("0.00"))
            if claim.reversal:
                if -paid != before[0]:
                    raise ValidationError({f"line {line.line_no}": (
                        f"{line.code}: the payer takes back {money(-paid)} but {money(before[0])} was posted on "
                        "this line: post the reversal by hand after reading the EOB.")})
                self._reverse(encounter, payer, remit, key, line.id)
                denial, text = False, ""
                delta_paid, delta_adjusted, delta_share = (-x for x in before)
            else:
                denial = is_denial(paid, own)
                # Denial reasons stay owing (the work list); the contract and the patient's share post.
                posted_adjustments = [(g, r, a) for g, r, a in own if g != "PR" and (not denial or r in CONTRACTUAL)]
                delta_paid = paid - before[0]
                delta_adjusted = sum((a for _, _, a in posted_adjustments), Decimal("0.00")) - before[1]
                delta_share = share - before[2]
                text = " ".join(describe(g, r) for g, r, _ in own if g != "PR" and r not in CONTRACTUAL)
                self._post_parts(encounter, payer, remit, key, line.id, own, posted_adjustments, before,
                                 delta_paid, delta_adjusted, delta_share, to_payer)
            said_before = session.scalar(select(RemitLine.denial).where(RemitLine.charge_line_id == line.id)
                                         .order_by(RemitLine.id.desc()).limit(1))
            changed = changed or any((delta_paid, delta_adjusted, delta_share)) or said_before != (
                text[:80] if denial else "")
            if denial:
                denied.append(f"line {line.line_no} {line.code}: {text}")
            allowed = (parse_signed(line_in.allowed, "allowed") if line_in.allowed not in (None, "")
                       else billed - sum((a for g, _, a in adjustments if g != "PR"), Decimal(0)))
            remit_line = RemitLine(remittance_id=remit.id, encounter_id=encounter.id, charge_line_id=line.id,
                                   billed=billed, allowed=allowed, paid=paid, patient_responsibility=share,
                                   denial=text[:80] if denial else "", remark_codes=codes(line_in.remarks))
            session.add(remit_line)
            said.append((remit_line, adjustments))
            paid_total += delta_paid
            adjusted += delta_adjusted
            to_patient += delta_share
            billed_total += billed
            lines_paid += paid
            shares += share
        claim_adjustments = adjustments_of(claim.adjustments, "claim")
        claim_paid = lines_paid if claim.paid in (None, "") else parse_signed(claim.paid, "paid")
        deltas = self._post_claim_level(encounter, payer, remit, n, claim, claim_adjustments, lines_paid, claim_paid,
                                        to_payer)
        shares += sum((a for g, r, a in claim_adjustments if g == "PR" and r != PRIOR_PAYER), Decimal("0.00"))
        changed = changed or any(deltas)
        paid_total, adjusted, to_patient = paid_total + deltas[0], adjusted + deltas[1], to_patient + deltas[2]
        remit_claim = RemitClaim(remittance_id=remit.id, encounter_id=encounter.id, status_code=claim.status_code[:2],
                                 payer_claim_number=clean_text(claim.payer_claim_number, 50), billed=billed_total,
                                 paid=claim_paid, patient_responsibility=shares, remark_codes=codes(claim.remarks))
        session.add(remit_claim)
        session.flush()
        session.add_all(RemitAdjustment(remit_claim_id=remit_claim.id, remit_line_id=line_id, group_code=g,
                                        reason_code=r, amount=a)
                        for line_id, adjustments in [*((x.id, a) for x, a in said), (None, claim_adjustments)]
                        for g, r, a in adjustments)
        balance = book.balance(encounter)
        encounter.status = self._state(encounter, payer.id, balance)
        if claim.reversal and balance.charged and balance.insurer == balance.charged:
            encounter.status = St.ACCEPTED  # nothing adjudicated any more: waiting for the corrected claim
        encounter.updated_at = self.ctx.now()
        next_claim = ""
        if following is not None and to_patient > 0:
            next_claim = self._hand_off(encounter, following)
        try:
            session.flush()
        except StaleDataError:
            raise ConcurrentEdit("claim") from None
        what = "took back" if claim.reversal else "paid"
        share_to = (f"{get_or_fail(session, Payer, to_payer, 'payer').name} (secondary claim {next_claim})"
                    if to_payer else "patient")
        audit.record(session, self.ctx.now(), self.ctx.actor, "remit.apply", entity="encounter",
                     entity_id=encounter.id, patient_id=encounter.patient_id,
                     summary=f"{payer.name} {what} {money(paid_total)}, adjusted {money(adjusted)}, {share_to} "
                             f"{money(to_patient)}{'; denied ' + '; '.join(denied) if denied else ''}")
        handed = to_patient if to_payer else Decimal("0.00")
        return PostedClaim(encounter.id, f"{patient.last_name}, {patient.first_name}", paid_total, adjusted,
                           to_patient - handed, denied, encounter.status, changed, claim.reversal,
                           clean_text(claim.payer_claim_number, 50), handed,
                           get_or_fail(session, Payer, to_payer, "payer").name if to_payer else "", next_claim)

    def _check_payer(self, encounter: Encounter, payer: Payer, claim: ClaimPayment) -> None:
        """The claim takes payments in its submitted states, from a payer it went to."""
        session = self.session
        if encounter.status not in PAYABLE and not (claim.reversal and encounter.status == St.CLOSED):
            raise ValidationError({"state": f"is {encounter.status.replace('_', ' ')}: only a submitted claim "
                                            "takes an insurer's payment."})
        billed = cob.payers_billed(session, encounter) if encounter.policy_id is not None else []
        charged_to = session.scalar(select(ArEntry.payer_id).where(
            ArEntry.encounter_id == encounter.id, ArEntry.kind == ArKind.CHARGE, ArEntry.account == Account.INSURER)
            .order_by(ArEntry.id.desc()).limit(1))
        if charged_to is None or payer.id == charged_to or payer.id in billed:
            return
        if cob.chain_position(session, encounter, payer.id):
            primary = session.scalar(select(Payer.name).where(Payer.id == charged_to))
            raise ValidationError({"payer": (
                f"{payer.name} is the patient's secondary (or tertiary) payer, but no claim for this visit was "
                f"sent to it: it is still {primary}'s claim. Post {primary}'s remittance first; the secondary "
                "claim follows from it.")})
        name = session.scalar(select(Payer.name).where(Payer.id == charged_to))
        raise ValidationError({"payer": f"was billed to {name}, not {payer.name}."})

    def _post_claim_level(self, encounter: Encounter, payer: Payer, remit: Remittance, n: int, claim: ClaimPayment,
                          adjustments: list[tuple[str, str, Decimal]], lines_paid: Decimal, claim_paid: Decimal,
                          to_payer: int | None) -> tuple[Decimal, Decimal, Decimal]:
        """Claim-level adjustments (CAS before the first SVC) post to the claim: what they take off the
        lines' payments comes back onto the insurer's account, then is adjusted or moved on."""
        taken_off = lines_paid - claim_paid
        if taken_off != sum((a for _, _, a in adjustments), Decimal("0.00")):
            raise ValidationError({"claim": f"paid {money(claim_paid)}, but its lines paid {money(lines_paid)} and the "
                                            "claim-level adjustments do not account for the difference."})
        key = f"remit:{remit.id}:{n}:claim"
        before = self._adjudicated(None, payer.id, encounter.id)
        own = [a for a in adjustments if a[1] != PRIOR_PAYER]
        if claim.reversal:
            self._reverse(encounter, payer, remit, key, None)
            return -before[0], -before[1], -before[2]
        if not own:  # nothing said about the claim as a whole: what was posted stands
            return (Decimal("0.00"),) * 3
        share = sum((a for g, _, a in own if g == "PR"), Decimal("0.00"))
        posted = [(g, r, a) for g, r, a in own if g != "PR"]
        deltas = (-taken_off - before[0], sum((a for _, _, a in posted), Decimal("0.00")) - before[1],
                  share - before[2])
        self._post_parts(encounter, payer, remit, key, None, own, posted, before, *deltas, to_payer)
        return deltas

    def _hand_off(self, encounter: Encounter, policy: InsurancePolicy) -> str:
        """The claim becomes the next payer's: expected by crossover, ready to send, or held in the
        queue with the scrubber's problem (a secondary payer with no payer ID, say)."""
        if cob.hand_to(self.session, encounter, policy):
            return "expected by crossover"
        self.session.flush()
        problems = scrub(load_claim(self.session, encounter.id), self.ctx.today())
        if not problems:
            return "ready to send"
        encounter.status = St.NEEDS_CODING
        encounter.note = clean_text("Secondary claim: " + "; ".join(p.message for p in problems), 200)
        return "held: " + "; ".join(p.message for p in problems)

    def _post_parts(self, encounter: Encounter, payer: Payer, remit: Remittance, key: str, line_id: int | None,
                    adjustments: list[tuple[str, str, Decimal]], posted_adjustments: list[tuple[str, str, Decimal]],
                    before: tuple[Decimal, Decimal, Decimal],
                    delta_paid: Decimal, delta_adjusted: Decimal, delta_share: Decimal,
                    to_payer: int | None = None) -> None:
        """Post one line's (or the claim's) adjudication: the payment, adjustments and patient share
        (onto the next payer's account when `to_payer` is given, else the patient's)."""
        book = self.book
        book.post(encounter, f"{key}:paid", Account.INSURER, ArKind.PAYMENT, -delta_paid, payer_id=payer.id,
                  line_id=line_id, remittance_id=remit.id, memo=f"{payer.name} {remit.trace_number}")
        if before == (Decimal(0),) * 3:  # the first adjudication: each adjustment with its own reason
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
                book.post(encounter, f"{key}:{i}:in", Account.PATIENT if to_payer is None else Account.INSURER,
                          ArKind.TRANSFER, amount, payer_id=to_payer, line_id=line_id, group=group, reason=reason,
                          remittance_id=remit.id, memo=describe(group, reason)
                          + (f" (to the secondary, from {payer.name})" if to_payer else ""))
            else:
                book.post(encounter, f"{key}:{i}:adj", Account.INSURER, ArKind.ADJUSTMENT, -amount,
                          payer_id=payer.id, line_id=line_id, group=group, reason=reason,
                          remittance_id=remit.id, memo=describe(group, reason))

    def _reverse(self, encounter: Encounter, payer: Payer, remit: Remittance, key: str, line_id: int | None) -> None:
        """Negative entries for what the payer's earlier remittances posted on a line (or on the claim itself)."""
        where = ArEntry.charge_line_id == line_id if line_id is not None else and_(
            ArEntry.encounter_id == encounter.id, ArEntry.charge_line_id.is_(None))
        rows = self.session.execute(
            select(ArEntry.account, ArEntry.kind, ArEntry.group_code, ArEntry.reason_code, ArEntry.payer_id,
                   func.sum(ArEntry.amount))
            .where(where, ArEntry.remittance_id.in_(_remittances_of(payer.id)))
            .group_by(ArEntry.account, ArEntry.kind, ArEntry.group_code, ArEntry.reason_code, ArEntry.payer_id)
            .order_by(ArEntry.account, ArEntry.kind, ArEntry.group_code, ArEntry.reason_code)).all()
        for i, (account, kind, group, reason, payer_id, amount) in enumerate(rows):
            self.book.post(encounter, f"{key}:r{i}", account, kind, -Decimal(amount or 0).quantize(Decimal("0.01")),
                           payer_id=payer_id, line_id=line_id, group=group, reason=reason, remittance_id=remit.id,
                           memo=f"Reversed by {payer.name} {remit.trace_number}")

    def _adjudicated(self, line_id: int | None, payer_id: int,
                     encounter_id: int | None = None) -> tuple[Decimal, Decimal, Decimal]:
        """What the payer's earlier remittances posted on a line (or, with no line, on the claim itself):
        paid, adjusted, moved on (to the patient or the next payer)."""
        where = ArEntry.charge_line_id == line_id if line_id is not None else and_(
            ArEntry.encounter_id == encounter_id, ArEntry.charge_line_id.is_(None))
        rows = dict(self.session.execute(
            select(ArEntry.kind, func.sum(ArEntry.amount)).where(
                where, ArEntry.remittance_id.in_(_remittances_of(payer_id)), ArEntry.payer_id == payer_id,
                ArEntry.account == Account.INSURER).group_by(ArEntry.kind)).all())
        def value(kind: str) -> Decimal:
            return -Decimal(rows.get(kind) or 0).quantize(Decimal("0.01"))

        return value(ArKind.PAYMENT), value(ArKind.ADJUSTMENT), value(ArKind.TRANSFER)

    def _state(self, encounter: Encounter, payer_id: int, balance: ClaimBalance) -> str:
        if balance.insurer == 0:
            return St.CLOSED if balance.patient <= 0 else St.PAID
        if balance.insurer < 0:
            return St.PAID  # overpaid: stays open until the refund is settled
        paid = self.session.scalar(select(func.coalesce(func.sum(ArEntry.amount), 0)).where(
            ArEntry.encounter_id == encounter.id, ArEntry.kind == ArKind.PAYMENT, ArEntry.payer_id == payer_id))
        owing_denied = self.session.scalar(select(func.count()).select_from(RemitLine).where(
            RemitLine.encounter_id == encounter.id, RemitLine.denial != "",
            RemitLine.remittance_id.in_(_remittances_of(payer_id))))
        return St.DENIED if paid == 0 and owing_denied else St.PARTIALLY_PAID


def _remittances_of(payer_id: int) -> ScalarSelect[int]:
    return select(Remittance.id).where(Remittance.payer_id == payer_id).scalar_subquery()


def adjustments_of(given: list[Adjustment], where: str) -> list[tuple[str, str, Decimal]]:
    """The adjustments as (group, reason, amount), each checked."""
    result = []
    for a in given:
        group, reason = clean_text(a.group).upper(), clean_text(a.reason).upper()
        if group not in GROUPS:
            raise ValidationError({where: f"adjustment group {group!r}: CO, PR, OA, PI or CR."})
        if not reason or len(reason) > 5:
            raise ValidationError({where: "each adjustment needs its reason code (e.g. 45)."})
        result.append((group, reason, parse_signed(a.amount, "adjustment")))
    return result


def codes(given: list[str]) -> str:
    """Remark codes as stored: "N130,M15", cut to the column."""
    text = ",".join(clean_text(c, 10).upper() for c in given if clean_text(c, 10))
    return text[:100].rsplit(",", 1)[0] if len(text) > 100 else text
