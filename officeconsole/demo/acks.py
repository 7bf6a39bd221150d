"""Generated acknowledgements (the clearinghouse's 999, the payer's 277CA) for the demo clinic and
the tests: what the other side sends back after an 837P."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from officeconsole.services.formats.x12_837 import x12_amount


def _interchange(group: str, version: str, body: list[str], control: int, sender: str, receiver: str,
                 when: dt.datetime) -> str:
    isa = "*".join(["ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender.ljust(15), "ZZ", receiver.ljust(15),
                    when.strftime("%y%m%d"), when.strftime("%H%M"), "^", "00501", f"{control:09d}", "0", "P", ":"])
    gs = "*".join(["GS", group, sender, receiver, when.strftime("%Y%m%d"), when.strftime("%H%M"), str(control),
                   "X", version])
    st_body = [*body, f"SE*{len(body) + 1}*0001"]
    return "~".join([isa, gs, *st_body, f"GE*1*{control}", f"IEA*1*{control:09d}"]) + "~\n"


def make_999(batch_control: int, *, accepted: bool = True, control: int = 701, receiver: str = "1234567893",
             sender: str = "CLEARHOUSE1", when: dt.datetime = dt.datetime(2026, 11, 20, 9, 0),
             errors: tuple[tuple[str, str, str, str], ...] = ()) -> str:
    """A 999 answering our 837 batch `batch_control`; `errors`: (segment id, position, element, IK403 code)."""
    body = ["ST*999*0001*005010X231A1", f"AK1*HC*{batch_control}*005010X222A1", "AK2*837*0001*005010X222A1"]
    for segment, position, element, code in errors:
        body += [f"IK3*{segment}*{position}**8", f"IK4*{element}**{code}"]
    verdict = "A" if accepted else "R"
    body += [f"IK5*{verdict}" + ("" if accepted else "*5"), f"AK9*{verdict}*1*1*{1 if accepted else 0}"]
    return _interchange("FA", "005010X231A1", body, control, sender, receiver, when)


@dataclass
class ClaimAnswerSpec:
    claim_id: str
    billed: Decimal
    category: str = "A2"  # A2 accepted; A7 rejected (invalid information), A6 (missing)
    status: str = "20"
    entity: str = ""
    text: str = ""
    patient: tuple[str, str] = ("CLAIMANT", "CARLA")
    member_id: str = "XYZ123456"
    payer_claim_number: str = ""
    service_date: dt.date = dt.date(2026, 11, 18)


def make_277ca(claims: list[ClaimAnswerSpec], *, control: int = 801, receiver: str = "1234567893",
               sender: str = "CLEARHOUSE1", payer: tuple[str, str] = ("BLUE SHIELD TEST PLAN", "BSTP1"),
               when: dt.datetime = dt.datetime(2026, 11, 21, 9, 0),
               provider: tuple[str, str] = ("MAPLE STREET FAMILY PRACTICE", "1234567893")) -> str:
    """A 277CA answering claims; each claim's STC from its category, status and entity (and free text)."""
    day = when.strftime("%Y%m%d")
    body = ["ST*277*0001*005010X214", f"BHT*0085*08*ACK{control}*{day}*{when:%H%M}*TH",
            "HL*1**20*1", f"NM1*PR*2*{payer[0]}*****PI*{payer[1]}", f"TRN*1*ACK{control}", f"DTP*050*D8*{day}",
            f"DTP*009*D8*{day}",
            "HL*2*1*21*1", f"NM1*41*2*{provider[0]}*****46*{receiver}", f"TRN*2*{control}",
            f"STC*A1:19:PR**WQ*{x12_amount(sum((Decimal(c.billed) for c in claims), Decimal(0)))}",
            f"QTY*90*{sum(1 for c in claims if c.category in ('A1', 'A2', 'A5'))}",
            f"QTY*AA*{sum(1 for c in claims if c.category not in ('A1', 'A2', 'A5'))}",
            "HL*3*2*19*1", f"NM1*85*2*{provider[0]}*****XX*{provider[1]}", "TRN*1*0", f"STC*A1:19:PR*{day}*WQ*0"]
    hl = 3
    for c in claims:
        hl += 1
        composite = ":".join(p for p in (c.category, c.status, c.entity) if p)
        stc = f"STC*{composite}*{day}*{'WQ' if c.category in ('A1', 'A2', 'A5') else 'U'}*{x12_amount(Decimal(c.billed))}"
        if c.text:
            stc += "*" * 8 + c.text
        body += [f"HL*{hl}*3*PT", f"NM1*QC*1*{c.patient[0]}*{c.patient[1]}****MI*{c.member_id}",
                 f"TRN*2*{c.claim_id}", stc]
        if c.payer_claim_number:
            body.append(f"REF*1K*{c.payer_claim_number}")
        body.append(f"DTP*472*D8*{c.service_date:%Y%m%d}")
    return _interchange("HN", "005010X214", body, control, sender, receiver, when)
