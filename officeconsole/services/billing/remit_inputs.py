"""What an insurer's remittance says, as the posting code takes it: claim adjustment groups and
reason codes (CARC), and the payment typed from an EOB or read from an 835, line by line.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from officeconsole.models.claims import RemitSource
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.money import parse_signed

GROUPS = ("CO", "PR", "OA", "PI", "CR")
# Reasons that are the contract, not a denial: the allowed amount below the fee, sequestration.
CONTRACTUAL = frozenset({"45", "253"})
# On a secondary's 835: the part the prior payer's adjudication settled (what the primary paid and wrote off).
PRIOR_PAYER = "23"
REASONS = {
    "1": "Deductible", "2": "Coinsurance", "3": "Copay", "4": "Modifier inconsistent with the procedure",
    "16": "Missing or invalid information", "18": "Duplicate claim or service", "22": "Coordination of benefits", "23": "Settled by the prior payer",
    "27": "Coverage ended before the date of service", "29": "Filing time limit passed",
    "45": "Charge above the fee schedule", "50": "Not medically necessary", "96": "Not covered",
    "97": "Included in another service", "109": "Not covered by this payer", "197": "No authorization",
    "204": "Not covered under the benefit plan", "253": "Sequestration",
}

# Provider-level adjustment reasons (835 PLB03-1) a small practice meets; any other code is kept as sent.
PROVIDER_REASONS = {
    "L6": "Interest owed", "WO": "Overpayment recovery", "FB": "Forwarding balance", "72": "Authorized return",
    "CS": "Adjustment", "J1": "Nonreimbursable", "IR": "Internal Revenue Service withholding",
    "50": "Late charge", "51": "Interest penalty charge", "90": "Early payment allowance",
    "AP": "Acceleration of benefits", "BD": "Bad debt adjustment", "C5": "Temporary allowance",
    "E3": "Withholding", "FC": "Fund allocation", "GO": "Garnishment", "IP": "Incentive premium payment",
    "L3": "Penalty", "LE": "Levy", "OB": "Offset for affiliated providers", "PI": "Periodic interim payment",
    "PL": "Payment final", "RA": "Retro-activity adjustment", "SL": "Student loan repayment",
    "TL": "Third party liability", "WU": "Unspecified recovery", "B2": "Rebate", "B3": "Recovery allowance",
    "CT": "Capitation interest", "CV": "Capital passthru", "CW": "Certified registered nurse anesthetist passthru",
    "DM": "Direct medical education passthru", "GM": "Graduate medical education passthru",
    "HM": "Hemophilia clotting factor supplement", "IS": "Interim settlement", "RE": "Return on equity",
    "AH": "Origination fee",
}


@dataclass
class Adjustment:
    group: str
    reason: str
    amount: Decimal | str


@dataclass
class LinePayment:
    charge_line_id: int
    paid: Decimal | str
    allowed: Decimal | str | None = None  # None: billed less the non-PR adjustments
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # remark codes (RARC) from the 835's LQ


@dataclass
class ClaimPayment:
    encounter_id: int
    lines: list[LinePayment]
    # From an 835: the payer's claim status (CLP02; 22 reverses an earlier payment), its claim number
    # (CLP07), what it paid on the claim (CLP04: the lines' payments less the claim-level adjustments),
    # the claim-level adjustments (CAS before the first SVC) and remark codes (MIA/MOA).
    status_code: str = ""
    payer_claim_number: str = ""
    paid: Decimal | None = None  # None: the lines' payments
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)

    @property
    def reversal(self) -> bool:
        return self.status_code == "22"


@dataclass
class RemitInput:
    payer_id: int
    trace_number: str
    paid_on: dt.date | str
    method: str = "check"
    claims: list[ClaimPayment] = field(default_factory=list)
    source: str = RemitSource.MANUAL
    file_digest: str | None = None
    # Provider-level adjustments (835 PLB) as (reason, reference, amount): + takes off, - adds to the payment.
    provider_adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)


_BETWEEN_ADJUSTMENTS = re.compile(r";|,(?![0-9])")  # an adjustment starts with its group: 1,250.00 is one amount


def parse_adjustments(text: str, field: str = "adjustments") -> list[Adjustment]:
    """'CO-45 65, PR-2 24.50' -> two adjustments; a clear refusal for anything else. A comma
    followed by a digit belongs to the amount (1,250.00), which the shared amount reader judges."""
    result = []
    for part in (p.strip() for p in _BETWEEN_ADJUSTMENTS.split(text or "")):
        if not part:
            continue
        words = part.replace("*", " ").split()
        code = words[0].upper() if words else ""
        group, _, reason = code.partition("-")
        if len(words) != 2 or group not in GROUPS or not reason:
            raise ValidationError({field: f"{part!r}: write each adjustment as GROUP-REASON AMOUNT, e.g. CO-45 65 "
                                          "(groups CO, PR, OA, PI, CR)."})
        result.append(Adjustment(group, reason, parse_signed(words[1], field, label=f"{group}-{reason}")))
    return result


def describe(group: str, reason: str) -> str:
    return f"{group}-{reason} {REASONS.get(reason, '')}".strip()


def is_denial(paid: Decimal, adjustments: list[tuple[str, str, Decimal]]) -> bool:
    """Nothing paid and something refused beyond the contract and the patient's share."""
    return paid == 0 and any(g != "PR" and r not in CONTRACTUAL and r != PRIOR_PAYER for g, r, _ in adjustments)
