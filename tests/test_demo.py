"""The demo clinic: complete, valid through the services' own rules, deterministic, bookable."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields

import pytest
from sqlalchemy import func, select

from officeconsole.db import migrate
from officeconsole.db.database import Database
from officeconsole.demo import DEMO_PASSWORD, build_demo
from officeconsole.demo.clinic import PAYERS
from officeconsole.models import Appointment, Encounter, InsurancePolicy, Patient, Provider
from officeconsole.models.enums import Role
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import SetupError
from officeconsole.services.common.identifiers import valid_npi
from officeconsole.services.frontdesk.patients import PatientInput, PatientService, validate
from officeconsole.services.security import auth

from tests.conftest import SMALL_DEMO
from tests.factories import patient_input

pytestmark = pytest.mark.slow

PATIENTS = 150
SUPPLEMENTS = {name for name, _code, kind, *_ in PAYERS if kind == "supplement"}


SMALL = 40


@pytest.fixture
def db_url(request, db_url, small_demo):
    """A test that takes `demo` works in its own copy of the small demo, built once per run."""
    return small_demo.copy("demo-copy") if "demo" in request.fixturenames else db_url


@pytest.fixture
def demo(ctx: ServiceContext, small_demo):
    """A small demo for the tests that write to it (the full build bills two months: slow)."""
    assert small_demo.summary.patients == SMALL
    return small_demo.summary


@pytest.fixture(scope="module")
def shared(_template, tmp_path_factory):
    """One demo clinic for the tests that only read it (a build takes seconds: it bills three weeks)."""
    import shutil

    from officeconsole.services.common.clock import FixedClock

    from tests.conftest import NOW, PG_URL, PgSchema

    schema = None
    if PG_URL:
        schema = PgSchema(PG_URL)
        url = schema.url
    else:
        path = tmp_path_factory.mktemp("demo") / "demo.db"
        shutil.copyfile(_template, path)
        url = f"sqlite:///{path}"
    database = Database.from_url(url)
    migrate.upgrade(database.engine)
    ctx = ServiceContext(database, FixedClock(NOW))
    summary = build_demo(ctx, patients=PATIENTS, seed=11)
    yield ctx, summary
    database.dispose()
    if schema is not None:
        schema.drop()


def test_demo_has_staff_providers_payers_and_patients(shared):
    ctx, demo = shared
    roles = {login.role for login in demo.logins}
    assert {Role.MANAGER, Role.FRONT_DESK, Role.BILLING, Role.PROVIDER} <= roles
    assert sum(login.role == Role.PROVIDER for login in demo.logins) == 4
    assert demo.patients == PATIENTS and demo.policies > PATIENTS * 0.8 and demo.appointments > 100
    for login in demo.logins:
        assert auth.login(ctx, login.username, DEMO_PASSWORD).role == login.role
    with ctx.db.read() as session:
        npis = session.scalars(select(Provider.npi)).all()
        assert len(npis) == 4 and all(valid_npi(npi) for npi in npis)
        assert session.scalar(select(func.count()).select_from(Patient)) == PATIENTS
        uninsured = session.scalar(select(func.count()).select_from(Patient).where(
            ~Patient.policies.any()))
        assert 0 < uninsured < PATIENTS * 0.2


def test_every_demo_patient_passes_registration_rules(shared):
    ctx, demo = shared
    names = {f.name for f in fields(PatientInput)}
    with ctx.db.read() as session:
        for patient in session.scalars(select(Patient)):
            data = PatientInput(**{n: getattr(patient, n) for n in names})
            values = validate(data, ctx.today())
            for key in ("first_key", "last_key", "phone_key", "phone_key_reversed", "phone", "email", "dob"):
                assert values[key] == getattr(patient, key), (patient.mrn, key)
        for policy in session.scalars(select(InsurancePolicy)):
            assert policy.effective_to is None or policy.effective_to >= policy.effective_from


def test_demo_appointments_never_overlap_and_keep_to_opening_hours(shared):
    ctx, demo = shared
    zone = ctx.timezone
    with ctx.db.read() as session:
        rows = session.execute(select(Appointment.provider_id, Appointment.start_at, Appointment.end_at)
                               .order_by(Appointment.provider_id, Appointment.start_at)).all()
    previous: dict[int, dt.datetime] = {}
    for provider_id, start, end in rows:
        assert start >= previous.get(provider_id, start), "double booked"
        previous[provider_id] = end
        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
        assert dt.time(8) <= local_start.time() and local_end.time() <= dt.time(17)
        assert local_end.time() <= dt.time(12) or local_start.time() >= dt.time(13), "over lunch"
        assert local_start.weekday() < 5


def test_demo_patients_are_never_in_two_places_at_once_and_some_wait_for_earlier(shared):
    ctx, demo = shared
    from officeconsole.models import WaitlistEntry

    with ctx.db.read() as session:
        rows = session.execute(select(Appointment.patient_id, Appointment.start_at, Appointment.end_at)
                               .where(Appointment.status.not_in(("cancelled", "no_show")))
                               .order_by(Appointment.patient_id, Appointment.start_at)).all()
    previous: dict[int, dt.datetime] = {}
    for patient_id, start, end in rows:
        assert start >= previous.get(patient_id, start), "patient booked twice at once"
        previous[patient_id] = end
    with ctx.db.read() as session:
        booked = session.scalars(select(WaitlistEntry.appointment_id)).all()
    assert len(booked) == 5 and all(booked)


def test_registering_after_the_demo_continues_the_numbering(ctx, demo):
    desk = ctx.as_actor(auth.login(ctx, "desk", DEMO_PASSWORD))
    record = PatientService(desk).register(patient_input(last_name="Afterdemo"))
    assert record.mrn == f"{1001 + SMALL:07d}"
    assert record.id == SMALL + 1


def test_demo_is_deterministic_for_a_seed(small_demo, empty_db_url, clock):
    """A second build with the small demo's seed and clock (built for the run in a database of its
    own) gives the same clinic, naming each step as it starts."""
    first = small_demo.summary
    built = Database.from_url(small_demo.url)  # read only: the shared demo is not changed
    other = Database.from_url(empty_db_url)
    try:
        migrate.upgrade(other.engine)
        steps: list[str] = []
        second = build_demo(ServiceContext(other, clock), **SMALL_DEMO, progress=steps.append)
        assert steps == [  # what `officeconsole demo` shows while it builds
            "staff and payers", "providers, hours and rooms", f"{SMALL} patients and their schedule",
            "coding the past visits", "checking claims", "sending claims (837P)",
            "posting the payers' remittances (835)", "eligibility answers and refunds", "staff rota and stock"]
        columns = (Patient.mrn, Patient.first_name, Patient.last_name, Patient.dob, Patient.phone,
                   Patient.email, Patient.city)
        with built.read() as a, other.read() as b:
            assert a.execute(select(*columns).order_by(Patient.mrn)).all() == \
                   b.execute(select(*columns).order_by(Patient.mrn)).all()
            assert a.scalar(select(func.count()).select_from(Appointment)) == \
                   b.scalar(select(func.count()).select_from(Appointment))
        assert (first.policies, first.appointments) == (second.policies, second.appointments)
    finally:
        built.dispose()
        other.dispose()


def test_demo_refuses_a_database_that_holds_a_clinic(ctx, clinic):
    with pytest.raises(SetupError, match="already holds a clinic"):
        build_demo(ctx, patients=10)


def test_demo_schedule_is_protected_and_has_working_hours(ctx, demo):
    from officeconsole.models import AppointmentType
    from officeconsole.services.common.errors import SlotTaken
    from officeconsole.services.scheduling.booking import BookingInput, BookingService
    from officeconsole.services.scheduling.hours import HoursService

    desk = ctx.as_actor(auth.login(ctx, "desk", DEMO_PASSWORD))
    with ctx.db.read() as session:
        upcoming = session.execute(select(Appointment.patient_id, Appointment.provider_id, Appointment.start_at).where(
            Appointment.start_at > ctx.now(), Appointment.status == "scheduled").order_by(Appointment.start_at)).first()
        type_id = session.scalar(select(AppointmentType.id).where(AppointmentType.name == "Follow-up"))
        other_patient = session.scalar(select(Patient.id).where(Patient.id != upcoming.patient_id))
    local = upcoming.start_at.astimezone(ctx.timezone)
    assert HoursService(desk).intervals(upcoming.provider_id, local.date())
    with pytest.raises(SlotTaken):
        BookingService(desk).book(BookingInput(other_patient, upcoming.provider_id, type_id, local.date(),
                                               local.time(), minutes=5))


def test_demo_has_claims_in_every_state_and_a_batch_to_export(shared):
    from officeconsole.models import ClaimBatch, Encounter
    from officeconsole.models.billing import EncounterStatus
    from officeconsole.services.billing.receivables import ReceivablesService

    ctx, _ = shared
    with ctx.db.read() as session:
        states = set(session.scalars(select(Encounter.status).distinct()))
        batches = session.scalar(select(func.count()).select_from(ClaimBatch))
    assert states == {s.value for s in EncounterStatus}
    assert batches == 2  # the week's claims, then one secondary claim (coordination of benefits)
    biller = ctx.as_actor(auth.login(ctx, "billing", DEMO_PASSWORD))
    aging = ReceivablesService(biller).aging()
    assert aging.insurer_total > 0 and aging.patient_total > 0


def test_demo_visit_went_to_medicare_then_the_supplement_and_the_patient_never_owed(shared):
    from officeconsole.models import ArEntry, ClaimBatchItem, Encounter, Payer, RemitClaim, Remittance
    from officeconsole.services.billing.ar_book import ArBook

    ctx, _ = shared
    with ctx.db.read() as session:
        settled = session.scalars(select(Encounter).where(Encounter.claim_sequence == "S",
                                                          Encounter.status == "closed")).all()
        assert len(settled) == 1
        [encounter] = settled
        payers = session.execute(select(Payer.name, Payer.filing_code, RemitClaim.paid)
                                 .join(Remittance, Remittance.id == RemitClaim.remittance_id)
                                 .join(Payer, Payer.id == Remittance.payer_id)
                                 .where(RemitClaim.encounter_id == encounter.id).order_by(RemitClaim.id)).all()
        assert len(payers) == 2 and payers[0][1] == "MB" and all(paid > 0 for _, _, paid in payers)
        assert payers[1][0] in SUPPLEMENTS  # Medicare, then the patient's supplement
        sent = session.scalar(select(func.count()).select_from(ClaimBatchItem).where(
            ClaimBatchItem.encounter_id == encounter.id))
        assert sent == 2  # the primary claim, then the secondary claim in a file of its own
        balance = ArBook(ctx, session).balance(encounter)
        assert (balance.insurer, balance.patient) == (0, 0)
        assert not session.scalar(select(func.count()).select_from(ArEntry).where(
            ArEntry.encounter_id == encounter.id, ArEntry.account == "patient"))  # never shown to the patient
        waiting = session.scalar(select(func.count()).select_from(Encounter).where(
            Encounter.claim_sequence == "S", Encounter.status.in_(["ready", "needs_coding"])))
        assert waiting > 0  # the other secondary claims wait in the queue for the biller


def test_demo_has_a_rota_a_gap_time_off_to_decide_and_expiring_credentials(shared):
    from officeconsole.services.staffing.credentials import CredentialService
    from officeconsole.services.staffing.roster import RosterService
    from officeconsole.services.staffing.time_off import TimeOffService

    ctx, _ = shared
    manager = ctx.as_actor(auth.login(ctx, "manager", DEMO_PASSWORD))
    this_week = RosterService(manager).week(ctx.today())
    assert len(this_week.shifts) > 40 and [g.describe[:3] for g in this_week.gaps] == ["Wed", "Wed"]
    next_week = RosterService(manager).week(ctx.today() + dt.timedelta(days=7))
    assert not [s for s in next_week.shifts if s.source == "shift"]  # next week: to copy
    assert {s.person for s in next_week.shifts} == {"Priya Patel", "Thomas Nguyen", "Hannah Brooks", "Luis Garcia"}
    pending = TimeOffService(manager).requests(status="requested")
    assert [r.person for r in pending] == ["Thomas Nguyen"] and pending[0].booked  # visits to move
    assert sorted(c.alert for c in CredentialService(manager).alerts()) == ["30 days", "60 days"]


def test_demo_has_stock_with_low_items_and_lots_near_expiry(shared):
    from officeconsole.services.stock.inventory import InventoryService

    ctx, _ = shared
    manager = ctx.as_actor(auth.login(ctx, "manager", DEMO_PASSWORD))
    stock = InventoryService(manager)
    assert len(stock.items()) >= 20 and 2 <= len(stock.items(low_only=True)) <= 8
    soon = stock.lots(within_days=30)
    assert soon and all(lot.days_left >= 0 for lot in soon)  # near expiry, none past it yet
    assert stock.suggestions() and sum(stock.valuation().values()) > 0


def test_demo_bills_codes_that_fit_the_patient_and_medicare_ids_are_mbis(shared):
    """Preventive visits by age (99381-99387 / 99391-99397), one exam diagnosis (never Z00.00 with
    Z00.01), Medicare member IDs in the MBI format; and the scrubber agrees with every demo claim."""
    from officeconsole.models import ChargeLine, Encounter, EncounterDiagnosis, Payer
    from officeconsole.services.billing.scrubber import MBI, PREVENTIVE_AGES, age_on

    ctx, _ = shared
    with ctx.db.read() as session:
        preventive = session.execute(
            select(ChargeLine.code, Patient.dob, Encounter.date_of_service)
            .join(Encounter, Encounter.id == ChargeLine.encounter_id).join(Patient, Patient.id == Encounter.patient_id)
            .where(ChargeLine.code.in_(PREVENTIVE_AGES))).all()
        exams = session.execute(select(EncounterDiagnosis.encounter_id, EncounterDiagnosis.code)
                                .where(EncounterDiagnosis.code.in_(("Z00.00", "Z00.01")))).all()
        medicare = session.scalars(select(InsurancePolicy.member_id).join(Payer, Payer.id == InsurancePolicy.payer_id)
                                   .where(Payer.filing_code == "MB")).all()
    assert preventive and medicare
    for code, dob, day in preventive:
        low, high = PREVENTIVE_AGES[code]
        assert low <= age_on(dob, day) <= high, (code, dob, day)
    per_visit = {}
    for encounter_id, code in exams:
        per_visit.setdefault(encounter_id, set()).add(code)
    assert all(len(codes) == 1 for codes in per_visit.values())
    assert all(MBI.match(member_id) for member_id in medicare)


def test_demo_posted_a_999_and_a_277ca_whose_rejections_wait_for_the_biller(shared):
    """The week's batch: the clearinghouse's 999 accepted it; the 277CA accepted claims and
    rejected two, which stay rejected with the payer's codes and words for the biller to fix."""
    from officeconsole.models import ClaimAck, ClaimAckItem, Encounter
    from officeconsole.services.billing.claims import ClaimService

    ctx, demo = shared
    with ctx.db.read() as session:
        assert sorted(session.scalars(select(ClaimAck.kind))) == ["277CA", "999"]
        batches = session.execute(select(ClaimAckItem.outcome, ClaimAckItem.batch_id).join(ClaimAck).where(
            ClaimAck.kind == "999")).all()
        answers = session.execute(select(ClaimAckItem.outcome, ClaimAckItem.codes, Encounter.id, Encounter.status,
                                         Encounter.note)
                                  .join(Encounter, Encounter.id == ClaimAckItem.encounter_id)
                                  .order_by(Encounter.id)).all()
    assert batches == [("accepted", 1)]
    rejected = [a for a in answers if a.outcome == "rejected"]
    accepted = [a for a in answers if a.outcome == "accepted"]
    assert [(a.codes, a.status) for a in rejected] == [("A7:164:IL", "rejected"), ("A7:562:82", "rejected")]
    assert accepted and {a.status for a in accepted} == {"accepted"}
    assert (demo.billing["claims_rejected_277ca"], demo.billing["claims_accepted_277ca"]) == (2, len(accepted))
    biller = ctx.as_actor(auth.login(ctx, "billing", DEMO_PASSWORD))
    claim = ClaimService(biller).scrub(rejected[0].id)  # what the billing queue shows for it
    assert claim.status == "rejected" and "SUBSCRIBER ID NOT FOUND" in claim.note


