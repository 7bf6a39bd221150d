"""Generated 835 remittances (the payer's side of a claim) for the demo clinic and the tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from officeconsole.services.x12_837 import x12_amount


@dataclass
class Svc:
    code: str
    billed: Decimal
    paid: Decimal
    units: int = 1
    line_ref: str = ""
    modifiers: tuple[str, ...] = ()
    adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)


@dataclass
class Clp:
    claim_id: str
    status: str
    lines: list[Svc]
    patient: tuple[str, str] = ("CLAIMANT", "CARLA")
    member_id: str = "XYZ123456"

    @property
    def billed(self) -> Decimal:
        return sum((s.billed for s in self.lines), Decimal(0))

    @property
    def paid(self) -> Decimal:
        return sum((s.paid for s in self.lines), Decimal(0))

    @property
    def patient_share(self) -> Decimal:
        return sum((a for s in self.lines for g, _, a in s.adjustments if g == "PR"), Decimal(0))


def make_835(claims: list[Clp], trace: str = "CHK10001", payer=("BLUE SHIELD TEST PLAN", "BSTP1"),
             paid_on: dt.date = dt.date(2026, 11, 23), control: int = 5,
             payee=("MAPLE STREET FAMILY PRACTICE", "1234567893")) -> str:
    total = sum((c.paid for c in claims), Decimal(0))
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
        body.append(f"NM1*QC*1*{c.patient[0]}*{c.patient[1]}****MI*{c.member_id}")
        for s in c.lines:
            body.append(f"SVC*{':'.join(['HC', s.code, *s.modifiers])}*{x12_amount(s.billed)}*{x12_amount(s.paid)}"
                        f"**{s.units}")
            body.append(f"DTM*472*{paid_on:%Y%m%d}")
            groups: dict[str, list[tuple[str, Decimal]]] = {}
            for g, r, a in s.adjustments:
                groups.setdefault(g, []).append((r, a))
            for g, items in groups.items():
                # CAS: the group, then (reason, amount, quantity) triplets; no quantities here
                body.append("*".join(["CAS", g, "**".join(f"{r}*{x12_amount(a)}" for r, a in items)]))
            if s.line_ref:
                body.append(f"REF*6R*{s.line_ref}")
            allowed = s.billed - sum((a for g, _, a in s.adjustments if g != "PR"), Decimal(0))
            body.append(f"AMT*B6*{x12_amount(allowed)}")
    body.append(f"SE*{len(body) + 1}*0001")
    isa = (f"ISA*00*          *00*          *ZZ*{payer[1]:<15}*ZZ*{payee[1]:<15}*{paid_on:%y%m%d}*1200*^*00501*"
           f"{control:09d}*0*P*:")
    segments = [isa, f"GS*HP*{payer[1]}*{payee[1]}*{paid_on:%Y%m%d}*1200*{control}*X*005010X221A1", *body,
                f"GE*1*{control}", f"IEA*1*{control:09d}"]
    return "~".join(segments) + "~\n"
