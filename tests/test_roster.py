"""The roster's rules: shifts that cannot overlap, coverage gaps, copying a week, overtime,
time off that blocks a provider's schedule, credentials and their alerts, the directory."""

from __future__ import annotations

import datetime as dt

import pytest

from officeconsole.models import User
from officeconsole.models.enums import Role
from officeconsole.services.common.errors import NotFound, PermissionDenied, ValidationError
from officeconsole.services.scheduling.booking import BookingInput, NeedsOverride
from officeconsole.services.scheduling.slot_finder import SlotFinder, SlotQuery
from officeconsole.services.staffing.credentials import CredentialInput, CredentialService, alert_level
from officeconsole.services.staffing.roster import RosterService, ShiftInput
from officeconsole.services.staffing.staff import StaffInput, StaffService
from officeconsole.services.staffing.time_off import TimeOffService

from tests.conftest import MONDAY, NOW

LAST_MONDAY = MONDAY - dt.timedelta(days=7)  # 11/23, today


@pytest.fixture
def desk2(ctx, clinic):
    with ctx.db.write() as session:
        user = User(username="desk2", full_name="Sam Second", role=Role.FRONT_DESK, password_hash="x", created_at=NOW)
        session.add(user)
        session.flush()
        return user.id


def test_shifts_refuse_overlaps_and_backwards_times(manager_ctx, clinic):
    roster, desk = RosterService(manager_ctx), clinic.actors["front_desk"].user_id
    roster.add_shift(ShiftInput(desk, MONDAY, "07:30", "12:30"))
    with pytest.raises(ValidationError, match="already works 07:30-12:30 that day"):
        roster.add_shift(ShiftInput(desk, MONDAY, "12:00", "17:00"))
    with pytest.raises(ValidationError, match="ends \\(09:00\\) before it starts \\(17:00\\)"):
        roster.add_shift(ShiftInput(desk, MONDAY, "17:00", "09:00"))
    with pytest.raises(ValidationError, match="is not a time"):
        roster.add_shift(ShiftInput(desk, MONDAY, "noonish", "17:00"))
    with pytest.raises(NotFound):
        roster.add_shift(ShiftInput(9999, MONDAY, "08:00", "12:00"))
    roster.add_shift(ShiftInput(desk, MONDAY, "12:30", "17:00"))  # back to back is fine
    assert [s.label for s in roster.week(MONDAY).cell(desk, MONDAY)] == ["07:30-12:30", "12:30-17:00"]


def test_coverage_gaps_hours_and_overtime(manager_ctx, clinic, desk2):
    roster, desk = RosterService(manager_ctx), clinic.actors["front_desk"].user_id
    roster.set_rule("front_desk", 2, "08:00", "17:00")
    morning = roster.add_template("Front AM", "front_desk", "07:30", "12:30")
    roster.add_shift(ShiftInput(desk, MONDAY, template_id=morning.id))
    roster.add_shift(ShiftInput(desk, MONDAY, "12:30", "17:00"))
    roster.add_shift(ShiftInput(desk2, MONDAY, "08:00", "12:00"))
    week = roster.week(MONDAY)
    monday = [g.describe for g in week.gaps if g.day == MONDAY]
    assert monday == ["Mon 11/30 12:00-17:00: Front Desk 1 of 2"]
    assert [g.describe for g in week.gaps if g.day == MONDAY + dt.timedelta(days=1)] == [
        "Tue 12/01 08:00-17:00: Front Desk 0 of 2"]
    assert not [g for g in week.gaps if g.day.weekday() >= 5]  # the clinic is closed at weekends
    roster.add_shift(ShiftInput(desk2, MONDAY, "12:00", "17:00"))  # the gap fixed
    assert not [g for g in roster.week(MONDAY).gaps if g.day == MONDAY]
    for n in range(1, 5):
        roster.add_shift(ShiftInput(desk, MONDAY + dt.timedelta(days=n), "07:00", "16:00"))
    week = roster.week(MONDAY)
    assert week.hours(desk) == 9.5 + 36 and week.overtime(desk) and not week.overtime(desk2)


