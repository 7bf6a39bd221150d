"""ASC X12 5010 270 eligibility inquiry (005010X279A1): a pure function of its inputs.

One interchange (ISA/IEA), one functional group (GS*HS), one transaction (ST*270). Each payer
asked is an information source (HL 20, NM1*PR with its payer ID), under it the clinic as the
information receiver (HL 21, NM1*1P with the NPI), and under that one subscriber (HL 22) per
policy: TRN*1 with our trace (the interchange control number and the policy's number, which the
payer echoes in the 271), NM1*IL with the member ID, DMG with the date of birth, DTP*291 the day
asked about and EQ*30 (health benefit plan coverage). When the patient is not the subscriber,
the subscriber's name and date of birth go in HL 22 and the patient is a dependent (HL 23, NM1*03,
INS*N with the relationship), where the EQ then goes. Names are written as the 837 writes them
(x12_text: upper-case ASCII, no delimiter ever), and the interchange's usage (ISA15) follows the
clinic's setting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from officeconsole.services.billing.claim_data import BillingProvider
from officeconsole.services.formats.x12_837 import (
    COMPONENT,
    ELEMENT,
    LIMITS,
    REPETITION,
    SEGMENT,
    digits,
    x12_text,
)
from officeconsole.services.frontdesk.person_names import NameParts

GUIDE = "005010X279A1"
# INS02 of a dependent (005010X279A1 2100D): 01 spouse, 19 child, 34 other adult.
DEPENDENT_RELATIONSHIP = {"spouse": "01", "child": "19", "other": "34"}


@dataclass(frozen=True)
class EligibilityAsk:
    """One policy to ask about: who is insured, by whom, and who the patient is."""

    policy_id: int
    payer_name: str
    payer_code: str  # the payer's electronic ID (NM109 of NM1*PR)
    member_id: str
    subscriber: NameParts  # the patient's own name when they are the subscriber
    subscriber_dob: dt.date | None
    relationship: str  # self, spouse, child, other
    patient: NameParts
    patient_dob: dt.date
    patient_sex: str = "U"  # F, M or U
    group_number: str = ""


def trace_number(control_number: int, policy_id: int) -> str:
    """TRN02 of our inquiry: '000000042-17' for policy 17 in interchange 42."""
    return f"{control_number:09d}-{policy_id}"


def policy_of_trace(trace: str) -> int | None:
    """The policy number a trace of ours names; None for someone else's trace."""
    control, sep, policy = trace.partition("-")
    return int(policy) if sep and control.isdigit() and policy.isdigit() else None


def originator_id(billing: BillingProvider) -> str:
    """TRN03: ten characters naming who made the trace: '1' and the EIN, or the NPI."""
    tax = digits(billing.tax_id)
    return f"1{tax}" if len(tax) == 9 else digits(billing.npi)[:10].ljust(10, "0")


def write_270(asks: Sequence[EligibilityAsk], control_number: int, created_at: dt.datetime, day: dt.date,
              billing: BillingProvider, production: bool | None = None) -> str:
    """The file asking about each policy's coverage on `day`."""
    if not asks:
        raise ValueError("a 270 needs at least one policy to ask about")
    production = billing.production if production is None else production
    sender = x12_text(billing.submitter_id or billing.npi, 15).replace(" ", "")
    receiver = x12_text(billing.clearinghouse_id, 15)
    control = f"{control_number:09d}"
    stamp_date, stamp_time = created_at.strftime("%Y%m%d"), created_at.strftime("%H%M")
    isa = ELEMENT.join([
        "ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender.ljust(15), "ZZ", receiver.ljust(15),
        created_at.strftime("%y%m%d"), stamp_time, REPETITION, "00501", control, "0", "P" if production else "T",
        COMPONENT])
    body: list[str] = []

    def add(*elements: str) -> None:
        values = list(elements)
        while len(values) > 1 and values[-1] == "":
            values.pop()
        body.append(ELEMENT.join(values))

    add("ST", "270", "0001", GUIDE)
    add("BHT", "0022", "13", control, stamp_date, stamp_time)
    origin = originator_id(billing)
    hl = 0
    by_payer: dict[tuple[str, str], list[EligibilityAsk]] = {}
    for ask in asks:
        by_payer.setdefault((ask.payer_code, ask.payer_name), []).append(ask)
    for (payer_code, payer_name), group in by_payer.items():
        hl += 1
        source = hl
        add("HL", str(source), "", "20", "1")
        add("NM1", "PR", "2", x12_text(payer_name, LIMITS["NM103"]), "", "", "", "", "PI",
            x12_text(payer_code, LIMITS["NM109"]).replace(" ", ""))
        hl += 1
        info_receiver = hl
        add("HL", str(info_receiver), str(source), "21", "1")
        add("NM1", "1P", "2", x12_text(billing.name, LIMITS["NM103"]), "", "", "", "", "XX", billing.npi)
        for ask in group:
            hl += 1
            dependent = ask.relationship != "self"
            add("HL", str(hl), str(info_receiver), "22", "1" if dependent else "0")
            if not dependent:
                add("TRN", "1", trace_number(control_number, ask.policy_id), origin)
            _person(add, "IL", ask.subscriber, "MI", x12_text(ask.member_id, LIMITS["NM109"]).replace(" ", ""))
            if ask.group_number:
                add("REF", "6P", x12_text(ask.group_number, 50))
            dob = ask.patient_dob if not dependent else ask.subscriber_dob
            if dob is not None:
                add("DMG", "D8", f"{dob:%Y%m%d}", *((_sex(ask.patient_sex),) if not dependent else ()))
            if dependent:
                hl += 1
                add("HL", str(hl), str(hl - 1), "23", "0")
                add("TRN", "1", trace_number(control_number, ask.policy_id), origin)
                _person(add, "03", ask.patient)
                add("DMG", "D8", f"{ask.patient_dob:%Y%m%d}", _sex(ask.patient_sex))
                add("INS", "N", DEPENDENT_RELATIONSHIP.get(ask.relationship, "34"))
            add("DTP", "291", "D8", f"{day:%Y%m%d}")
            add("EQ", "30")
    add("SE", str(len(body) + 1), "0001")
    gs = ELEMENT.join(["GS", "HS", sender, receiver, stamp_date, stamp_time, str(control_number), "X", GUIDE])
    segments = [isa, gs, *body, ELEMENT.join(["GE", "1", str(control_number)]), ELEMENT.join(["IEA", "1", control])]
    return SEGMENT.join(segments) + SEGMENT + "\n"


def _person(add: Callable[..., None], entity: str, name: NameParts, *identifier: str) -> None:
    add("NM1", entity, "1", x12_text(name.last, LIMITS["NM103"]), x12_text(name.first, LIMITS["NM104"]),
        x12_text(name.middle, LIMITS["NM105"]), "", x12_text(name.suffix, LIMITS["NM107"]), *identifier)


def _sex(code: str) -> str:
    return code if code in ("F", "M") else "U"
