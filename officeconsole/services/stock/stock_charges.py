"""Stock given at a visit, billed on it: the item's code added to the encounter while it is being
coded, and for a vaccine its administration code (90471 for the first, 90472 after) for Z23."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import ChargeLine, Encounter, FeeScheduleItem, InventoryItem
from officeconsole.models.billing import EncounterDiagnosis, EncounterStatus
from officeconsole.models.inventory import ItemCategory
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, ValidationError
from officeconsole.services.security import audit


def charge_from_stock(session: Session, ctx: ServiceContext, item: InventoryItem, encounter: Encounter,
                      amount: int) -> str:
    """Add the item's billing code to the encounter while it is still being coded; the
    encounter's version moves on, so a coder with it open reloads instead of overwriting."""
    if not item.billing_code:
        return ""
    if encounter.status != EncounterStatus.NEEDS_CODING:
        return f"{item.billing_code} not added: the visit's claim is {encounter.status.replace('_', ' ')}."
    fee = session.scalar(select(FeeScheduleItem.fee).where(FeeScheduleItem.code == item.billing_code,
                                                           FeeScheduleItem.active.is_(True)))
    if fee is None:
        return f"{item.billing_code} not added: it is not on the fee schedule."
    line_no = (session.scalar(select(func.max(ChargeLine.line_no)).where(ChargeLine.encounter_id == encounter.id))
               or 0) + 1
    pointer, added = "1", ""
    if item.category == ItemCategory.VACCINE:  # the product, its administration, for Z23
        admin = _administration_code(session, encounter)
        admin_fee = session.scalar(select(FeeScheduleItem.fee).where(FeeScheduleItem.code == admin,
                                                                     FeeScheduleItem.active.is_(True)))
        if admin_fee is None:
            return (f"{item.billing_code} not added: its administration code {admin} is not on the fee schedule "
                    "(Practice setup -> Fees).")
        pointer = str(_immunization_position(session, encounter))
        session.add(ChargeLine(encounter_id=encounter.id, line_no=line_no + 1, code=admin, modifiers="",
                               units=1, fee=admin_fee, diagnosis_pointers=pointer))
        added = f" with its administration {admin}, for {IMMUNIZATION}"
    session.add(ChargeLine(encounter_id=encounter.id, line_no=line_no, code=item.billing_code, modifiers="",
                           units=amount, fee=fee, diagnosis_pointers=pointer))
    encounter.updated_at = ctx.now()
    flag_modified(encounter, "updated_at")  # the version moves on even within the same clock tick
    try:
        session.flush()
    except StaleDataError:
        raise ConcurrentEdit("encounter") from None
    audit.record(session, ctx.now(), ctx.actor, "encounter.charge", entity="encounter",
                 entity_id=encounter.id, patient_id=encounter.patient_id,
                 summary=f"{item.billing_code} x{amount} from stock ({item.name}){added}")
    return f"{item.billing_code} x{amount}{added} added to the visit's charges."


IMMUNIZATION = "Z23"  # ICD-10-CM: encounter for immunization
ADMINISTRATION = ("90471", "90472")  # the first vaccine given at a visit, each further one


def _immunization_position(session: Session, encounter: Encounter) -> int:
    """Where Z23 is among the visit's diagnoses, adding it last when it is missing."""
    rows = session.scalars(select(EncounterDiagnosis).where(EncounterDiagnosis.encounter_id == encounter.id)
                           .order_by(EncounterDiagnosis.position)).all()
    found = next((d.position for d in rows if d.code == IMMUNIZATION), None)
    if found is not None:
        return found
    position = (rows[-1].position if rows else 0) + 1
    if position > 12:
        raise ValidationError({"item_id": "The visit has 12 diagnoses already: Z23 (immunization) cannot be added."})
    session.add(EncounterDiagnosis(encounter_id=encounter.id, position=position, code=IMMUNIZATION))
    return position


def _administration_code(session: Session, encounter: Encounter) -> str:
    """90471 for the visit's first vaccine, 90472 for each one after it."""
    given = session.scalar(select(func.count()).select_from(ChargeLine).where(
        ChargeLine.encounter_id == encounter.id, ChargeLine.code.in_(ADMINISTRATION)))
    return ADMINISTRATION[0] if not given else ADMINISTRATION[1]