def test_copy_last_week_skips_what_cannot_be_copied_and_never_doubles(manager_ctx, clinic, desk2, as_role):
    roster, desk = RosterService(manager_ctx), clinic.actors["front_desk"].user_id
    roster.add_shift(ShiftInput(desk, LAST_MONDAY, "08:00", "12:00"))
    roster.add_shift(ShiftInput(desk2, LAST_MONDAY + dt.timedelta(days=1), "08:00", "17:00"))
    away = TimeOffService(as_role("front_desk")).request(desk, MONDAY, MONDAY, "personal")
    TimeOffService(manager_ctx).approve(away.id, away.version)
    result = roster.copy_week(LAST_MONDAY, MONDAY)
    assert result.copied == 1 and result.skipped == [
        "Dana Desk Mon 11/30 08:00-12:00: Dana Desk has approved time off (personal) that day."]
    again = roster.copy_week(LAST_MONDAY, MONDAY)
    assert again.copied == 0 and "shifts for one person cannot overlap" in again.skipped[1]
    assert len(roster.week(MONDAY).shifts) == 1
    with pytest.raises(ValidationError, match="different week"):
        roster.copy_week(MONDAY, MONDAY + dt.timedelta(days=2))
    with pytest.raises(PermissionDenied):
        RosterService(as_role("front_desk")).copy_week(LAST_MONDAY, MONDAY)
    assert RosterService(as_role("front_desk")).on_duty(LAST_MONDAY)[0].person == "Dana Desk"  # everyone reads


def test_provider_time_off_blocks_the_schedule_and_lists_what_must_move(ctx, sched, manager_ctx, as_role, clinic):
    booked = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    doctor = clinic.actors["provider"].user_id
    asked = TimeOffService(as_role("provider")).request(doctor, MONDAY, MONDAY + dt.timedelta(days=1), "training",
                                                        "conference")
    assert [b.appointment_id for b in asked.booked] == [booked.id]  # warned when asking
    with pytest.raises(PermissionDenied):
        TimeOffService(as_role("front_desk")).request(doctor, MONDAY, MONDAY, "sick")
    with pytest.raises(PermissionDenied):
        TimeOffService(as_role("provider")).approve(asked.id, asked.version)
    with pytest.raises(ValidationError, match="Avery Lee is a provider: .*Practice setup -> Hours"):
        RosterService(manager_ctx).add_shift(ShiftInput(doctor, MONDAY, "08:00", "12:00"))  # hours, not shifts
    assert [s.label for s in RosterService(manager_ctx).week(MONDAY).cell(doctor, MONDAY)] == [
        "08:00-12:00", "13:00-17:00"]  # the rota shows the provider's hours
    approved = TimeOffService(manager_ctx).approve(asked.id, asked.version, "cover arranged")
    week = RosterService(manager_ctx).week(MONDAY)
    assert approved.shifts_removed == 0 and not week.cell(doctor, MONDAY)
    assert week.provider_days[doctor, MONDAY].source == "time off"
    assert approved.status == "approved" and [(b.patient, f"{b.start:%H:%M}") for b in approved.booked] == [
        ("Testperson, Ann", "09:00")]
    with pytest.raises(ValidationError, match="is off on Mon 11/30/2026 \\(approved training\\)"):
        sched["book"].book(BookingInput(sched["bob"], sched["lee"], sched["type"], MONDAY, "10:00",
                                        override_reason="urgent"))  # no reason books over it
    slots = SlotFinder(sched["book"].ctx).find(SlotQuery(type_id=sched["type"], provider_id=sched["lee"],
                                                         after=MONDAY, count=1))
    assert slots[0].start.date() == MONDAY + dt.timedelta(days=2)  # the absence is skipped
    with pytest.raises(ValidationError, match="already has time off approved"):
        TimeOffService(manager_ctx).request(doctor, MONDAY + dt.timedelta(days=1), None, "sick")
    with pytest.raises(ValidationError, match="was approved already"):
        TimeOffService(manager_ctx).deny(approved.id, approved.version, "changed my mind")


