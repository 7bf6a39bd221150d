"""Reading an X12 835 (005010X221A1) remittance into plain values, with pyx12's reader.

pyx12 finds the delimiters from the ISA and splits the segments. Before anything is taken from
the file, the whole interchange is checked: the envelopes (ISA/IEA, GS/GE, ST/SE) open and close
in order with matching control numbers and counts, no segment is cut off, and each payment's
total (BPR02) is its claims' payments (CLP04) less its provider-level adjustments (PLB). A file
that fails is refused as a whole, naming the segment (numbered from 1 at the ISA) and what is
wrong with it. Then this module picks out what posting needs: per check or EFT (BPR/TRN, PLB),
per claim (CLP, claim-level CAS, MIA/MOA remarks) and per service line (SVC, CAS, REF*6R,
AMT*B6, LQ remarks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from officeconsole.services.common.errors import OfficeError
from officeconsole.services.formats.x12_envelope import (
    Envelopes,
    Segment,
    X12Fail,
    read_segments,
    x12_amount_value,
    x12_date,
)


class RemitFileError(OfficeError):
    """The file is not an 835 we can read, or not a whole one: nothing was posted."""


@dataclass
class ParsedLine:
    code: str
    modifiers: tuple[str, ...]
    billed: Decimal
    paid: Decimal
    line_ref: str = ""  # REF*6R: our charge line id, echoed back
    allowed: Decimal | None = None
    adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # LQ: remark codes (RARC)


@dataclass
class ParsedClaim:
    claim_id: str  # CLP01, our CLM01
    status: str  # CLP02: 1 primary, 2 secondary, 3 tertiary, 4 denied, 22 reversal of an earlier payment
    billed: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    payer_claim_number: str  # CLP07
    lines: list[ParsedLine] = field(default_factory=list)
    adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)  # claim-level CAS
    remarks: list[str] = field(default_factory=list)  # MIA/MOA remark codes
    segment: int = 0  # the CLP's number in the file


@dataclass
class ProviderAdjustment:
    """One PLB adjustment: positive takes money off the payment, negative adds to it (interest)."""

    reason: str  # PLB03-1: L6 interest, WO overpayment recovery, FB forwarding balance, 72 take-back...
    reference: str  # PLB03-2: the payer's reference (often the claim it concerns)
    amount: Decimal


@dataclass
class ParsedPayment:
    payer_name: str
    payer_code: str
    trace_number: str
    method: str  # check, eft, none
    paid_on: dt.date | None
    total: Decimal
    claims: list[ParsedClaim] = field(default_factory=list)
    provider_adjustments: list[ProviderAdjustment] = field(default_factory=list)
    segment: int = 0  # the ST's number in the file

    @property
    def provider_total(self) -> Decimal:
        return sum((p.amount for p in self.provider_adjustments), Decimal("0.00"))


@dataclass
class Parsed835:
    payments: list[ParsedPayment]
    digest: str  # SHA-256 of the segments, so line breaks or trailing spaces do not make a new file


METHODS = {"CHK": "check", "ACH": "eft", "FWT": "eft", "BOP": "eft", "NON": "none"}
_Fail = X12Fail
_amount = x12_amount_value
_date = x12_date


def parse_835(text: str) -> list[ParsedPayment]:
    return read_835(text).payments


def read_835(text: str) -> Parsed835:
    """The whole interchange, checked; RemitFileError (naming the segment) when any of it is wrong."""
    segments, _seg_term, digest = read_segments(text, RemitFileError)
    try:
        payments = _walk(segments)
    except X12Fail as exc:
        raise RemitFileError(f"Nothing was posted: {exc}") from None
    return Parsed835(payments, digest)


def _walk(segments: list[Segment]) -> list[ParsedPayment]:  # noqa: C901  (one pass over the file, segment by segment)
    payments: list[ParsedPayment] = []
    envelopes = Envelopes("HP", "835", "an 835 remittance")
    current: ParsedPayment | None = None
    claim: ParsedClaim | None = None
    line: ParsedLine | None = None
    bpr_at = 0
    for n, seg in enumerate(segments, start=1):
        sid = seg.get_seg_id()
        v: Callable[[str], str] = lambda ref: (seg.get_value(ref) or "").strip()  # noqa: E731
        amount: Callable[[str], Decimal] = lambda ref: _amount(v(ref), n, sid, ref)  # noqa: E731
        where = envelopes.step(n, seg)
        if where == "ST":
            current = ParsedPayment("", "", "", "check", None, Decimal(0), segment=n)
            claim, line, bpr_at = None, None, 0
            payments.append(current)
            continue
        if where not in ("SE", "body"):
            continue
        if current is None:  # the envelopes refuse an SE or body segment unless an ST opened a transaction
            raise X12Fail(n, sid, "a segment outside a transaction (between the envelopes).")
        if where == "SE":
            _check_payment(current, bpr_at, n)
            current = None
            continue
        if sid == "BPR":
            bpr_at = n
            total = amount("BPR02")
            current.total = -total if v("BPR03") == "D" else total
            current.method = METHODS.get(v("BPR04"), "check")
            current.paid_on = _date(v("BPR16"), n, sid)
        elif sid == "TRN":
            current.trace_number = v("TRN02")
        elif sid == "N1" and v("N101") == "PR":
            current.payer_name = v("N102")
            current.payer_code = current.payer_code or v("N104")
        elif sid == "REF" and v("REF01") == "2U" and claim is None:
            current.payer_code = v("REF02")
        elif sid == "CLP":
            claim = ParsedClaim(v("CLP01"), v("CLP02"), amount("CLP03"), amount("CLP04"),
                                _amount(v("CLP05") or "0", n, sid, "CLP05"), v("CLP07"), segment=n)
            current.claims.append(claim)
            line = None
        elif sid in ("MIA", "MOA") and claim is not None:
            refs = ("MIA05", "MIA20", "MIA21", "MIA22", "MIA23") if sid == "MIA" else \
                ("MOA03", "MOA04", "MOA05", "MOA06", "MOA07")
            claim.remarks.extend(code for code in (v(r) for r in refs) if code)
        elif sid == "SVC" and claim is not None:
            modifiers = tuple(m for m in (v(f"SVC01-{k}") for k in range(3, 7)) if m)
            line = ParsedLine(v("SVC01-2"), modifiers, amount("SVC02"), amount("SVC03"))
            claim.lines.append(line)
        elif sid == "CAS":
            target = line.adjustments if line is not None else (claim.adjustments if claim else None)
            if target is not None:
                group = v("CAS01")
                for k in range(2, 19, 3):
                    reason, value = v(f"CAS{k:02d}"), v(f"CAS{k + 1:02d}")
                    if reason and value:
                        target.append((group, reason, _amount(value, n, sid, f"CAS{k + 1:02d}")))
        elif sid == "REF" and v("REF01") == "6R" and line is not None:
            line.line_ref = v("REF02")
        elif sid == "AMT" and v("AMT01") == "B6" and line is not None:
            line.allowed = amount("AMT02")
        elif sid == "LQ" and line is not None and v("LQ02"):
            line.remarks.append(v("LQ02"))
        elif sid == "PLB":
            claim, line = None, None
            for k in range(3, 15, 2):
                reason, value = v(f"PLB{k:02d}-1"), v(f"PLB{k + 1:02d}")
                if not reason and not value:
                    continue
                if len(reason) != 2 or not value:
                    raise _Fail(n, sid, f"PLB{k:02d}/PLB{k + 1:02d}: each adjustment needs its two-letter reason "
                                        "and its amount.")
                current.provider_adjustments.append(ProviderAdjustment(
                    reason, v(f"PLB{k:02d}-2")[:50], _amount(value, n, sid, f"PLB{k + 1:02d}")))
    envelopes.finish(segments[-1].get_seg_id())
    return payments


def _check_payment(payment: ParsedPayment, bpr_at: int, se_at: int) -> None:
    if not bpr_at:
        raise _Fail(se_at, "SE", f"the transaction at segment {payment.segment} has no payment (BPR) segment.")
    if not payment.trace_number:
        raise _Fail(se_at, "SE", f"the transaction at segment {payment.segment} has no trace number (TRN02).")
    claims = sum((c.paid for c in payment.claims), Decimal("0.00"))
    if payment.total != claims - payment.provider_total:
        raise _Fail(bpr_at, "BPR", f"the payment total {payment.total} is not the claims paid ({claims}, "
                                   f"{len(payment.claims)} CLP) less the provider adjustments "
                                   f"({payment.provider_total}, PLB) = {claims - payment.provider_total}.")