def test_demo_posted_271_answers_for_todays_patients_one_coverage_inactive(shared):
    """This morning's 270 asked about every patient booked today; the payers' 271s answered each
    policy, one patient still to arrive has a plan that ended last month."""
    from officeconsole.models import EligibilityCheck
    from officeconsole.services.frontdesk.eligibility import EligibilityService
    from officeconsole.services.scheduling.schedule import day_bounds

    ctx, demo = shared
    desk = ctx.as_actor(auth.login(ctx, "desk", DEMO_PASSWORD))
    start, end = day_bounds(ctx.today(), ctx)
    with ctx.db.read() as session:
        booked = set(session.scalars(select(Appointment.patient_id).where(
            Appointment.start_at >= start, Appointment.start_at < end, Appointment.status != "cancelled")))
        checks = session.execute(select(EligibilityCheck.patient_id, EligibilityCheck.checked_on)).all()
    assert len(checks) == demo.billing["eligibility_answers"] > 5
    assert {patient for patient, _ in checks} <= booked and {day for _, day in checks} == {ctx.today()}
    eligibility = EligibilityService(desk)
    [lapsed] = eligibility.inactive_on(ctx.today(), sorted(booked))
    [answer] = [v for v in eligibility.latest(lapsed) if not v.active]
    assert answer.plan_end is not None and answer.plan_end < ctx.today().replace(day=1)
    assert answer.describe() == f"Eligibility {ctx.today():%m/%d}: inactive since {answer.plan_end:%m/%d/%Y}"
    with ctx.db.read() as session:  # still to arrive: the desk sees the answer at check-in
        assert session.scalar(select(func.count()).select_from(Appointment).where(
            Appointment.patient_id == lapsed, Appointment.start_at > ctx.now(), Appointment.start_at < end,
            Appointment.status == "scheduled"))
    active = [v for p in booked - {lapsed} for v in eligibility.latest(p)]
    assert active and all(v.active for v in active) and any(v.copay for v in active)


