"""Generated 271 eligibility answers for the demo clinic and the tests: what a payer sends back
after our 270."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from officeconsole.demo.acks import _interchange
from officeconsole.services.formats.x12_837 import x12_amount


@dataclass
class MemberAnswerSpec:
    member_id: str
    trace: str = ""  # our TRN02 from the 270 ('' : the payer did not echo it)
    name: tuple[str, str] = ("CLAIMANT", "CARLA")
    active: bool = True
    plan: tuple[dt.date | None, dt.date | None] = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    copay: Decimal | None = Decimal("25.00")
    deductible: Decimal | None = Decimal("1000.00")
    remaining: Decimal | None = Decimal("300.00")
    plan_name: str = "GOLD PPO"
    reject: str = ""  # AAA03 (75: subscriber not found) instead of benefits


def make_271(members: list[MemberAnswerSpec], *, control: int = 901, receiver: str = "1234567893",
             sender: str = "CLEARHOUSE1", payer: tuple[str, str] = ("BLUE SHIELD TEST PLAN", "BSTP1"),
             asked_on: dt.date = dt.date(2026, 12, 5), when: dt.datetime = dt.datetime(2026, 12, 4, 9, 0),
             provider: tuple[str, str] = ("MAPLE STREET FAMILY PRACTICE", "1234567893")) -> str:
    body = ["ST*271*0001*005010X279A1", f"BHT*0022*11*{control}*{when:%Y%m%d}*{when:%H%M}",
            "HL*1**20*1", f"NM1*PR*2*{payer[0]}*****PI*{payer[1]}",
            "HL*2*1*21*1", f"NM1*1P*2*{provider[0]}*****XX*{provider[1]}"]
    for n, m in enumerate(members, start=3):
        body.append(f"HL*{n}*2*22*0")
        if m.trace:
            body.append(f"TRN*2*{m.trace}*1371234567")
        body.append(f"NM1*IL*1*{m.name[0]}*{m.name[1]}****MI*{m.member_id}")
        if m.reject:
            body.append(f"AAA*Y**{m.reject}*C")
            continue
        begin, end = m.plan
        if begin:
            body.append(f"DTP*346*D8*{begin:%Y%m%d}")
        if end:
            body.append(f"DTP*347*D8*{end:%Y%m%d}")
        body.append(f"DTP*291*D8*{asked_on:%Y%m%d}")
        body.append(f"EB*{'1' if m.active else '6'}*IND*30*PR*{m.plan_name}")
        if m.active and m.copay is not None:
            body.append(f"EB*B*IND*98*PR***{x12_amount(m.copay)}****Y")
            body.append(f"EB*B*IND*98*PR***{x12_amount(m.copay * 2)}****N")  # out of network: not the one shown
        if m.active and m.deductible is not None:
            body.append(f"EB*C*IND*30*PR**23*{x12_amount(m.deductible)}*****Y")
            body.append(f"EB*C*FAM*30*PR**23*{x12_amount(m.deductible * 2)}*****Y")
        if m.active and m.remaining is not None:
            body.append(f"EB*C*IND*30*PR**29*{x12_amount(m.remaining)}*****Y")
            body.append("MSG*REMAINING AS OF THE DATE ASKED")
    return _interchange("HB", "005010X279A1", body, control, sender, receiver, when)
