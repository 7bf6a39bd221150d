"""A clinic ready to bill: identities set, a fee schedule, an insured patient, coded visits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update

from officeconsole.models import ClinicSettings
from officeconsole.services.billing.billing_identity import BillingIdentityService, Identities
from officeconsole.services.billing.encounters import ChargeInput, EncounterService, EncounterView
from officeconsole.services.billing.fees import FeeService
from officeconsole.services.frontdesk.checkin import CheckInInput, CheckInService
from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput
from officeconsole.services.scheduling.booking import BookingInput

from tests.factories import register

FEES = "code,description,fee\n99213,Office visit est. low,125.00\n99214,Office visit est. moderate,185\n36415,Venipuncture,15\n"


@dataclass
class Billing:
    sched: dict
    desk: object
    biller: object
    manager: object
    payer_id: int
    patient_id: int
    policy_id: int
    slot: int = 0
    day: object = None

    def visit(self, patient_id: int | None = None, *, checked_out: bool = True) -> int:
        """A visit today (the clock's day), checked in and (unless told) out, one per call, at the next free
        time from 13:00."""
        day = self.desk.today()
        if day != self.day:
            self.day, self.slot = day, 0
        start = f"{13 + self.slot // 3:02d}:{(self.slot % 3) * 20:02d}"
        self.slot += 1
        visit = self.sched["book"].book(BookingInput(patient_id or self.patient_id, self.sched["lee"],
                                                     self.sched["type"], day, start))
        arrived = CheckInService(self.desk).check_in(CheckInInput(visit.id, visit.version))
        if checked_out:
            CheckInService(self.desk).check_out(arrived.appointment_id, arrived.version)
        return visit.id

    def coded(self, lines=(("99213", "", 1, "1"),), diagnoses=("E11.9", "I10"), **kw) -> EncounterView:
        coding = EncounterService(self.biller)
        encounter = coding.for_visit(self.visit(**kw))
        encounter = coding.set_diagnoses(encounter.id, encounter.version, list(diagnoses))
        for code, modifiers, units, pointers in lines:
            encounter = coding.add_charge(encounter.id, encounter.version, ChargeInput(code, modifiers, units, pointers))
        return encounter


def make_billing(sched, as_role, clinic) -> Billing:
    manager, biller, desk = as_role("manager"), as_role("billing"), as_role("front_desk")
    with manager.db.write() as session:
        session.execute(update(ClinicSettings).values(address_line1="1200 Prairie Avenue", city="Springfield",
                                                      state="IL", phone="+12175550100",
                                                      taxonomy="207Q00000X"))
    BillingIdentityService(manager).set_identities(Identities(
        "1234567893", "37-1234567", "62704-1234", "CLEARHOUSE1", "Clear House", {sched["lee"]: "1245319599"}))
    FeeService(biller).import_csv(FEES)
    payer_id = clinic.payer_ids["Blue Shield Test Plan"]
    patient = register(desk, first_name="Carla", last_name="Claimant", address_line1="12 Main St")
    policy = InsuranceService(desk).add_policy(patient.id, PolicyInput(payer_id, 1, "XYZ123456", "G100",
                                                                       effective_from="2025-01-01"))
    return Billing(sched, desk, biller, manager, payer_id, patient.id, policy.id)


def send_two_claims(billing: Billing, folder):
    """Two claims submitted in one batch, $125 and $215: what the acknowledgement tests answer."""
    from officeconsole.services.billing.claims import ClaimService

    first = billing.coded()
    second = billing.coded(lines=(("99214", "25", 1, "1,2"), ("36415", "", 2, "1")))
    claims = ClaimService(billing.biller)
    claims.mark_all_ready()
    batch = claims.export_837(folder)
    return first, second, batch


def rejected_by_277ca(billing: Billing, folder, status: str, entity: str, words: str):
    """A $125 claim sent, and the 277CA file (in `folder`) that rejects it: (the visit, the file)."""
    from decimal import Decimal

    from officeconsole.demo.acks import ClaimAnswerSpec, make_277ca
    from officeconsole.services.billing.claims import ClaimService

    visit = billing.coded()
    claims = ClaimService(billing.biller)
    claims.mark_all_ready()
    claims.export_837(folder)
    ack = folder / "ack.277"
    ack.write_text(make_277ca([ClaimAnswerSpec(f"OC{visit.id}", Decimal(125), "A7", status, entity, words)]))
    return visit, ack