def test_demo_refunded_a_patient_credit_and_another_waits_for_the_manager(shared):
    """Two patients paid a statement twice: the first one's credit was refunded by check, asked for at
    the desk and approved by the manager, on the account and the day sheet; the second waits."""
    from officeconsole.services.frontdesk.ledger import LedgerService
    from officeconsole.services.frontdesk.refunds import RefundService
    from officeconsole.services.reporting.day_sheet import read_day_sheet

    ctx, demo = shared
    manager = ctx.as_actor(auth.login(ctx, "manager", DEMO_PASSWORD))
    refunds = RefundService(manager)
    [posted] = refunds.refunds(status="approved")
    [waiting] = refunds.refunds(status="requested")
    assert (demo.billing["refunds_posted"], demo.billing["refunds_waiting"]) == (1, 1)
    assert (posted.source, posted.method, posted.requested_by, posted.decided_by) == ("patient", "check", "desk",
                                                                                      "manager")
    newest = LedgerService(manager).account(posted.patient_id).entries[0]
    assert (newest.kind, newest.amount, newest.description) == (
        "refund", posted.amount, f"Refund (Check {posted.reference}): {posted.reason}")
    assert refunds.refundable(posted.patient_id).patient_available == 0  # the credit went back, all of it
    assert read_day_sheet(manager, ctx.today()).refunds == posted.amount
    assert waiting.patient_id != posted.patient_id and waiting.requested_by == "desk"
    left = refunds.refundable(waiting.patient_id)
    assert left.waiting == waiting.amount > 0 and left.patient_available == 0  # nothing posted yet


