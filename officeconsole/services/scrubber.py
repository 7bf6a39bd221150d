"""The claim scrubber: every reason a payer would bounce a claim, found before it leaves.

Each problem is one line the biller can act on, tagged with where it is fixed (`fix`), so the
queue screen can jump straight to that form. pyx12 checks the file's syntax; these checks
cover what it cannot: NPI check digits, code validity, pointers, dates, totals.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from officeconsole.services.claim_data import ClaimData
from officeconsole.services.codes import icd10
from officeconsole.services.errors import ValidationError
from officeconsole.services.identifiers import TAXONOMY, parse_tax_id, valid_npi
from officeconsole.services.x12_837 import digits

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


@dataclass(frozen=True)
class Problem:
    fix: str
    message: str


def scrub(claim: ClaimData, today: dt.date) -> list[Problem]:
    """Every problem with the claim, in the order a biller would fix them; empty when clean."""
    problems: list[Problem] = []
    add = lambda fix, message: problems.append(Problem(fix, message))  # noqa: E731
    _visit(claim, today, add)
    _coding(claim, add)
    _insurance(claim, add)
    _patient(claim, add)
    _billing(claim, add)
    return problems


def _visit(claim: ClaimData, today: dt.date, add) -> None:
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


def _coding(claim: ClaimData, add) -> None:
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


def _insurance(claim: ClaimData, add) -> None:
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
    if policy.relationship != "self":
        if len(policy.subscriber_name.split()) < 2:
            add(INSURANCE, "Subscriber's first and last name are needed (the patient is not the subscriber).")
        if policy.subscriber_dob is None:
            add(INSURANCE, "Subscriber's date of birth is needed (the patient is not the subscriber).")


def _patient(claim: ClaimData, add) -> None:
    p = claim.patient
    if p.dob is None:
        add(PATIENT, "Patient date of birth is missing.")
    elif p.dob > claim.date_of_service:
        add(PATIENT, f"Patient date of birth {p.dob:%m/%d/%Y} is after the date of service.")
    if not (p.address_line1 and p.city and p.state and p.postal_code):
        add(PATIENT, "Patient address is incomplete (street, city, state and ZIP).")
    elif not _ZIP.match(p.postal_code):
        add(PATIENT, f"Patient ZIP {p.postal_code!r} is not a US ZIP code.")


def _billing(claim: ClaimData, add) -> None:
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
