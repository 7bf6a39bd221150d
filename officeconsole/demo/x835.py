"""Generated 835 remittances (the payer's side of a claim) for the demo clinic and the tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from officeconsole.services.formats.x12_837 import x12_amount


@dataclass
class Svc:
    code: str
    billed: Decimal
    paid: Decimal
    units: int = 1
    line_ref: str = ""
    modifiers: tuple[str, ...] = ()
    adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)
    remarks: tuple[str, ...] = ()  # LQ*HE remark codes


@dataclass
class Clp:
    claim_id: str
    status: str
    lines: list[Svc]
    patient: tuple[str, str] = ("CLAIMANT", "CARLA")
    member_id: str = "XYZ123456"
    adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)  # claim-level CAS
    remarks: tuple[str, ...] = ()  # MOA remark codes

    @property
    def billed(self) -> Decimal:
        return sum((s.billed for s in self.lines), Decimal(0))

    @property
    def paid(self) -> Decimal:
        """The lines' payments less what the claim-level adjustments take off them."""
        return sum((s.paid for s in self.lines), Decimal(0)) - sum((a for _, _, a in self.adjustments), Decimal(0))

    @property
    def patient_share(self) -> Decimal:
        return sum((a for s in self.lines for g, _, a in s.adjustments if g == "PR"), Decimal(0)) + \
            sum((a for g, _, a in self.adjustments if g == "PR"), Decimal(0))


def _cas(adjustments: list[tuple[str, str, Decimal]]) -> list[str]:
    groups: dict[str, list[tuple[str, Decimal]]] = {}
    for g, r, a in adjustments:
        groups.setdefault(g, []).append((r, a))
    # CAS: the group, then (reason, amount, quantity) triplets; no quantities here
    return ["*".join(["CAS", g, "**".join(f"{r}*{x12_amount(a)}" for r, a in items)]) for g, items in groups.items()]


def make_835(claims: list[Clp], trace: str = "CHK10001", payer=("BLUE SHIELD TEST PLAN", "BSTP1"),
             paid_on: dt.date = dt.date(2026, 11, 23), control: int = 5,
             payee=("MAPLE STREET FAMILY PRACTICE", "1234567893"),
             plb: list[tuple[str, str, Decimal]] = ()) -> str:
    """One payment (BPR02 = the claims paid less the PLB adjustments); `plb` as (reason, reference, amount)."""
    total = sum((c.paid for c in claims), Decimal(0)) - sum((a for _, _, a in plb), Decimal(0))
    body = [
        "ST*835*0001",
        f"BPR*I*{x12_amount(total)}*C*CHK************{paid_on:%Y%m%d}",
        f"TRN*1*{trace}*1999999999",
        f"DTM*405*{paid_on:%Y%m%d}",
        f"N1*PR*{payer[0]}",
        "N3*PO BOX 100",
        "N4*CHICAGO*IL*60601",
        f"REF*2U*{payer[1]}",
        "PER*BL*PROVIDER SERVICES*TE*8005551212",
        f"N1*PE*{payee[0]}*XX*{payee[1]}",
        "LX*1",
    ]
    for c in claims:
        body.append(f"CLP*{c.claim_id}*{c.status}*{x12_amount(c.billed)}*{x12_amount(c.paid)}*"
                    f"{x12_amount(c.patient_share)}*12*PAYER{c.claim_id}*11*1")
        body.extend(_cas(c.adjustments))
        body.append(f"NM1*QC*1*{c.patient[0]}*{c.patient[1]}****MI*{c.member_id}")
        if c.remarks:
            body.append("MOA***" + "*".join(c.remarks[:5]))
        for s in c.lines:
            body.append(f"SVC*{':'.join(['HC', s.code, *s.modifiers])}*{x12_amount(s.billed)}*{x12_amount(s.paid)}"
                        f"**{s.units}")
            body.append(f"DTM*472*{paid_on:%Y%m%d}")
            body.extend(_cas(s.adjustments))
            if s.line_ref:
                body.append(f"REF*6R*{s.line_ref}")
            allowed = s.billed - sum((a for g, _, a in s.adjustments if g != "PR"), Decimal(0))
            body.append(f"AMT*B6*{x12_amount(allowed)}")
            body.extend(f"LQ*HE*{code}" for code in s.remarks)
    for reason, reference, amount in plb:
        body.append(f"PLB*{payee[1]}*{paid_on:%Y}1231*{reason}:{reference}*{x12_amount(amount)}" if reference
                    else f"PLB*{payee[1]}*{paid_on:%Y}1231*{reason}*{x12_amount(amount)}")
    body.append(f"SE*{len(body) + 1}*0001")
    isa = (f"ISA*00*          *00*          *ZZ*{payer[1]:<15}*ZZ*{payee[1]:<15}*{paid_on:%y%m%d}*1200*^*00501*"
           f"{control:09d}*0*P*:")
    segments = [isa, f"GS*HP*{payer[1]}*{payee[1]}*{paid_on:%Y%m%d}*1200*{control}*X*005010X221A1", *body,
                f"GE*1*{control}", f"IEA*1*{control:09d}"]
    return "~".join(segments) + "~\n"
