"""The claim scrubber: every reason a payer would bounce a claim, found before it leaves.

Each problem is one line the biller can act on, tagged with where it is fixed (`fix`), so the
queue screen can jump straight to that form. pyx12 checks the file's syntax; these checks
cover what it cannot: NPI check digits, code validity, pointers, dates, totals, names and
addresses that would be cut to fit their X12 element, Medicare member IDs (MBI) and preventive
visit codes that do not fit the patient's age. A claim with a problem is held back on its own:
the others in a batch are still sent.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from officeconsole.services.billing.claim_data import ClaimData
from officeconsole.services.billing.codes import icd10
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.identifiers import TAXONOMY, parse_tax_id, valid_npi
from officeconsole.services.formats.x12_837 import LIMITS, digits, patient_name, subscriber_name, x12_text
from officeconsole.services.frontdesk.person_names import NameParts, has_latin_letters

# Where a problem is fixed: the screen or form the queue opens for it.
CODING = "coding"  # diagnoses, charge lines, pointers, place of service
INSURANCE = "insurance"  # the billed policy: payer, subscriber
PATIENT = "patient"  # demographics: date of birth, address
BILLING = "billing"  # the clinic's and the provider's identifiers
VISIT = "visit"  # the visit itself: checked out at the desk (F3)

ENDED_UNSEEN = {"no_show": "a no-show", "cancelled": "cancelled"}

PLACES_OF_SERVICE = {
    "02": "Telehealth (not in the home)", "10": "Telehealth in the home", "11": "Office", "12": "Home",
    "19": "Off-campus outpatient hospital", "20": "Urgent care", "21": "Inpatient hospital",
    "22": "On-campus outpatient hospital", "23": "Emergency room", "31": "Skilled nursing facility",
    "32": "Nursing facility", "49": "Independent clinic", "50": "Federally qualified health center",
    "71": "Public health clinic", "72": "Rural health clinic", "81": "Independent laboratory",
    "99": "Other place of service",
}
_MEMBER_ID = re.compile(r"^[A-Za-z0-9-]{2,30}$")
_ZIP9 = re.compile(r"^\d{5}-?\d{4}$")
_ZIP = re.compile(r"^\d{5}(-?\d{4})?$")
# Medicare Beneficiary Identifier: 11 characters, no S, L, O, I, B or Z (CMS's MBI format).
_MBI_LETTER = "AC-HJKMNP-RT-Y"
MBI = re.compile(rf"^[1-9][{_MBI_LETTER}][{_MBI_LETTER}0-9]\d[{_MBI_LETTER}][{_MBI_LETTER}0-9]\d"
                 rf"[{_MBI_LETTER}][{_MBI_LETTER}]\d\d$")
MEDICARE_FILING = ("MB", "MA")  # Medicare Part B and A: the member ID is an MBI
# Preventive medicine visits by age in years (first, last): new patient 99381-99387, established 99391-99397.
_PREVENTIVE_AGES = ((0, 0), (1, 4), (5, 11), (12, 17), (18, 39), (40, 64), (65, 200))
PREVENTIVE_AGES = {f"99{base + n}": ages for base in (381, 391) for n, ages in enumerate(_PREVENTIVE_AGES)}


def preventive_code(age: int, established: bool) -> str:
    """The preventive visit code for a patient of that age: 99395 for an established 30-year-old."""
    base = 391 if established else 381
    return next(f"99{base + n}" for n, (low, high) in enumerate(_PREVENTIVE_AGES) if low <= age <= high)


def age_on(dob: dt.date, day: dt.date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


# Who found a problem: the scrubber, before the claim leaves; or the payer or clearinghouse, whose
# rejection (277CA, 999, or typed in with j) the queue lists first (services/billing/claim_rejections.py).
SCRUBBER = "scrubber"
REJECTION = "rejection"


@dataclass(frozen=True)
class Problem:
    fix: str
    message: str
    source: str = SCRUBBER


# Records one problem: (what to fix, the message).
Add = Callable[[str, str], None]


def scrub(claim: ClaimData, today: dt.date) -> list[Problem]:
    """Every problem with the claim, in the order a biller would fix them; empty when clean."""
    problems: list[Problem] = []
    add: Add = lambda fix, message: problems.append(Problem(fix, message))  # noqa: E731
    _visit(claim, today, add)
    _coding(claim, add)
    _insurance(claim, add)
    _patient(claim, add)
    _names(claim, add)
    _billing(claim, add)
    return problems


def _visit(claim: ClaimData, today: dt.date, add: Add) -> None:
    if claim.visit_status in ENDED_UNSEEN:
        add(VISIT, f"The visit was {ENDED_UNSEEN[claim.visit_status]}: it is never billed.")
    elif claim.visit_status != "checked_out":
        add(VISIT, f"The visit is not over ({claim.visit_status.replace('_', ' ')}): a claim is made after "
                   "the patient is checked out (F3, o).")
    if claim.date_of_service > today:
        add(CODING, f"Date of service {claim.date_of_service:%m/%d/%Y} is in the future: bill it after the visit.")
    if not claim.place_of_service:
        add(CODING, "Place of service is missing (11 for the office).")
    elif claim.place_of_service not in PLACES_OF_SERVICE:
        add(CODING, f"Place of service {claim.place_of_service} is not a code this clinic bills.")


def _coding(claim: ClaimData, add: Add) -> None:
    if not claim.diagnoses:
        add(CODING, "No diagnosis: add at least one ICD-10-CM code.")
    for position, code in enumerate(claim.diagnoses, start=1):
        try:
            icd10(code)
        except ValidationError as exc:
            add(CODING, f"Diagnosis {position}: {next(iter(exc.errors.values()))}")
    if not claim.lines:
        add(CODING, "No charge lines: add the services done at the visit.")
    for line in claim.lines:
        if not line.pointers:
            add(CODING, f"Line {line.line_no} ({line.code}) has no diagnosis pointer.")
        elif max(line.pointers) > len(claim.diagnoses):
            add(CODING, f"Line {line.line_no} ({line.code}) points at diagnosis {max(line.pointers)}, "
                        f"which the visit does not have.")
        if not line.on_fee_schedule:
            add(CODING, f"Line {line.line_no}: {line.code} is not on the fee schedule (or was retired).")
        if line.fee <= 0:
            add(CODING, f"Line {line.line_no} ({line.code}) has no fee.")
        ages = PREVENTIVE_AGES.get(line.code)
        if ages and claim.patient.dob is not None:
            age = age_on(claim.patient.dob, claim.date_of_service)
            if not ages[0] <= age <= ages[1]:
                fits = preventive_code(age, line.code.startswith("9939"))
                span = ("under 1 year" if ages[1] == 0 else "ages 65 and over" if ages[0] == 65
                        else f"ages {ages[0]}-{ages[1]}")
                add(CODING, f"Line {line.line_no}: {line.code} is a preventive visit for {span}; the patient "
                            f"is {age} on the date of service: bill {fits}.")


def _insurance(claim: ClaimData, add: Add) -> None:
    policy = claim.policy
    if policy is None:
        add(INSURANCE, f"No insurance in force on {claim.date_of_service:%m/%d/%Y}: add the policy.")
        return
    if not policy.payer_code:
        add(INSURANCE, f"{policy.payer_name} has no electronic payer ID.")
    if not policy.payer_active:
        add(INSURANCE, f"{policy.payer_name} is marked inactive.")
    if not policy.member_id:
        add(INSURANCE, "Subscriber ID (member ID) is missing.")
    elif not _MEMBER_ID.match(policy.member_id):
        add(INSURANCE, f"Subscriber ID {policy.member_id!r}: letters, digits and dashes only (2-30).")
    elif policy.filing_code in MEDICARE_FILING and not MBI.match(policy.member_id.replace("-", "").upper()):
        add(INSURANCE, f"Medicare member ID {policy.member_id!r} is not an MBI (11 characters such as "
                       "1EG4-TE5-MK72, from the patient's red, white and blue card).")
    if policy.relationship != "self":
        if not (policy.subscriber_last and policy.subscriber_first):
            add(INSURANCE, f"Subscriber name {policy.subscriber_name!r}: type the first and last name in their "
                           "own fields on the policy." if policy.subscriber_name else
                           "Subscriber's first and last name are needed (the patient is not the subscriber).")
        if policy.subscriber_dob is None:
            add(INSURANCE, "Subscriber's date of birth is needed (the patient is not the subscriber).")


def _patient(claim: ClaimData, add: Add) -> None:
    p = claim.patient
    if p.dob is None:
        add(PATIENT, "Patient date of birth is missing.")
    elif p.dob > claim.date_of_service:
        add(PATIENT, f"Patient date of birth {p.dob:%m/%d/%Y} is after the date of service.")
    if not (p.address_line1 and p.city and p.state and p.postal_code):
        add(PATIENT, "Patient address is incomplete (street, city, state and ZIP).")
    elif not _ZIP.match(p.postal_code):
        add(PATIENT, f"Patient ZIP {p.postal_code!r} is not a US ZIP code.")


_PARTS = (("last", "last name", "NM103"), ("first", "first name", "NM104"), ("middle", "middle name", "NM105"))


def _names(claim: ClaimData, add: Add) -> None:
    """Names in Latin letters, and names and addresses that fit their X12 elements uncut."""
    p = claim.patient
    latin_missing = not (has_latin_letters(p.latin_last_name or p.last_name)
                         and has_latin_letters(p.latin_first_name or p.first_name))
    if latin_missing:
        add(PATIENT, "Patient name has no Latin letters: type it as on the insurance card "
                     "(Latin-letter name on the patient form).")
    else:
        _fits(patient_name(p), "Patient", PATIENT, add)
    for label, value, element in (("street", p.address_line1, "N301"), ("street (2)", p.address_line2, "N302"),
                                  ("city", p.city, "N401")):
        _fit(value, f"Patient {label}", element, PATIENT, add, "shorten it on the patient form (St, Ave, Apt...)")
    policy = claim.policy
    if policy is not None:
        _fit(policy.payer_name, "Payer name", "NM103", INSURANCE, add, "shorten it in Practice setup -> Payers")
    if policy is not None and policy.relationship != "self" and policy.subscriber_last and policy.subscriber_first:
        name = subscriber_name(policy, p)
        if not (has_latin_letters(name.last) and has_latin_letters(name.first)):
            add(INSURANCE, "Subscriber name has no Latin letters: type it as on the insurance card.")
        else:
            _fits(name, "Subscriber", INSURANCE, add)
    b = claim.billing
    for label, value, element in (("name", b.name, "NM103"), ("street", b.address_line1, "N301"),
                                  ("street (2)", b.address_line2, "N302"), ("city", b.city, "N401")):
        _fit(value, f"Clinic {label}", element, BILLING, add, "shorten it in Practice setup -> Clinic")


def _fits(name: NameParts, whose: str, fix: str, add: Add) -> None:
    for part, label, element in _PARTS:
        _fit(getattr(name, part), f"{whose} {label}", element, fix, add)
    if not x12_text(name.last, 1000) or not x12_text(name.first, 1000):
        add(fix, f"{whose} name {name.full!r} has no letters a claim can carry: check the last and first name.")


def _fit(value: str, label: str, element: str, fix: str, add: Add,
         how: str = "shorten it as printed on the insurance card") -> None:
    """A problem when the text would be cut to fit its element."""
    length, limit = len(x12_text(value, 10_000)), LIMITS[element]
    if length > limit:
        add(fix, f"{label} {value[:20]!r}... is {length} characters; claims carry at most {limit} ({element}): "
                 f"{how}.")


def _billing(claim: ClaimData, add: Add) -> None:
    b = claim.billing
    if not valid_npi(claim.rendering_npi):
        add(BILLING, f"Rendering provider {claim.rendering_name}: NPI {claim.rendering_npi!r} fails its check digit.")
    if not valid_npi(b.npi):
        add(BILLING, f"Billing NPI {b.npi or '(none)'} is not a valid NPI.")
    try:
        parse_tax_id(b.tax_id)
    except ValueError:
        add(BILLING, f"Clinic tax ID {b.tax_id or '(none)'} is not an EIN (NN-NNNNNNN) or SSN (NNN-NN-NNNN).")
    if not (b.address_line1 and b.city and b.state):
        add(BILLING, "Clinic street address, city and state are needed on every claim.")
    if len(digits(b.phone)) < 10:
        add(BILLING, "Clinic phone number is needed on every file (the submitter's contact).")
    if not claim.billing_taxonomy:
        add(BILLING, "No taxonomy code for the billing provider (e.g. 207Q00000X): set it in Practice setup.")
    elif not TAXONOMY.match(claim.billing_taxonomy):
        add(BILLING, f"Taxonomy {claim.billing_taxonomy!r} is not a taxonomy code (10 characters ending in X).")

    if not _ZIP9.match(b.postal_code):
        add(BILLING, f"Clinic ZIP {b.postal_code or '(none)'} must have all nine digits (ZIP+4) on claims.")
    if not b.clearinghouse_id:
        add(BILLING, "No clearinghouse set: give its interchange ID (billing identities).")
