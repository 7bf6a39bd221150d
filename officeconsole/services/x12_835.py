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
import hashlib
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from officeconsole.services.errors import OfficeError


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
_AMOUNT = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")


class _Fail(Exception):
    def __init__(self, n: int, sid: str, message: str) -> None:
        super().__init__(f"segment {n} ({sid}): {message}")


def parse_835(text: str) -> list[ParsedPayment]:
    return read_835(text).payments


def read_835(text: str) -> Parsed835:
    """The whole interchange, checked; RemitFileError (naming the segment) when any of it is wrong."""
    segments, seg_term = _segments(text)
    try:
        payments = _walk(segments)
    except _Fail as exc:
        raise RemitFileError(f"Nothing was posted: {exc}") from None
    digest = hashlib.sha256(seg_term.join(s.format() for s in segments).encode()).hexdigest()
    return Parsed835(payments, digest)


def _segments(text: str) -> tuple[list, str]:
    import pyx12.errors
    import pyx12.x12file

    body = text.lstrip()
    if not body.startswith("ISA"):
        raise RemitFileError("This is not an X12 file (it does not start with ISA).")
    try:
        reader = pyx12.x12file.X12Reader(io.StringIO(body))
        segments = list(reader)
    except pyx12.errors.X12Error as exc:
        raise RemitFileError(f"Nothing was posted: segment 1 (ISA): {exc}.") from None
    seg_term = reader.seg_term or "~"
    end = body if seg_term.isspace() else body.rstrip()
    if not end.endswith(seg_term):
        tail = end.rsplit(seg_term, 1)[-1].strip()
        raise RemitFileError(f"Nothing was posted: segment {len(segments) + 1} ({tail[:3].rstrip('*')}): the file "
                             f"ends in the middle of this segment ({tail[:40]!r}, no {seg_term!r} after it): it "
                             "was cut off. Get the whole file again.")
    return segments, seg_term


def _walk(segments: list) -> list[ParsedPayment]:  # noqa: C901  (one pass over the file, segment by segment)
    payments: list[ParsedPayment] = []
    isa = gs = st = None  # (segment number, control number) of each open envelope
    groups = transactions = 0
    current: ParsedPayment | None = None
    claim: ParsedClaim | None = None
    line: ParsedLine | None = None
    bpr_at = 0
    last = 0
    for n, seg in enumerate(segments, start=1):
        last = n
        sid = seg.get_seg_id()
        v = lambda ref: (seg.get_value(ref) or "").strip()  # noqa: E731
        amount = lambda ref: _amount(v(ref), n, sid, ref)  # noqa: E731
        if isa is None and n > 1:
            raise _Fail(n, sid, "comes after the interchange's trailer (IEA): a file holds one interchange.")
        if sid == "ISA":
            if n > 1:
                raise _Fail(n, sid, "a second interchange header: a file holds one interchange.")
            isa = (n, v("ISA13"))
        elif sid == "GS":
            if gs is not None:
                raise _Fail(n, sid, f"a new functional group starts before the one at segment {gs[0]} ends (GE).")
            if v("GS01") != "HP":
                raise _Fail(n, sid, f"a functional group of kind {v('GS01')!r}: an 835 remittance is HP.")
            gs, transactions = (n, v("GS06")), 0
            groups += 1
        elif sid == "GE":
            if gs is None or st is not None:
                raise _Fail(n, sid, "a group trailer with no group open" if gs is None else
                            f"the group ends before the transaction at segment {st[0]} ends (SE).")
            if v("GE02").lstrip("0") != gs[1].lstrip("0"):
                raise _Fail(n, sid, f"control number {v('GE02')!r} does not match the group header's "
                                    f"{gs[1]!r} (segment {gs[0]}).")
            if v("GE01") != str(transactions):
                raise _Fail(n, sid, f"says the group holds {v('GE01')!r} transactions; it holds {transactions}.")
            gs = None
        elif sid == "IEA":
            if gs is not None:
                raise _Fail(n, sid, f"the interchange ends before the group at segment {gs[0]} ends (GE).")
            if v("IEA02").lstrip("0") != isa[1].lstrip("0"):
                raise _Fail(n, sid, f"control number {v('IEA02')!r} does not match the interchange header's "
                                    f"{isa[1]!r} (segment 1).")
            if v("IEA01") != str(groups):
                raise _Fail(n, sid, f"says the interchange holds {v('IEA01')!r} groups; it holds {groups}.")
            isa = None
        elif sid == "ST":
            if gs is None:
                raise _Fail(n, sid, "a transaction outside a functional group (no GS before it).")
            if st is not None:
                raise _Fail(n, sid, f"a new transaction starts before the one at segment {st[0]} ends (SE).")
            if v("ST01") != "835":
                raise _Fail(n, sid, f"this is an X12 {v('ST01')}, not an 835 remittance.")
            st = (n, v("ST02"))
            transactions += 1
            current, claim, line, bpr_at = ParsedPayment("", "", "", "check", None, Decimal(0), segment=n), None, None, 0
            payments.append(current)
        elif sid == "SE":
            if st is None:
                raise _Fail(n, sid, "a transaction trailer with no transaction open.")
            if v("SE02") != st[1]:
                raise _Fail(n, sid, f"control number {v('SE02')!r} does not match the transaction header's "
                                    f"{st[1]!r} (segment {st[0]}).")
            if v("SE01") != str(n - st[0] + 1):
                raise _Fail(n, sid, f"says the transaction has {v('SE01')!r} segments; it has {n - st[0] + 1} "
                                    f"(segments {st[0]} to {n}).")
            _check_payment(current, bpr_at, n)
            st, current = None, None
        elif st is None:
            raise _Fail(n, sid, "a segment outside a transaction (between the envelopes).")
        elif sid == "BPR":
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
    for opened, what, trailer in ((st, "transaction", "SE"), (gs, "functional group", "GE"),
                                  (isa, "interchange", "IEA")):
        if opened is not None:
            raise _Fail(last + 1, trailer, f"missing: the file ends after segment {last} without the trailer of "
                                           f"the {what} that starts at segment {opened[0]}. It was cut off or is "
                                           "incomplete: get the whole file again.")
    if not payments:
        raise _Fail(last, segments[-1].get_seg_id(), "the file holds no 835 remittance (no ST).")
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


def _amount(text: str, n: int = 0, sid: str = "", ref: str = "") -> Decimal:
    if not _AMOUNT.fullmatch(text or ""):
        raise _Fail(n, sid, f"{ref} {text!r} is not an amount.")
    value = Decimal(text)
    if value != value.quantize(Decimal("0.01")) or abs(value) >= Decimal("1e10"):
        raise _Fail(n, sid, f"{ref} {text!r} is not an amount in dollars and cents.")
    return value.quantize(Decimal("0.01"))


def _date(text: str, n: int, sid: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date() if text else None
    except ValueError:
        raise _Fail(n, sid, f"{text!r} is not a date (CCYYMMDD).") from None
