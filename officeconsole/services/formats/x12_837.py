"""ASC X12 5010 837P (005010X222A1) from scrubbed claims: a pure function of its inputs.

One interchange (ISA/IEA) holds one functional group (GS/GE) holding one transaction set
(ST/SE). The interchange control number is the batch's, never reused. Free text is
transliterated to ASCII (anyascii), reduced to X12's basic character set so a name can never
carry a delimiter into the file, and cut to its element's maximum length (LIMITS); the scrubber
refuses a claim whose names or address would be cut, so the cut is a last guard only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal

from officeconsole.services.billing.claim_data import (
    ClaimData,
    ClaimPatient,
    ClaimPolicy,
    OtherPayer,
)
from officeconsole.services.frontdesk.person_names import (
    NameParts,
    has_latin_letters,
    latin,
    suffix_of,
)

ELEMENT, COMPONENT, REPETITION, SEGMENT = "*", ":", "^", "~"
GUIDE = "005010X222A1"
PAT_RELATIONSHIP = {"spouse": "01", "child": "19", "other": "G8"}
_UNSAFE = re.compile(r"[^A-Z0-9 .,\-'&/()#]")
# Maximum lengths of the free-text elements we write (005010X222A1).
LIMITS = {"NM103": 60, "NM104": 35, "NM105": 25, "NM107": 10, "NM109": 80, "N301": 55, "N302": 55,
          "N401": 30, "SBR03": 50, "PER02": 60}


def x12_text(value: str, max_length: int = 60) -> str:
    """Upper-case ASCII without delimiters: 'José O'Brien~*' -> "JOSE O'BRIEN", 'Grøß' -> 'GROSS'."""
    plain = latin(value).upper()
    return " ".join(_UNSAFE.sub(" ", plain).split())[:max_length].strip()


def patient_name(patient: ClaimPatient) -> NameParts:
    """The patient's name as claims carry it: the Latin-letter form when one was typed; a
    generational suffix typed at the end of the last name ('Smith Jr') goes to its own element."""
    last = patient.latin_last_name or patient.last_name
    first = patient.latin_first_name or patient.first_name
    middle = patient.middle_name if has_latin_letters(patient.middle_name) else ""
    words = last.split()
    suffix = suffix_of(words[-1]) if len(words) > 1 else ""
    if suffix:
        last = " ".join(words[:-1])
    return NameParts(last, first, middle, suffix)


def subscriber_name(policy: ClaimPolicy, patient: ClaimPatient) -> NameParts:
    """The subscriber's name in parts: the patient's own when they are the subscriber."""
    if policy.relationship == "self":
        return patient_name(patient)
    return NameParts(policy.subscriber_last, policy.subscriber_first, policy.subscriber_middle,
                     policy.subscriber_suffix)


def x12_amount(value: Decimal) -> str:
    """X12 decimal: no trailing zeros, no exponent (125.00 -> 125, 12.50 -> 12.5)."""
    text = format(value.quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def tax_id_qualifier(tax_id: str) -> str:
    """REF01 of the billing provider's tax ID: SY for an SSN (typed NNN-NN-NNNN), else EI."""
    text = (tax_id or "").strip()
    return "SY" if len(text) == 11 and text[3] == "-" and text[6] == "-" else "EI"


def digits(value: str) -> str:
    return "".join(ch for ch in value or "" if ch.isdigit())


def split_name(full_name: str) -> tuple[str, str]:
    """'Dr. Avery J. Lee' -> ('LEE', 'AVERY'): last word is the surname, the first is the given name;
    'Smith, John' -> ('SMITH', 'JOHN'). (A provider's name, kept in one line.)"""
    if "," in full_name:
        last, _, first = full_name.partition(",")
        return x12_text(last, LIMITS["NM103"]), x12_text((first.split() or [""])[0], LIMITS["NM104"])
    words = [w for w in x12_text(full_name, 200).split() if w not in {"DR", "DR."}]
    if not words:
        return "", ""
    return words[-1][:LIMITS["NM103"]], (words[0][:LIMITS["NM104"]] if len(words) > 1 else "")


def _person(body: _Segments, entity: str, name: NameParts, *identifier: str) -> None:
    """NM1 of a person, each part cut to its element's length."""
    body.add("NM1", entity, "1", x12_text(name.last, LIMITS["NM103"]), x12_text(name.first, LIMITS["NM104"]),
             x12_text(name.middle, LIMITS["NM105"]), "", x12_text(name.suffix, LIMITS["NM107"]), *identifier)


class _Segments:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, *elements: str) -> None:
        values = list(elements)
        while len(values) > 1 and values[-1] == "":
            values.pop()  # no trailing empty elements
        self.items.append(ELEMENT.join(values))