def test_time_off_bad_input(manager_ctx, clinic):
    service, desk = TimeOffService(manager_ctx), clinic.actors["front_desk"].user_id
    with pytest.raises(ValidationError, match="before the first"):
        service.request(desk, MONDAY, MONDAY - dt.timedelta(days=1), "vacation")
    with pytest.raises(ValidationError, match="Choose the kind"):
        service.request(desk, MONDAY, MONDAY, "holiday")
    asked = service.request(desk, MONDAY, MONDAY, "vacation")
    with pytest.raises(ValidationError, match="Say why"):
        service.deny(asked.id, asked.version, "  ")
    denied = service.deny(asked.id, asked.version, "two people off already")
    assert denied.status == "denied" and denied.decided_by == "Morgan Manager"
    assert [r.status for r in service.requests()] == ["denied"]


def test_credentials_alerts_and_an_expired_licence_warns_on_booking(ctx, sched, manager_ctx, as_role, clinic):
    today = NOW.date()
    assert [alert_level(today + dt.timedelta(days=d), today) for d in (-1, 0, 30, 31, 60, 90, 91)] == [
        "expired", "30 days", "30 days", "60 days", "60 days", "90 days", ""]
    service, doctor = CredentialService(manager_ctx), clinic.actors["provider"].user_id
    with pytest.raises(ValidationError) as bad:
        service.add_credential(CredentialInput(doctor, "state_licence", number="", issuer="Illinois", expires_on="2027-01-01"))
    assert set(bad.value.errors) == {"number", "issuer"}
    with pytest.raises(ValidationError, match="DEA number"):
        service.add_credential(CredentialInput(doctor, "dea", number="AB1234567", expires_on="2027-06-30"))
    service.add_credential(CredentialInput(doctor, "dea", number="ab1234563", expires_on="2027-06-30"))
    licence = service.add_credential(CredentialInput(doctor, "state_licence", "Illinois medical licence", "036-123456", "il",
                                          today + dt.timedelta(days=5)))
    assert licence.issuer == "IL" and licence.alert == "30 days"
    assert [c.describe for c in CredentialService(as_role("front_desk")).alerts()] == [
        "Avery Lee: Illinois medical licence expires 11/28/2026 (in 5 days)"]
    with pytest.raises(PermissionDenied):
        CredentialService(as_role("front_desk")).add_credential(CredentialInput(doctor, "cpr_bls", expires_on="2027-01-01"))
    with pytest.raises(NeedsOverride, match="state licence on file expired 11/28/2026"):
        sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    renewed = service.update_credential(licence.id, licence.version, CredentialInput(
        doctor, "state_licence", "Illinois medical licence", "036-123456", "IL", "2028-11-30"))
    assert renewed.alert == "" and not CredentialService(manager_ctx).alerts()
    sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))


def test_directory_edits_are_checked(manager_ctx, as_role, clinic):
    staff = StaffService(manager_ctx)
    row = next(r for r in staff.directory() if r.username == "drlee")
    assert row.npi == "1234567893" and row.role_label == "Provider"
    with pytest.raises(ValidationError) as bad:
        staff.update_staff(row.user_id, row.version, StaffInput(npi="1234567890", phone="12", hired_on="2020-13-01"))
    assert set(bad.value.errors) == {"npi", "phone", "hired_on"}
    saved = staff.update_staff(row.user_id, row.version, StaffInput(
        job_title="Physician", phone="(217) 555-0101", hired_on="2019-07-01", npi="1234567893",
        provider_credentials="MD", specialty="Family medicine"))
    assert (saved.job_title, saved.phone, saved.hired_on) == ("Physician", "(217) 555-0101", dt.date(2019, 7, 1))
    with pytest.raises(PermissionDenied):
        StaffService(as_role("front_desk")).update_staff(row.user_id, saved.version, StaffInput())
    assert len(StaffService(as_role("front_desk")).directory()) == 5
