"""Generated patients and their insurance, as plain rows for bulk inserts.

Faker fills small pools of names, streets and towns once; each patient is then drawn from
those pools with a seeded `random.Random`, which is what lets the benchmark generator make
a million patients in a couple of minutes and keeps every run with the same seed identical.
Phone numbers are in the 555 exchange, which is not given to subscribers; e-mail addresses use
the reserved example domains; towns are real places around the demo clinic in Springfield, IL.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from faker import Faker

from officeconsole.models.enums import ContactPreference, PatientStatus, Relationship, Sex
from officeconsole.services.common.text import search_key
from officeconsole.services.frontdesk.patient_search import format_mrn

FIRST_MRN = 1001
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
# Central Illinois first, then the rest of the state.
AREA_CODES = ("217", "309", "618", "312", "773")
AREA_WEIGHTS = (80, 6, 6, 4, 4)
TOWNS = (
    ("Springfield", "62701"), ("Springfield", "62702"), ("Springfield", "62703"),
    ("Springfield", "62704"), ("Chatham", "62629"), ("Rochester", "62563"), ("Sherman", "62684"),
    ("Petersburg", "62675"), ("Jacksonville", "62650"), ("Decatur", "62521"), ("Lincoln", "62656"),
    ("Taylorville", "62568"), ("Auburn", "62615"), ("Pawnee", "62558"), ("Riverton", "62561"),
    ("Athens", "62613"), ("Pleasant Plains", "62677"), ("Williamsville", "62693"),
    ("New Berlin", "62670"), ("Divernon", "62530"), ("Virden", "62690"), ("Carlinville", "62626"),
)
TOWN_WEIGHTS = (14, 14, 12, 14) + (3,) * (len(TOWNS) - 4)


@dataclass(frozen=True)
class PayerPlan:
    """A payer the generator can enrol patients with."""

    id: int
    kind: str  # "commercial", "medicare", "medicaid", "supplement"
    member_prefix: str
    copays: tuple[int, ...]


@dataclass
class GeneratedPatients:
    patients: list[dict]
    policies: list[dict]


class PeopleGenerator:
    """Deterministic patients for one clinic; `batch` may be called repeatedly."""

    def __init__(self, seed: int, today: dt.date, now: dt.datetime) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.now = now
        fake = Faker("en_US")
        fake.seed_instance(seed)
        spanish = Faker("es_MX")
        spanish.seed_instance(seed + 1)
        self.female = _unique(fake.first_name_female for _ in range(700)) + _unique(
            spanish.first_name_female for _ in range(120))
        self.male = _unique(fake.first_name_male for _ in range(700)) + _unique(
            spanish.first_name_male for _ in range(120))
        self.last = _unique(fake.last_name for _ in range(2500)) + _unique(
            spanish.last_name for _ in range(300)) + ["O'Brien", "D'Angelo", "Nguyen-Tran",
                                                      "McAllister", "St. Clair", "Van der Berg"]
        self.streets = _unique(fake.street_address for _ in range(1500))
        self.units = ["Apt 1", "Apt 2B", "Unit 4", "Apt 12", "Suite 100"]

    # ----- one person -------------------------------------------------------------------
    def _dob(self) -> dt.date:
        # A family practice: children, working adults and a long tail of older patients.
        band = self.rng.random()
        if band < 0.22:
            age_days = self.rng.randint(30, 18 * 365)
        elif band < 0.78:
            age_days = self.rng.randint(18 * 365, 64 * 365)
        else:
            age_days = self.rng.randint(65 * 365, 98 * 365)
        return self.today - dt.timedelta(days=age_days)

    def _phone(self) -> str:
        area = self.rng.choices(AREA_CODES, AREA_WEIGHTS)[0]
        line = self.rng.randint(100, 9999)
        if line in (1212, 4334):  # the 555 numbers that do ring somewhere
            line += 1
        return f"+1{area}555{line:04d}"

    def patient(self, patient_id: int) -> dict:
        rng = self.rng
        sex = rng.choices((Sex.FEMALE, Sex.MALE, Sex.OTHER, Sex.UNKNOWN), (52, 46, 1, 1))[0]
        pool = self.female if sex == Sex.FEMALE else self.male if sex == Sex.MALE else (
            self.female if rng.random() < 0.5 else self.male)
        first, last = rng.choice(pool), rng.choice(self.last)
        middle = rng.choice(pool) if rng.random() < 0.4 else ""
        if rng.random() < 0.04:
            last = f"{last}-{rng.choice(self.last)}"
        phone = self._phone() if rng.random() < 0.96 else ""
        email = ""
        if rng.random() < 0.62:
            email = f"{search_key(first).replace(' ', '')}.{search_key(last).replace(' ', '')}" \
                    f"{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS)}"
        contact = rng.choices(
            (ContactPreference.PHONE, ContactPreference.SMS, ContactPreference.EMAIL, ContactPreference.MAIL),
            (45, 35, 15, 5))[0]
        if contact in (ContactPreference.PHONE, ContactPreference.SMS) and not phone:
            contact = ContactPreference.MAIL
        if contact == ContactPreference.EMAIL and not email:
            contact = ContactPreference.PHONE if phone else ContactPreference.MAIL
        town, postal = rng.choices(TOWNS, TOWN_WEIGHTS)[0]
        created = self.now - dt.timedelta(days=rng.randint(1, 3650), minutes=rng.randint(0, 600))
        return {
            "id": patient_id,
            "mrn": format_mrn(FIRST_MRN + patient_id - 1),
            "first_name": first,
            "middle_name": middle,
            "last_name": last,
            "preferred_name": "",
            "first_key": search_key(first),
            "last_key": search_key(last),
            "dob": self._dob(),
            "sex": sex.value,
            "phone": phone,
            "phone_key": phone[2:] if phone else "",
            "phone_key_reversed": phone[2:][::-1] if phone else "",
            "email": email,
            "address_line1": rng.choice(self.streets),
            "address_line2": rng.choice(self.units) if rng.random() < 0.12 else "",
            "city": town,
            "state": "IL",
            "postal_code": postal,
            "preferred_contact": contact.value,
            "status": (PatientStatus.INACTIVE if rng.random() < 0.03 else PatientStatus.ACTIVE).value,
            "merged_into_id": None,
            # Most established patients signed the privacy notice at their first visit.
            "privacy_notice_on": min(self.today, (created + dt.timedelta(days=rng.randint(0, 30))).date())
            if rng.random() < 0.85 else None,
            "created_at": created,
            "updated_at": created,
            "version": 1,
        }

    # ----- insurance --------------------------------------------------------------------
    def _member_id(self, plan: PayerPlan) -> str:
        number = self.rng.randint(10**8, 10**9 - 1)
        return _mbi(number) if plan.kind == "medicare" else f"{plan.member_prefix}{number}"

    def _policy(self, policy_id: int, patient: dict, plan: PayerPlan, rank: int) -> dict:
        rng = self.rng
        age = (self.today - patient["dob"]).days // 365
        relationship, subscriber, subscriber_dob = Relationship.SELF, "", None
        given = ""
        if age < 18 and plan.kind == "commercial":
            relationship = Relationship.CHILD
            parent = given = rng.choice(self.female if rng.random() < 0.6 else self.male)
            subscriber = f"{parent} {patient['last_name']}"
            subscriber_dob = patient["dob"] - dt.timedelta(days=rng.randint(22 * 365, 40 * 365))
        elif plan.kind == "commercial" and rng.random() < 0.15:
            relationship = Relationship.SPOUSE
            spouse = given = rng.choice(self.male if patient["sex"] == Sex.FEMALE else self.female)
            subscriber = f"{spouse} {patient['last_name']}"
            subscriber_dob = patient["dob"] + dt.timedelta(days=rng.randint(-3000, 3000))
        start = max(patient["dob"], self.today - dt.timedelta(days=rng.randint(30, 6 * 365)))
        start = start.replace(day=1)
        end = None
        if rng.random() < 0.05:  # lapsed: the check-in screen should catch these
            end = min(self.today - dt.timedelta(days=rng.randint(1, 200)), start + dt.timedelta(days=400))
            end = max(end, start)
        copay = Decimal(rng.choice(plan.copays)) if plan.copays and rank == 1 else None
        row = {
            "id": policy_id,
            "patient_id": patient["id"],
            "payer_id": plan.id,
            "rank": rank,
            "member_id": self._member_id(plan),
            "group_number": f"G{rng.randint(10000, 99999)}" if plan.kind == "commercial" else "",
            "subscriber_name": subscriber,
            "subscriber_last_name": patient["last_name"] if subscriber else "",
            "subscriber_first_name": given,
            "subscriber_middle_name": "",
            "subscriber_suffix": "",
            "subscriber_dob": subscriber_dob,
            "subscriber_relationship": relationship.value,
            "effective_from": start,
            "effective_to": end,
            "copay": copay,
            # Most were confirmed at a recent visit; some not for months, some never.
            "verified_at": self.now - dt.timedelta(days=rng.randint(0, 120), minutes=rng.randint(0, 600))
            if rng.random() < 0.75 else None,
            "verified_how": rng.choice(("card", "card", "eligibility", "phone", "portal")),
            "verified_by_id": None,
            "created_at": patient["created_at"],
            "version": 1,
        }
        if row["verified_at"] is None:
            row["verified_how"] = ""
        return row

    def policies_for(self, patient: dict, plans: list[PayerPlan], next_id: int) -> list[dict]:
        """Primary (and sometimes secondary) cover: Medicare from 65, Medicaid or an employer plan before."""
        rng = self.rng
        if rng.random() < 0.08:
            return []  # self-pay
        by_kind: dict[str, list[PayerPlan]] = {}
        for plan in plans:
            by_kind.setdefault(plan.kind, []).append(plan)
        age = (self.today - patient["dob"]).days // 365
        if age >= 65 and "medicare" in by_kind:
            chosen = [rng.choice(by_kind["medicare"])]
            if rng.random() < 0.35 and "supplement" in by_kind:
                chosen.append(rng.choice(by_kind["supplement"]))
        elif rng.random() < 0.18 and "medicaid" in by_kind:
            chosen = [rng.choice(by_kind["medicaid"])]
        else:
            chosen = [rng.choice(by_kind["commercial"])]
            if rng.random() < 0.06:
                second = rng.choice(by_kind["commercial"])
                if second.id != chosen[0].id:
                    chosen.append(second)
        return [self._policy(next_id + i, patient, plan, rank)
                for i, (rank, plan) in enumerate(enumerate(chosen, start=1))]

    def batch(self, first_id: int, count: int, plans: list[PayerPlan], first_policy_id: int) -> GeneratedPatients:
        patients, policies = [], []
        policy_id = first_policy_id
        for patient_id in range(first_id, first_id + count):
            row = self.patient(patient_id)
            patients.append(row)
            cover = self.policies_for(row, plans, policy_id)
            policy_id += len(cover)
            policies.extend(cover)
        return GeneratedPatients(patients, policies)


_MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"  # no S, L, O, I, B or Z


def _mbi(number: int) -> str:
    """A Medicare Beneficiary Identifier in CMS's format (11 characters), made from `number`."""
    rng = random.Random(number)
    both = _MBI_LETTERS + "0123456789"
    return "".join((str(rng.randint(1, 9)), rng.choice(_MBI_LETTERS), rng.choice(both), str(rng.randint(0, 9)),
                    rng.choice(_MBI_LETTERS), rng.choice(both), str(rng.randint(0, 9)), rng.choice(_MBI_LETTERS),
                    rng.choice(_MBI_LETTERS), str(rng.randint(0, 9)), str(rng.randint(0, 9))))


def _unique(make) -> list[str]:
    """Distinct values from a generator of Faker calls, in first-seen order."""
    seen: dict[str, None] = {}
    for value in make:
        seen.setdefault(value(), None)
    return list(seen)