def write_837(claims: Sequence[ClaimData], control_number: int, created_at: dt.datetime,
              production: bool | None = None) -> str:
    """The file; a test interchange (ISA15 T) when the clinic's setting says so (or `production` is False)."""
    if not claims:
        raise ValueError("an 837 needs at least one claim")
    billing = claims[0].billing
    production = billing.production if production is None else production
    sender = x12_text(billing.submitter_id or billing.npi, 15).replace(" ", "")
    receiver = x12_text(billing.clearinghouse_id, 15)
    control = f"{control_number:09d}"
    stamp_date, stamp_time = created_at.strftime("%Y%m%d"), created_at.strftime("%H%M")
    isa = ELEMENT.join([
        "ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender.ljust(15), "ZZ", receiver.ljust(15),
        created_at.strftime("%y%m%d"), stamp_time, REPETITION, "00501", control, "0", "P" if production else "T",
        COMPONENT])
    body = _Segments()
    body.add("ST", "837", "0001", GUIDE)
    body.add("BHT", "0019", "00", control, stamp_date, stamp_time, "CH")
    body.add("NM1", "41", "2", x12_text(billing.name), "", "", "", "", "46", sender)
    body.add("PER", "IC", x12_text(billing.name, LIMITS["PER02"]), "TE", digits(billing.phone)[-10:])
    body.add("NM1", "40", "2", x12_text(billing.clearinghouse_name or billing.clearinghouse_id), "", "", "", "",
             "46", receiver)
    hl = 0
    for group in _by_billing_provider(claims):
        hl += 1
        parent = hl
        first = group[0]
        body.add("HL", str(parent), "", "20", "1")
        if first.billing_taxonomy:
            body.add("PRV", "BI", "PXC", first.billing_taxonomy)
        if first.own_billing:  # a person (NM102 1), under their individual NPI
            last, given = split_name(first.rendering_name)
            body.add("NM1", "85", "1", last, given, "", "", "", "XX", first.rendering_npi)
        else:
            body.add("NM1", "85", "2", x12_text(billing.name), "", "", "", "", "XX", billing.npi)
        _address(body, billing.address_line1, billing.address_line2, billing.city, billing.state,
                 billing.postal_code)
        body.add("REF", tax_id_qualifier(billing.tax_id), digits(billing.tax_id))
        for claim in group:
            hl = _claim(body, claim, parent, hl)
    body.add("SE", str(len(body.items) + 1), "0001")
    gs = ELEMENT.join(["GS", "HC", sender, receiver, stamp_date, stamp_time, str(control_number), "X", GUIDE])
    segments = [isa, gs, *body.items, ELEMENT.join(["GE", "1", str(control_number)]),
                ELEMENT.join(["IEA", "1", control])]
    return SEGMENT.join(segments) + SEGMENT + "\n"


def _address(body: _Segments, line1: str, line2: str, city: str, state: str, postal: str) -> None:
    body.add("N3", x12_text(line1, LIMITS["N301"]), x12_text(line2, LIMITS["N302"]))
    body.add("N4", x12_text(city, LIMITS["N401"]), x12_text(state, 2), digits(postal))


def _by_billing_provider(claims: Sequence[ClaimData]) -> list[list[ClaimData]]:
    """One billing-provider loop (2000A) per billing NPI, in the order the claims came."""
    groups: dict[str, list[ClaimData]] = {}
    for claim in claims:
        groups.setdefault(claim.billing_npi, []).append(claim)
    return list(groups.values())


