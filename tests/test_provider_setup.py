"""Providers and appointment types as Practice setup keeps them: each rule, bad input refused with
a clear message and nothing saved, edits version-checked, retired (not deleted) and reinstated,
booking and the slot finder honouring retired types and each provider's list, managers only."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from officeconsole.models import AuditEvent, Provider, ProviderAppointmentType
from officeconsole.services.common.errors import ConcurrentEdit, PermissionDenied, ValidationError
from officeconsole.services.common.identifiers import npi_with_check_digit
from officeconsole.services.practice.appointment_types import AppointmentTypeService, TypeInput
from officeconsole.services.practice.providers import ProviderInput, ProviderService
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.scheduling.schedule import ScheduleService
from officeconsole.services.scheduling.slot_finder import SlotFinder, SlotQuery

from tests.conftest import MONDAY

NPI = npi_with_check_digit("198765432")
LEE_NPI = "1234567893"  # the seeded provider's


def refused(call, *args, **kwargs) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value.errors


def audit_actions(ctx, entity: str) -> list[tuple[str, str]]:
    with ctx.db.read() as session:
        return [(e.action, e.summary) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action.startswith(entity + ".")).order_by(AuditEvent.id))]


def count_providers(ctx) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(Provider))


@pytest.fixture
def providers(manager_ctx) -> ProviderService:
    return ProviderService(manager_ctx)


@pytest.fixture
def types(manager_ctx) -> AppointmentTypeService:
    return AppointmentTypeService(manager_ctx)


def admin_id(clinic) -> int:
    return clinic.actors["admin"].user_id


# ----- providers ------------------------------------------------------------------------------
def test_any_staff_member_is_made_a_provider_with_cleaned_fields(ctx, clinic, providers, types):
    follow_up = types.add(TypeInput("Follow-up", 20))
    names = {c.username for c in providers.candidates()}
    assert names == {"manager", "desk", "biller", "admin"}  # drlee is a provider already
    row = providers.add(ProviderInput(admin_id(clinic), f" {NPI[:5]} {NPI[5:]} ", "207q00000x", "fnp-c",
                                      "Family practice", "Steel Blue", "30", (follow_up.id,), True))
    assert (row.name, row.npi, row.taxonomy, row.credentials, row.colour, row.default_visit_minutes) == (
        "Alex Admin", NPI, "207Q00000X", "FNP-C", "steelblue", 30)
    assert (row.type_names, row.bills_own_npi, row.active, row.label) == (
        ("Follow-up",), True, True, "Alex Admin, FNP-C")
    assert "admin" not in {c.username for c in providers.candidates()}
    assert [p.name for p in providers.providers()] == ["Alex Admin", "Avery Lee"]
    assert "admin" in {p.username for p in ScheduleService(ctx.as_actor(clinic.actors["front_desk"])).providers()}
    assert audit_actions(ctx, "provider") == [("provider.add", f"Alex Admin NPI {NPI}; sees Follow-up")]
    assert types.types()[0].providers == "all"  # Lee has no list (every type), Admin lists it


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"npi": NPI[:-1] + str((int(NPI[-1]) + 1) % 10)}, "npi", "not a valid NPI"),
    ({"npi": "12345"}, "npi", "not a valid NPI"),
    ({"npi": ""}, "npi", "NPI is required"),
    ({"taxonomy": "207Q0000X"}, "taxonomy", "Taxonomy 207Q0000X: 10 characters"),
    ({"taxonomy": "207Q000000"}, "taxonomy", "e.g. 207Q00000X"),
    ({"credentials": "Doctor of Osteopathic Medicine"}, "credentials", "at most 20 characters"),
    ({"credentials": "<MD>"}, "credentials", "letters such as MD"),
    ({"colour": "bogus"}, "colour", "not a colour name"),
    ({"colour": "#12345"}, "colour", "3 or 6 hex digits"),
    ({"default_visit_minutes": "0"}, "default_visit_minutes", "5 to 240 minutes (not 0)"),
    ({"default_visit_minutes": 245}, "default_visit_minutes", "5 to 240 minutes"),
    ({"default_visit_minutes": "22"}, "default_visit_minutes", "5-minute steps, such as 20 or 25"),
    ({"default_visit_minutes": "half an hour"}, "default_visit_minutes", "whole number"),
    ({"type_ids": (999,)}, "type_ids", "No appointment type has id 999"),
])
def test_bad_provider_input_is_refused_field_by_field_and_nothing_saved(ctx, clinic, providers, changes,
                                                                        field, message):
    values = dict(user_id=admin_id(clinic), npi=NPI, taxonomy="207Q00000X", credentials="MD")
    values.update(changes)
    errors = refused(providers.add, ProviderInput(**values))
    assert message in errors[field]
    assert count_providers(ctx) == 1
    assert audit_actions(ctx, "provider") == []


def test_an_npi_is_one_providers_the_message_names_whose(ctx, clinic, providers):
    errors = refused(providers.add, ProviderInput(admin_id(clinic), LEE_NPI))
    assert errors == {"npi": f"NPI {LEE_NPI} is Avery Lee's: each provider has their own."}
    lee = providers.providers()[0]
    assert refused(providers.add, ProviderInput(lee.user_id, NPI))["user_id"].startswith(
        "Avery Lee is a provider already")
    assert count_providers(ctx) == 1


def test_credentials_known_ones_take_their_usual_form(clinic, providers):
    row = providers.add(ProviderInput(admin_id(clinic), NPI, credentials="pa-c, mph"))
    assert row.credentials == "PA-C, MPH"
    row = providers.update(row.id, row.version, ProviderInput(row.user_id, NPI, credentials="Lic. Ac."))
    assert row.credentials == "Lic. Ac."


def test_edits_are_version_checked_and_audited_type_list_included(ctx, clinic, providers, types):
    sick = types.add(TypeInput("Sick visit", 15))
    lee = providers.providers()[0]
    saved = providers.update(lee.id, lee.version, ProviderInput(lee.user_id, LEE_NPI, "207Q00000X", "MD",
                                                                "Family medicine", "seagreen", 20))
    assert saved.version == lee.version + 1 and saved.colour == "seagreen"
    with pytest.raises(ConcurrentEdit):
        providers.update(lee.id, lee.version, ProviderInput(lee.user_id, LEE_NPI, specialty="Stale"))
    only_types = providers.update(saved.id, saved.version, ProviderInput(
        lee.user_id, LEE_NPI, "207Q00000X", "MD", "Family medicine", "seagreen", 20, (sick.id,)))
    assert only_types.version == saved.version + 1 and only_types.type_names == ("Sick visit",)
    with pytest.raises(ConcurrentEdit):  # a list changed elsewhere is a change too
        providers.update(saved.id, saved.version, ProviderInput(lee.user_id, LEE_NPI))
    assert refused(providers.update, lee.id, only_types.version, ProviderInput(admin_id(clinic), LEE_NPI)
                   )["user_id"].startswith("A provider record stays with its person")
    assert [a for a, _ in audit_actions(ctx, "provider")] == ["provider.update", "provider.update"]
    assert audit_actions(ctx, "provider")[0][1].startswith("Avery Lee: taxonomy:  -> 207Q00000X")
    assert "sees Sick visit" in audit_actions(ctx, "provider")[1][1]


def test_a_retired_type_on_a_providers_list_may_stay_but_not_be_added(clinic, providers, types):
    sick, proc = types.add(TypeInput("Sick visit", 15)), types.add(TypeInput("Procedure", 30))
    lee = providers.providers()[0]
    lee = providers.update(lee.id, lee.version, ProviderInput(lee.user_id, LEE_NPI, type_ids=(sick.id,)))
    types.retire(sick.id, sick.version)
    types.retire(proc.id, proc.version)
    kept = providers.update(lee.id, lee.version, ProviderInput(lee.user_id, LEE_NPI, specialty="FM",
                                                               type_ids=(sick.id,)))
    assert kept.type_names == ("Sick visit",)
    errors = refused(providers.update, kept.id, kept.version,
                     ProviderInput(lee.user_id, LEE_NPI, type_ids=(sick.id, proc.id)))
    assert errors["type_ids"] == "Procedure: retired, no longer booked. Reinstate it first."


def test_retiring_is_refused_while_visits_are_booked_and_names_them(ctx, sched, clinic, manager_ctx):
    service = ProviderService(manager_ctx)
    lee, kim = (next(p for p in service.providers() if p.id == sched[k]) for k in ("lee", "kim"))
    service.retire(kim.id, kim.version)  # nothing booked with Kim: fine; Lee is the last one now
    first = sched["book"].book(BookingInput(sched["ann"], lee.id, sched["type"], MONDAY, "09:00"))
    sched["book"].book(BookingInput(sched["bob"], lee.id, sched["type"], MONDAY + dt.timedelta(days=1), "09:00"))
    errors = refused(service.retire, lee.id, lee.version)
    assert errors == {"active": "Avery Lee has 2 booked visits from now on (11/30/2026, 12/01/2026): "
                                "move or cancel them first."}
    assert [p.name for p in service.providers()] == ["Avery Lee"]
    sched["book"].cancel(first.id, first.version, "clinic_cancelled")
    assert "1 booked visit from now on (12/01/2026)" in refused(service.retire, lee.id, lee.version)["active"]
    assert [a for a, _ in audit_actions(ctx, "provider")] == ["provider.retire"]


def test_a_retired_provider_leaves_the_schedule_and_comes_back_by_reinstate_or_add(ctx, clinic, sched,
                                                                                   manager_ctx, desk_ctx):
    service = ProviderService(manager_ctx)
    kim = next(p for p in service.providers() if p.id == sched["kim"])
    retired = service.retire(kim.id, kim.version)
    assert retired.active is False and [p.name for p in service.providers()] == ["Avery Lee"]
    assert [p.name for p in service.providers(include_retired=True)] == ["Avery Lee", "Jo Kim"]
    assert "drkim" not in {p.username for p in ScheduleService(desk_ctx).providers()}
    assert refused(sched["book"].book, BookingInput(sched["ann"], kim.id, sched["type"], MONDAY, "09:00")
                   )["provider_id"].startswith("Jo Kim is no longer a provider here")
    candidate = next(c for c in service.candidates() if c.username == "drkim")
    assert candidate.was_provider and "a retired provider" in candidate.label
    with pytest.raises(ConcurrentEdit):
        service.reinstate(kim.id, kim.version)
    back = service.add(ProviderInput(candidate.user_id, NPI, credentials="DO"))
    assert (back.id, back.active, back.npi, back.credentials) == (kim.id, True, NPI, "DO")
    assert count_providers(ctx) == 2
    again = service.retire(back.id, back.version)
    assert service.reinstate(again.id, again.version).active is True
    assert [a for a, _ in audit_actions(ctx, "provider")] == [
        "provider.retire", "provider.reinstate", "provider.retire", "provider.reinstate"]


def test_type_names_become_ids_for_the_cli_and_the_form(providers, types):
    follow_up, sick = types.add(TypeInput("Follow-up", 20)), types.add(TypeInput("Sick visit", 15))
    assert providers.type_ids_for("sick VISIT, Follow-up") == tuple(sorted((follow_up.id, sick.id)))
    assert providers.type_ids_for("") == () and providers.type_ids_for("all") == ()
    assert refused(providers.type_ids_for, "Follow-up, Physio") == {
        "type_ids": "No appointment type is called Physio (types: Follow-up, Sick visit)."}


# ----- appointment types ----------------------------------------------------------------------
def test_a_type_is_added_listed_and_audited(ctx, clinic, types, desk_ctx):
    row = types.add(TypeInput("  New patient ", "40", "Golden Rod", True, "99203"))
    assert (row.name, row.minutes, row.colour, row.new_patient, row.default_code, row.active, row.providers) == (
        "New patient", 40, "goldenrod", True, "99203", True, "all")
    assert [t.name for t in ScheduleService(desk_ctx).types()] == ["New patient"]
    assert [t.name for t in AppointmentTypeService(desk_ctx).types()] == ["New patient"]
    assert audit_actions(ctx, "appointment_type") == [
        ("appointment_type.add", "New patient, 40 min, goldenrod, new patient, code 99203")]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"name": "   "}, "name", "Name is required"),
    ({"minutes": 0}, "minutes", "Length: 5 to 480 minutes (not 0)."),
    ({"minutes": "1000"}, "minutes", "Length: 5 to 480 minutes (not 1000)."),
    ({"minutes": "17"}, "minutes", "5-minute steps"),
    ({"minutes": ""}, "minutes", "whole number"),
    ({"colour": "no such colour"}, "colour", "not a colour name"),
    ({"default_code": "9921"}, "default_code", "neither a CPT code"),
    ({"default_code": "ABCDE"}, "default_code", "not on the fee schedule"),
])
def test_bad_type_input_is_refused_with_a_message_and_nothing_saved(ctx, clinic, types, changes, field, message):
    values = dict(name="Follow-up", minutes=20)
    values.update(changes)
    errors = refused(types.add, TypeInput(**values))
    assert message in errors[field]
    assert types.types(include_retired=True) == []


def test_type_names_are_unique_whatever_their_case(clinic, types):
    follow_up = types.add(TypeInput("Follow-up", 20))
    assert refused(types.add, TypeInput("FOLLOW-UP", 30)) == {
        "name": "An appointment type called 'Follow-up' exists already."}
    sick = types.add(TypeInput("Sick visit", 15))
    types.retire(sick.id, sick.version)
    assert refused(types.update, follow_up.id, follow_up.version, TypeInput("sick visit", 15)) == {
        "name": "An appointment type called 'Sick visit' exists already (retired: reinstate it instead)."}
    renamed = types.update(follow_up.id, follow_up.version, TypeInput("follow-up", 25, default_code="j1100"))
    assert (renamed.name, renamed.minutes, renamed.default_code) == ("follow-up", 25, "J1100")


def test_type_edits_are_version_checked(ctx, clinic, types):
    row = types.add(TypeInput("Follow-up", 20))
    saved = types.update(row.id, row.version, TypeInput("Follow-up", 30))
    with pytest.raises(ConcurrentEdit, match="appointment type"):
        types.update(row.id, row.version, TypeInput("Follow-up", 15))
    with pytest.raises(ConcurrentEdit):
        types.retire(row.id, row.version)
    assert types.types()[0].minutes == 30
    assert audit_actions(ctx, "appointment_type")[-1] == ("appointment_type.update",
                                                           "Follow-up: default_minutes: 20 -> 30")
    assert saved.version == row.version + 1


def test_a_retired_type_is_not_booked_anew_but_its_visits_keep_it_and_move(ctx, sched, manager_ctx, desk_ctx):
    types = AppointmentTypeService(manager_ctx)
    kind = types.types()[0]
    booked = sched["book"].book(BookingInput(sched["ann"], sched["lee"], kind.id, MONDAY, "09:00"))
    retired = types.retire(kind.id, kind.version)
    assert retired.active is False and types.types() == []
    assert ScheduleService(desk_ctx).types() == []
    assert refused(sched["book"].book, BookingInput(sched["bob"], sched["lee"], kind.id, MONDAY, "10:00")) == {
        "type_id": "Follow-up is retired: choose another appointment type."}
    moved = sched["book"].move(booked.id, booked.version, MONDAY, "11:00")
    assert moved.type_id == kind.id
    assert refused(types.retire, kind.id, retired.version) == {"active": "Follow-up is retired already."}
    types.reinstate(kind.id, retired.version)
    sched["book"].book(BookingInput(sched["bob"], sched["lee"], kind.id, MONDAY, "10:00"))


def test_a_providers_type_list_is_kept_by_booking_and_the_slot_finder(ctx, sched, manager_ctx, desk_ctx):
    types, service = AppointmentTypeService(manager_ctx), ProviderService(manager_ctx)
    follow_up = types.types()[0]
    sick = types.add(TypeInput("Sick visit", 15))
    kim = next(p for p in service.providers() if p.id == sched["kim"])
    service.update(kim.id, kim.version, ProviderInput(kim.user_id, NPI, type_ids=(sick.id,)))
    assert refused(sched["book"].book, BookingInput(sched["ann"], kim.id, follow_up.id, MONDAY, "09:00")) == {
        "type_id": "Jo Kim does not see Follow-up visits: choose another type or provider."}
    sched["book"].book(BookingInput(sched["ann"], kim.id, sick.id, MONDAY, "09:00"))
    sched["book"].book(BookingInput(sched["bob"], sched["lee"], follow_up.id, MONDAY, "09:00"))  # Lee: every type
    finder = SlotFinder(desk_ctx)
    slots = finder.find(SlotQuery(type_id=follow_up.id, after=MONDAY, count=20))
    assert {s.provider_id for s in slots} == {sched["lee"]}
    assert {s.provider_id for s in finder.find(SlotQuery(type_id=sick.id, after=MONDAY, count=20))} == {
        sched["lee"], sched["kim"]}
    with pytest.raises(ValidationError, match="Jo Kim does not see Follow-up visits"):
        finder.find(SlotQuery(type_id=follow_up.id, provider_id=kim.id, after=MONDAY))
    assert {t.name: t.providers for t in types.types()} == {"Follow-up": "Avery Lee", "Sick visit": "all"}
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(ProviderAppointmentType)) == 1


# ----- who may -------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["front_desk", "billing", "provider"])
def test_only_managers_change_providers_and_types(as_role, clinic, manager_ctx, role):
    kind = AppointmentTypeService(manager_ctx).add(TypeInput("Follow-up", 20))
    lee = ProviderService(manager_ctx).providers()[0]
    providers, types = ProviderService(as_role(role)), AppointmentTypeService(as_role(role))
    calls = [
        (providers.candidates, ()), (providers.type_ids_for, ("Follow-up",)),
        (providers.add, (ProviderInput(admin_id(clinic), NPI),)),
        (providers.update, (lee.id, lee.version, ProviderInput(lee.user_id, LEE_NPI))),
        (providers.retire, (lee.id, lee.version)), (providers.reinstate, (lee.id, lee.version)),
        (types.add, (TypeInput("Sick visit", 15),)), (types.update, (kind.id, kind.version, TypeInput("X", 20))),
        (types.retire, (kind.id, kind.version)), (types.reinstate, (kind.id, kind.version)),
    ]
    for call, args in calls:
        with pytest.raises(PermissionDenied, match="may not set up the practice"):
            call(*args)
    assert [p.name for p in providers.providers()] == ["Avery Lee"]  # reading is for everyone
    assert [t.name for t in types.types()] == ["Follow-up"]
    assert ProviderService(as_role("admin")).candidates()


def test_every_problem_is_reported_at_once(clinic, providers, types):
    types.add(TypeInput("Follow-up", 20))
    assert set(refused(providers.add, ProviderInput(admin_id(clinic), LEE_NPI, colour="bogus"))) == {"npi", "colour"}
    assert set(refused(types.add, TypeInput("follow-up", 0, default_code="X"))) == {"name", "minutes", "default_code"}
