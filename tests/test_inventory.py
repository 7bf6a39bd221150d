"""Stock rules: deliveries, first-expiry-first-out across lots, expired stock only as witnessed
waste, counts, purchase suggestions, a vaccine given to a patient charged on the visit, and
two consoles taking the last unit at once."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from officeconsole.models import ChargeLine, InventoryLot, StockMovement
from officeconsole.services.billing.encounters import EncounterService
from officeconsole.services.billing.fees import FeeService
from officeconsole.services.common.errors import NotFound, PermissionDenied, ValidationError
from officeconsole.services.frontdesk.checkin import CheckInInput, CheckInService
from officeconsole.services.frontdesk.ledger import new_request_key
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.stock.inventory import CountLine, InventoryService, ItemInput, ReceiveLine

from tests.conftest import NOW

TODAY = NOW.date()


def flu(service: InventoryService) -> int:
    return service.add_item(ItemInput("Influenza vaccine, quadrivalent", "vaccine", "dose", "49281-0421-50",
                                      "Sanofi", "18.50", 5, 20, "refrigerated 2-8 C", "90686")).id


def test_receive_checks_lots_and_expiry(manager_ctx, clinic):
    stock = InventoryService(manager_ctx)
    vaccine = flu(stock)
    gloves = stock.add_item(ItemInput("Nitrile gloves, M", "supply", "box", vendor="Medline", unit_cost="7.25",
                                      reorder_point=10, par_level=40)).id
    with pytest.raises(ValidationError, match="needs its lot number and expiry"):
        stock.receive([ReceiveLine(vaccine, 10)], new_request_key())
    with pytest.raises(ValidationError, match="expired 11/01/2026; do not receive it"):
        stock.receive([ReceiveLine(vaccine, 10, "u1", "2026-11-01")], new_request_key())
    with pytest.raises(ValidationError, match="give a quantity above zero"):
        stock.receive([ReceiveLine(gloves, -3)], new_request_key())
    key = new_request_key()
    assert stock.receive([ReceiveLine(vaccine, 10, "u1", "2027-03-31"), ReceiveLine(gloves, 12)], key) == 22
    assert stock.receive([ReceiveLine(vaccine, 10, "u1", "2027-03-31"), ReceiveLine(gloves, 12)], key) == 22
    with pytest.raises(ValidationError, match="lot U1 is on record with expiry 03/31/2027, not 04/30/2027"):
        stock.receive([ReceiveLine(vaccine, 5, "U1", "2027-04-30")], new_request_key())
    rows = {i.name: i.on_hand for i in stock.items()}
    assert rows == {"Influenza vaccine, quadrivalent": 10, "Nitrile gloves, M": 12}  # the repeat added nothing
    with pytest.raises(ValidationError) as bad:
        stock.add_item(ItemInput("", "food", unit_cost="-1", reorder_point=10, par_level=5, billing_code="flu"))
    assert set(bad.value.errors) == {"name", "category", "unit_cost", "par_level", "billing_code"}


def test_use_takes_first_expiry_first_and_spans_lots(manager_ctx, as_role, clinic, clock):
    stock = InventoryService(manager_ctx)
    vaccine = flu(stock)
    stock.receive([ReceiveLine(vaccine, 3, "LATE", "2027-06-30"), ReceiveLine(vaccine, 2, "SOON", "2027-01-31"),
                   ReceiveLine(vaccine, 4, "GONE", "2026-12-01")], new_request_key())
    clock.at = NOW + dt.timedelta(days=10)  # GONE has expired now
    desk = InventoryService(as_role("front_desk"))
    with pytest.raises(ValidationError, match="Only 5 dose .* not expired; 6 asked for. Nothing was taken."):
        desk.use(vaccine, 6, new_request_key())
    used = desk.use(vaccine, 4, new_request_key())
    assert [(t.lot_number, t.quantity) for t in used.taken] == [("SOON", 2), ("LATE", 2)]
    assert [(lot.lot_number, lot.on_hand, lot.days_left) for lot in stock.lots(vaccine)] == [
        ("GONE", 4, -2), ("LATE", 1, 209)]
    gone = stock.lots(vaccine)[0].id
    with pytest.raises(ValidationError, match="with a witness"):
        stock.waste(gone, 4, "expired", new_request_key())
    with pytest.raises(ValidationError, match="Say why"):
        stock.waste(gone, 4, "", new_request_key(), witness_id=clinic.actors["front_desk"].user_id)
    stock.waste(gone, 4, "expired", new_request_key(), witness_id=clinic.actors["front_desk"].user_id)
    with pytest.raises(PermissionDenied):
        desk.waste(stock.lots(vaccine)[0].id, 1, "broken", new_request_key())
    with pytest.raises(PermissionDenied):
        InventoryService(as_role("billing")).use(vaccine, 1, new_request_key())


def test_movements_always_add_up_to_on_hand(manager_ctx, ctx, clinic):
    stock = InventoryService(manager_ctx)
    gloves = stock.add_item(ItemInput("Gloves", "supply", reorder_point=2, par_level=10)).id
    stock.receive([ReceiveLine(gloves, 8)], new_request_key())
    stock.use(gloves, 3, new_request_key())
    lot = stock.lots(gloves)[0].id
    counted = stock.count([CountLine(lot, 4)], new_request_key())
    assert counted.adjusted == [("Gloves", "", -1)]
    with ctx.db.read() as session:
        moved = session.scalar(select(func.sum(StockMovement.quantity)).where(StockMovement.lot_id == lot))
        kept = session.get(InventoryLot, lot).on_hand
    assert moved == kept == 4
    with pytest.raises(ValidationError, match="cannot be negative"):
        stock.count([CountLine(lot, -1)], new_request_key())


def test_purchase_suggestions_order_up_to_par_by_vendor_and_valuation(manager_ctx, clinic):
    stock = InventoryService(manager_ctx)
    gloves = stock.add_item(ItemInput("Gloves", "supply", "box", vendor="Medline", unit_cost="7.25",
                                      reorder_point=10, par_level=40)).id
    gauze = stock.add_item(ItemInput("Gauze 4x4", "supply", "pack", vendor="Medline", unit_cost="3.00",
                                     reorder_point=5, par_level=20)).id
    vaccine = flu(stock)
    stock.receive([ReceiveLine(gloves, 10), ReceiveLine(gauze, 6), ReceiveLine(vaccine, 2, "V1", "2027-02-28")],
                  new_request_key())
    suggested = [(s.vendor, s.item, s.order, s.cost) for s in stock.suggestions()]
    assert suggested == [("Medline", "Gloves", 30, Decimal("217.50")), ("Sanofi", "Influenza vaccine, quadrivalent",
                                                                        18, Decimal("333.00"))]
    assert stock.valuation() == {"supply": Decimal("90.50"), "vaccine": Decimal("37.00")}
    assert [i.name for i in stock.items(search="gau")] == ["Gauze 4x4"]
    assert [i.name for i in stock.items(low_only=True)] == ["Gloves", "Influenza vaccine, quadrivalent"]
    assert stock.alert_counts(30) == (0, 2) and stock.alert_counts(100) == (1, 2)  # V1 expires in 97 days


def test_a_vaccine_given_at_a_visit_is_charged_on_its_encounter(ctx, sched, manager_ctx, desk_ctx, as_role, clock):
    FeeService(as_role("billing")).import_csv("90686,Flu vaccine,38\n90471,Vaccine admin,25\n")
    stock = InventoryService(manager_ctx)
    vaccine = flu(stock)
    stock.receive([ReceiveLine(vaccine, 5, "FLU1", "2027-03-31")], new_request_key())
    clock.at = NOW.replace(hour=12)
    visit = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], TODAY, "08:00"))
    clock.at = NOW.replace(hour=13)
    CheckInService(desk_ctx).check_in(CheckInInput(visit.id, visit.version))
    encounter = EncounterService(as_role("billing")).for_visit(visit.id)
    nurse = InventoryService(as_role("provider"))
    assert [(v.encounter_id, v.patient_id) for v in nurse.visits_today()] == [(encounter.id, sched["ann"])]
    assert nurse.visits_today()[0].label.startswith("08:00 ")
    encounter = EncounterService(as_role("billing")).set_diagnoses(encounter.id, encounter.version, ["I10"])
    given = nurse.use(vaccine, 1, new_request_key(), encounter_id=encounter.id)  # the visit names the patient
    assert [(t.lot_number, t.expires_on) for t in given.taken] == [("FLU1", dt.date(2027, 3, 31))]
    assert given.charge == "90686 x1 with its administration 90471, for Z23 added to the visit's charges."
    coded = EncounterService(as_role("billing")).encounter(encounter.id)
    assert coded.version > encounter.version  # a coder holding the old version reloads, never overwrites
    assert [(g.item, g.lot_number, g.expires_on, g.quantity) for g in coded.given] == [
        ("Influenza vaccine, quadrivalent", "FLU1", dt.date(2027, 3, 31), 1)]
    with pytest.raises(ValidationError, match="another patient's"):
        nurse.use(vaccine, 1, new_request_key(), patient_id=sched["bob"], encounter_id=encounter.id)
    with ctx.db.read() as session:
        lines = session.execute(select(ChargeLine.code, ChargeLine.fee, ChargeLine.diagnosis_pointers)
                                .order_by(ChargeLine.line_no)).all()
        movement = session.scalars(select(StockMovement).where(StockMovement.kind == "use")).one()
        assert (movement.patient_id, movement.encounter_id) == (sched["ann"], encounter.id)
    # The product and its administration both point at the immunization diagnosis, added after I10.
    assert lines == [("90686", Decimal("38.00"), "2"), ("90471", Decimal("25.00"), "2")]
    assert [code for _, code, _ in EncounterService(as_role("billing")).encounter(encounter.id).diagnoses] == [
        "I10", "Z23"]
    second = nurse.use(vaccine, 1, new_request_key(), encounter_id=encounter.id)
    assert second.charge == ("90686 not added: its administration code 90472 is not on the fee schedule "
                             "(Practice setup -> Fees).")
    FeeService(as_role("billing")).add_fee("90472", "Each further vaccine admin", "15")
    third = nurse.use(vaccine, 1, new_request_key(), encounter_id=encounter.id)
    assert third.charge == "90686 x1 with its administration 90472, for Z23 added to the visit's charges."
    with pytest.raises(NotFound):
        stock.use(vaccine, 1, new_request_key(), patient_id=99999)


def test_two_consoles_taking_the_last_unit(manager_ctx, ctx, clinic):
    stock = InventoryService(manager_ctx)
    item = stock.add_item(ItemInput("Epinephrine auto-injector", "medication", "each", reorder_point=1,
                                    par_level=2)).id
    stock.receive([ReceiveLine(item, 1, "EPI1", "2027-05-31")], new_request_key())
    start, outcomes = threading.Barrier(2), []

    def take():
        start.wait()
        try:
            InventoryService(manager_ctx).use(item, 1, new_request_key())
            outcomes.append("used")
        except ValidationError as exc:
            outcomes.append(exc.message)

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes)[-1] == "used" and len(outcomes) == 2
    assert "Nothing was taken" in sorted(outcomes)[0]
    with ctx.db.read() as session:
        assert session.scalar(select(InventoryLot.on_hand)) == 0
        assert session.scalar(select(func.count()).select_from(StockMovement).where(StockMovement.kind == "use")) == 1


def test_transfer_moves_part_of_a_lot_to_another_place(manager_ctx, ctx, clinic):
    stock = InventoryService(manager_ctx)
    vaccine = flu(stock)
    stock.receive([ReceiveLine(vaccine, 10, "FLU1", "2027-03-31")], new_request_key())
    lot = stock.lots(vaccine)[0].id
    key = new_request_key()
    assert stock.transfer(lot, 4, "Exam 2 fridge", key) == "Influenza vaccine, quadrivalent lot FLU1 x4: Main -> Exam 2 fridge"
    stock.transfer(lot, 4, "Exam 2 fridge", key)  # a second press moves nothing more
    assert [(x.location, x.on_hand, x.expires_on) for x in stock.lots(vaccine)] == [
        ("Main", 6, dt.date(2027, 3, 31)), ("Exam 2 fridge", 4, dt.date(2027, 3, 31))]
    assert stock.items()[0].on_hand == 10
    assert stock.locations() == ["Main", "Exam 2 fridge"]
    with pytest.raises(ValidationError, match="Only 6 dose in lot FLU1 at Main; 7 asked for"):
        stock.transfer(lot, 7, "Exam 1", new_request_key())
    with pytest.raises(ValidationError, match="already in Main"):
        stock.transfer(lot, 1, "main", new_request_key())
    with pytest.raises(ValidationError, match="Say where it goes"):
        stock.transfer(lot, 1, "  ", new_request_key())
    with ctx.db.read() as session:
        moves = session.execute(select(StockMovement.kind, StockMovement.quantity)
                                .where(StockMovement.kind == "transfer").order_by(StockMovement.id)).all()
    assert moves == [("transfer", -4), ("transfer", 4)]