def _claim(body: _Segments, claim: ClaimData, billing_hl: int, last_hl: int) -> int:
    policy, patient = claim.policy, claim.patient
    assert policy is not None, "the scrubber refuses a claim without insurance"
    self_insured = policy.relationship == "self"
    subscriber_hl = last_hl + 1
    body.add("HL", str(subscriber_hl), str(billing_hl), "22", "0" if self_insured else "1")
    # P: the first policy in force on the date of service (even when a policy ranked above it has
    # ended); S or T once the earlier payers have paid (coordination of benefits).
    body.add("SBR", claim.sequence, "18" if self_insured else "", x12_text(policy.group_number, LIMITS["SBR03"]),
             "", "", "", "", "", policy.filing_code or "CI")
    _person(body, "IL", subscriber_name(policy, patient), "MI", x12_text(policy.member_id, LIMITS["NM109"]))
    _address(body, patient.address_line1, patient.address_line2, patient.city, patient.state, patient.postal_code)
    dob = patient.dob if self_insured else policy.subscriber_dob
    body.add("DMG", "D8", f"{dob:%Y%m%d}", _sex(patient.sex) if self_insured else "U")
    body.add("NM1", "PR", "2", x12_text(policy.payer_name), "", "", "", "", "PI",
             x12_text(policy.payer_code, LIMITS["NM109"]))
    last_hl = subscriber_hl
    if not self_insured:
        last_hl = subscriber_hl + 1
        body.add("HL", str(last_hl), str(subscriber_hl), "23", "0")
        body.add("PAT", PAT_RELATIONSHIP.get(policy.relationship, "G8"))
        _person(body, "QC", patient_name(patient))
        _address(body, patient.address_line1, patient.address_line2, patient.city, patient.state,
                 patient.postal_code)
        body.add("DMG", "D8", f"{patient.dob:%Y%m%d}", _sex(patient.sex))
    body.add("CLM", claim.claim_id, x12_amount(claim.total), "", "",
             COMPONENT.join([claim.place_of_service, "B", claim.frequency]), "Y", "A", "Y", "Y")
    if claim.frequency in ("7", "8"):  # a corrected or void claim names the payer's claim it replaces
        body.add("REF", "F8", x12_text(claim.replaces_claim_number, 50).replace(" ", ""))
    body.add("HI", *(COMPONENT.join(["ABK" if n == 0 else "ABF", code.replace(".", "")])
                     for n, code in enumerate(claim.diagnoses)))
    if not claim.own_billing:  # 2310B only when someone other than the billing provider saw the patient
        last, first = split_name(claim.rendering_name)
        body.add("NM1", "82", "1", last, first, "", "", "", "XX", claim.rendering_npi)
        if claim.rendering_taxonomy:
            body.add("PRV", "PE", "PXC", claim.rendering_taxonomy)
    for other in claim.other_payers:
        _other_payer(body, other, patient)
    for number, line in enumerate(claim.lines, start=1):
        body.add("LX", str(number))
        body.add("SV1", COMPONENT.join(["HC", line.code, *line.modifiers]), x12_amount(line.amount), "UN",
                 str(line.units), "", "", COMPONENT.join(str(p) for p in line.pointers))
        body.add("DTP", "472", "D8", f"{claim.date_of_service:%Y%m%d}")
        body.add("REF", "6R", str(line.id))  # echoed back per line in the 835
        for other in claim.other_payers:  # 2430: what each earlier payer did with the line
            said = other.line(line.id)
            if said is None:
                continue
            body.add("SVD", _payer_code(other.policy), x12_amount(said.paid),
                     COMPONENT.join(["HC", line.code, *line.modifiers]), "", str(line.units))
            _cas(body, said.adjustments)
            body.add("DTP", "573", "D8", f"{other.adjudicated_on:%Y%m%d}")
    return last_hl


def _other_payer(body: _Segments, other: OtherPayer, patient: ClaimPatient) -> None:
    """Loops 2320 (the other payer's SBR, claim-level CAS, AMT*D paid, OI), 2330A (its subscriber)
    and 2330B (the payer)."""
    policy = other.policy
    body.add("SBR", other.sequence, "18" if policy.relationship == "self" else
             PAT_RELATIONSHIP.get(policy.relationship, "G8"), x12_text(policy.group_number, LIMITS["SBR03"]),
             "", "", "", "", "", policy.filing_code or "CI")
    _cas(body, other.claim_adjustments)
    body.add("AMT", "D", x12_amount(other.paid))
    body.add("OI", "", "", "Y", "P", "", "Y")
    _person(body, "IL", subscriber_name(policy, patient), "MI", x12_text(policy.member_id, LIMITS["NM109"]))
    body.add("NM1", "PR", "2", x12_text(policy.payer_name), "", "", "", "", "PI", _payer_code(policy))


def _payer_code(policy: ClaimPolicy) -> str:
    return x12_text(policy.payer_code, LIMITS["NM109"]).replace(" ", "")


def _cas(body: _Segments, adjustments: Sequence[tuple[str, str, Decimal]]) -> None:
    """One CAS per group, up to six reasons each (CAS02-19), in the order given."""
    groups: dict[str, list[tuple[str, Decimal]]] = {}
    for group, reason, amount in adjustments:
        groups.setdefault(group, []).append((reason, amount))
    for group, items in groups.items():
        for start in range(0, len(items), 6):
            elements = [group]
            for reason, amount in items[start:start + 6]:
                elements += [reason, x12_amount(amount), ""]
            body.add("CAS", *elements)


def _sex(code: str) -> str:
    return code if code in ("F", "M") else "U"