def test_a_demo_built_on_a_weekend_has_a_clinic_today(database):
    """Tried on a Saturday, the demo still shows today's clinic: two providers work that day. Built
    with one week behind it, shorter than the claims take to be sent: nothing is sent, and the
    week's insured visits wait in the billing queue."""
    from officeconsole.demo.clinic import WEEKEND_CLINIC
    from officeconsole.models import User
    from officeconsole.services.common.clock import FixedClock

    saturday = ServiceContext(database, FixedClock(dt.datetime(2026, 11, 28, 16, 0, tzinfo=dt.UTC)))
    assert saturday.today().weekday() == 5
    summary = build_demo(saturday, patients=40, seed=11, days_back=7, days_ahead=3)
    assert summary.billing["exported"] == 0
    with database.read() as session:
        states = set(session.scalars(select(Encounter.status)))
    assert "needs_coding" in states and not states & {"submitted", "accepted", "paid", "denied"}
    start = dt.datetime.combine(saturday.today(), dt.time(), saturday.timezone).astimezone(dt.UTC)
    with database.read() as session:
        working = set(session.scalars(
            select(User.username).join(Provider, Provider.user_id == User.id)
            .join(Appointment, Appointment.provider_id == Provider.id)
            .where(Appointment.start_at >= start, Appointment.start_at < start + dt.timedelta(days=1))))
    assert working == set(WEEKEND_CLINIC)
