"""Reading an X12 835 (005010X221A1) remittance into plain values, with pyx12's reader.

pyx12 finds the delimiters from the ISA and splits the segments; this module only picks
out what posting needs: per check or EFT (BPR/TRN), per claim (CLP, CAS) and per service
line (SVC, CAS, REF*6R, AMT*B6).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from officeconsole.services.errors import OfficeError


class RemitFileError(OfficeError):
    """The file is not an 835 we can read: nothing was posted."""


@dataclass
class ParsedLine:
    code: str
    modifiers: tuple[str, ...]
    billed: Decimal
    paid: Decimal
    line_ref: str = ""  # REF*6R: our charge line id, echoed back
    allowed: Decimal | None = None
    adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)


@dataclass
class ParsedClaim:
    claim_id: str  # CLP01, our CLM01
    status: str  # CLP02: 1 primary, 2 secondary, 4 denied, 22 reversal
    billed: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    payer_claim_number: str
    lines: list[ParsedLine] = field(default_factory=list)
    adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)  # claim-level CAS


@dataclass
class ParsedPayment:
    payer_name: str
    payer_code: str
    trace_number: str
    method: str  # check, eft, none
    paid_on: dt.date | None
    total: Decimal
    claims: list[ParsedClaim] = field(default_factory=list)


METHODS = {"CHK": "check", "ACH": "eft", "FWT": "eft", "BOP": "eft", "NON": "none"}


def parse_835(text: str) -> list[ParsedPayment]:
    import pyx12.errors
    import pyx12.x12file

    if not text.lstrip().startswith("ISA"):
        raise RemitFileError("This is not an X12 file (it does not start with ISA).")
    payments: list[ParsedPayment] = []
    current: ParsedPayment | None = None
    claim: ParsedClaim | None = None
    line: ParsedLine | None = None
    try:
        reader = pyx12.x12file.X12Reader(io.StringIO(text))
        for seg in reader:
            sid = seg.get_seg_id()
            v = lambda ref: (seg.get_value(ref) or "").strip()  # noqa: E731
            if sid == "ST":
                if v("ST01") != "835":
                    raise RemitFileError(f"This is an X12 {v('ST01')}, not an 835 remittance.")
                current, claim, line = ParsedPayment("", "", "", "check", None, Decimal(0)), None, None
                payments.append(current)
            elif current is None:
                continue
            elif sid == "BPR":
                current.total = _amount(v("BPR02"))
                current.method = METHODS.get(v("BPR04"), "check")
                current.paid_on = _date(v("BPR16"))
            elif sid == "TRN":
                current.trace_number = v("TRN02")
            elif sid == "N1" and v("N101") == "PR":
                current.payer_name = v("N102")
                current.payer_code = current.payer_code or v("N104")
            elif sid == "REF" and v("REF01") == "2U" and claim is None:
                current.payer_code = v("REF02")
            elif sid == "CLP":
                claim = ParsedClaim(v("CLP01"), v("CLP02"), _amount(v("CLP03")), _amount(v("CLP04")),
                                    _amount(v("CLP05") or "0"), v("CLP07"))
                current.claims.append(claim)
                line = None
            elif sid == "SVC" and claim is not None:
                modifiers = tuple(m for m in (v(f"SVC01-{n}") for n in range(3, 7)) if m)
                line = ParsedLine(v("SVC01-2"), modifiers, _amount(v("SVC02")), _amount(v("SVC03")))
                claim.lines.append(line)
            elif sid == "CAS":
                target = line.adjustments if line is not None else (claim.adjustments if claim else None)
                if target is not None:
                    group = v("CAS01")
                    for n in range(2, 19, 3):
                        reason, amount = v(f"CAS{n:02d}"), v(f"CAS{n + 1:02d}")
                        if reason and amount:
                            target.append((group, reason, _amount(amount)))
            elif sid == "REF" and v("REF01") == "6R" and line is not None:
                line.line_ref = v("REF02")
            elif sid == "AMT" and v("AMT01") == "B6" and line is not None:
                line.allowed = _amount(v("AMT02"))
            elif sid == "SE":
                current = None
    except pyx12.errors.X12Error as exc:
        raise RemitFileError(f"The 835 could not be read: {exc}") from None
    if not payments:
        raise RemitFileError("The file holds no 835 remittance.")
    return payments


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise RemitFileError(f"{text!r} is not an amount.") from None


def _date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date() if text else None
    except ValueError:
        raise RemitFileError(f"{text!r} is not a date (CCYYMMDD).") from None
