"""Every service entry point, called by every role, allows or denies as tests/permission_table.py says.

The expected answer comes from the committed reference table, never from the permission a method
declares: a method moved to a looser permission, or a permission given to one more role, fails here
until the table is changed on purpose."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil

import pytest

from officeconsole.models.enums import Role
from officeconsole.services.billing.acknowledgements import AcknowledgementService
from officeconsole.services.billing.billing_identity import BillingIdentityService, Identities
from officeconsole.services.billing.billing_kpi import BillingKpiService
from officeconsole.services.billing.claim_corrections import ClaimCorrectionService
from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.billing.encounters import ChargeInput, EncounterService
from officeconsole.services.billing.fees import FeeService
from officeconsole.services.billing.receivables import ReceivablesService
from officeconsole.services.billing.remittance import RemitInput, RemittanceService
from officeconsole.services.common.errors import OfficeError, PermissionDenied
from officeconsole.services.common.permissions import PERMISSIONS
from officeconsole.services.frontdesk.checkin import CheckInInput, CheckInService
from officeconsole.services.frontdesk.eligibility import EligibilityService
from officeconsole.services.frontdesk.flow import FlowService
from officeconsole.services.frontdesk.insurance import InsuranceService, PayerInput, PolicyInput
from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput
from officeconsole.services.frontdesk.patient_alerts import PatientAlertService
from officeconsole.services.frontdesk.patients import PatientService
from officeconsole.services.frontdesk.receipts import ReceiptService
from officeconsole.services.frontdesk.refunds import RefundInput, RefundService
from officeconsole.services.operations.backups import BackupService
from officeconsole.services.operations.closeout import CloseOutService
from officeconsole.services.operations.day_lock import DayLockService
from officeconsole.services.operations.exports import ExportService
from officeconsole.services.operations.importing import ImportRequest, ImportService
from officeconsole.services.practice.appointment_types import AppointmentTypeService, TypeInput
from officeconsole.services.practice.clinic_settings import ClinicInput, ClinicSettingsService
from officeconsole.services.practice.providers import ProviderInput, ProviderService
from officeconsole.services.practice.rooms import RoomService
from officeconsole.services.practice.setup_check import SetupCheckService
from officeconsole.services.reporting.kpi import KpiService
from officeconsole.services.reporting.report_model import Report
from officeconsole.services.reporting.reports import ReportService
from officeconsole.services.scheduling.booking import BookingInput, BookingService
from officeconsole.services.scheduling.day_lists import DayListService
from officeconsole.services.scheduling.hours import HoursService
from officeconsole.services.scheduling.recalls import RecallService, RuleInput
from officeconsole.services.scheduling.reminders import ReminderService
from officeconsole.services.scheduling.schedule import ScheduleService
from officeconsole.services.scheduling.slot_finder import SlotFinder, SlotQuery
from officeconsole.services.scheduling.waitlist import WaitlistInput, WaitlistService
from officeconsole.services.security.audit import AuditService
from officeconsole.services.security.audit_chain import AuditChainService
from officeconsole.services.security.auth import UserService
from officeconsole.services.security.sign_in import SignInService
from officeconsole.services.staffing.credentials import CredentialInput, CredentialService
from officeconsole.services.staffing.roster import RosterService, ShiftInput
from officeconsole.services.staffing.staff import StaffInput, StaffService
from officeconsole.services.staffing.time_off import TimeOffService
from officeconsole.services.stock.inventory import (
    CountLine,
    InventoryService,
    ItemInput,
    ReceiveLine,
)

from tests.factories import PASSWORD, patient_input, register
from tests.permission_table import PERMISSION_TABLE

SERVICES = [PatientService, InsuranceService, UserService, AuditService, HoursService, BookingService,
            ScheduleService, SlotFinder, WaitlistService, CheckInService, FlowService, LedgerService,
            ReceiptService, RoomService, EncounterService, FeeService, ClaimService, RemittanceService,
            ReceivablesService, ReportService, BillingIdentityService, BackupService, CloseOutService, DayLockService,
            CredentialService, RosterService, StaffService, TimeOffService, InventoryService, SignInService,
            AuditChainService, ProviderService, AppointmentTypeService, ClinicSettingsService, SetupCheckService,
            ExportService, ImportService, KpiService, BillingKpiService, AcknowledgementService, RefundService]
SERVICES += [ClaimCorrectionService]  # corrected and void claims
SERVICES += [EligibilityService]  # 270/271 eligibility
SERVICES += [PatientAlertService, ReminderService, RecallService, DayListService]  # the front desk's tools

# Practice setup's services share method names (add, update, retire) with others: their own arguments.
OVERRIDES = {
    (ProviderService, "candidates"): (), (ProviderService, "type_ids_for"): ("all",),
    (ProviderService, "add"): (ProviderInput(999, "1234567893"),),
    (ProviderService, "update"): (999, 1, ProviderInput(999, "1234567893")),
    (ProviderService, "retire"): (999, 1), (ProviderService, "reinstate"): (999, 1),
    (AppointmentTypeService, "add"): (TypeInput("", 0),),
    (AppointmentTypeService, "update"): (999, 1, TypeInput("", 0)),
    (AppointmentTypeService, "retire"): (999, 1), (AppointmentTypeService, "reinstate"): (999, 1),
    (ClinicSettingsService, "update"): (999, ClinicInput()),
    (SetupCheckService, "check"): (),
    (BookingService, "check"): (BookingInput(1, 1, 999, dt.date(2026, 12, 1), "09:00"),),
    (BookingService, "closed_notice"): (dt.date(2026, 12, 1),),
    (LedgerService, "balance"): ("0001001",),
    (ExportService, "export_clinic"): ("csv", "/dev/null/x"), (ExportService, "export_record"): ("0001001", "/dev/null/x"),
    (ImportService, "run"): (ImportRequest("patients", "/dev/null/x"),),
    (LedgerService, "post_opening_balance"): (999, 5, dt.date(2026, 11, 1), "opening-test"),
    (AcknowledgementService, "post_file"): ("/dev/null/x",), (AcknowledgementService, "post_text"): ("not x12",),
    (EligibilityService, "write_270"): (dt.date(2026, 12, 1), "/dev/null/x"),
    (EligibilityService, "post_271"): ("/dev/null/x",), (EligibilityService, "post_text"): ("not x12",),
    (EligibilityService, "latest"): (999,),
    (EligibilityService, "inactive_on"): (dt.date(2026, 11, 23), [999]),
    (RefundService, "refundable"): (999,), (RefundService, "refunds"): (),
    (RefundService, "request"): (RefundInput(999, "1", "cash", "test", "refund-test"),),
    (RefundService, "refund"): (RefundInput(999, "1", "cash", "test", "refund-test-2"),),
    (RefundService, "approve"): (999, 1), (RefundService, "decline"): (999, 1, "no"),
}


def entry_points():
    for service in SERVICES:
        for name, fn in inspect.getmembers(service, inspect.isfunction):
            if not name.startswith("_"):
                yield service, name, fn


ROLE_ORDER = (Role.FRONT_DESK, Role.BILLING, Role.PROVIDER, Role.MANAGER, Role.ADMIN)


def declared_table() -> dict[str, tuple[str, str]]:
    """What the code says now: every permission-checked method of every class in officeconsole.services."""
    import officeconsole.services as package

    found: dict[str, tuple[str, str]] = {}
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            for name, fn in inspect.getmembers(cls, inspect.isfunction):
                if hasattr(fn, "permission"):
                    roles = " ".join(role.value for role in ROLE_ORDER if role in PERMISSIONS[fn.permission])
                    found[f"{cls_name}.{name}"] = (fn.permission, roles)
    return found


def table_line(key: str, row: tuple[str, str]) -> str:
    return f'    "{key}": ("{row[0]}", "{row[1]}"),'


def test_every_entry_point_matches_the_reference_table():
    code, table = declared_table(), PERMISSION_TABLE
    problems = []
    for key in sorted(code.keys() - table.keys()):
        problems.append(f"new entry point {key}: add to tests/permission_table.py\n{table_line(key, code[key])}")
    for key in sorted(table.keys() - code.keys()):
        problems.append(f"{key} is in tests/permission_table.py but not in the code: remove\n"
                        f"{table_line(key, table[key])}")
    for key in sorted(code.keys() & table.keys()):
        if code[key] != table[key]:
            problems.append(f"{key} changed: the table says\n{table_line(key, table[key])}\nthe code says\n"
                            f"{table_line(key, code[key])}\n(if the change is meant, change the table's line)")
    assert not problems, "\n\n".join(problems)


def test_every_public_entry_point_declares_a_permission():
    missing = [f"{s.__name__}.{n}" for s, n, fn in entry_points() if not hasattr(fn, "permission")]
    assert missing == []


def _arguments(name: str, patient_id: int, payer_id: int, policy, provider_id: int):
    day = dt.date(2026, 12, 1)
    return {
        "intervals": (provider_id, day), "set_week": (provider_id, {1: [("09:00", "12:00")]}),
        "set_day": (provider_id, day, []), "add_holiday": (day, "Holiday " + name), "suggest_holidays": (2027,),
        "hours_on": (provider_id, day), "exceptions": (provider_id, day, day), "holidays": (day, day),
        "add_blocks": (provider_id, {1: [("10:00", "11:00", "Meeting")]}), "clear_day": (provider_id, day),
        "remove_holiday": (day,),
        "book": (BookingInput(patient_id, provider_id, 999, day, "09:00"),),
        "book_series": (BookingInput(patient_id, provider_id, 999, day, "09:00"), 3),
        "move": (999, 1, day, "10:00"), "cancel": (999, 1, "patient_cancelled"), "history": (999,),
        "add_to_waitlist": (WaitlistInput(patient_id, 999),), "waiting": (), "remove_from_waitlist": (999, 1),
        "waitlist_matches": (day,), "take_slot": (999, 1, provider_id, dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC)),
        "view": (999,), "check_in": (CheckInInput(999, 1),), "check_out": (999, 1), "walk_in": (patient_id, provider_id, 999),
        "board": (day,), "changes": (day, 0), "timeline": (day,), "advance": (999, 1), "undo": (999, 1),
        "mark_no_show": (999, 1), "post_payment": (PaymentInput(patient_id, "10", "cash", request_key=f"k-{name}-{patient_id}"),),
        "void_payment": (999, "mistake", "v-" + name), "account": (patient_id,), "entry": (999,),
        "receipt": (999,), "receipt_pdf": (999,), "rooms": (), "add_room": ("Room " + name + str(patient_id),),
        "retire_room": (999,), "set_wait_threshold": (20,),
        "for_visit": (999,), "encounter": (999,), "queue": (), "set_diagnoses": (999, 1, ["E11.9"]), "set_place_of_service": (999, 1, "11"),
        "add_charge": (999, 1, ChargeInput("99213")), "remove_charge": (999, 1, 999), "fees": (),
        "import_csv": ("99213,Office visit,100\n",),
        "scrub": (999,), "mark_ready": (999, 1), "mark_all_ready": (), "export_837": ("/dev/null/x",),
        "correct": (999, "wrong code"), "void": (999, "wrong patient"),
        "reexport_837": (999, "/dev/null/x"), "batches": (), "set_claim_state": (999, 1, "accepted"),
        "post": (RemitInput(payer_id, "", "2026-11-20"),), "post_835": ("not x12",), "denials": (),
        "remittances": (), "remittance_claims": (999,),
        "aging": (), "days_in_ar": (), "days_in_ar_each": ([dt.date(2026, 11, 1)],), "write_off": (999, "50", "test", "k"), "write_off_patient": (999, "test", "k"), "bill_patient": (999, "k"), "bill_self_pay": (999, 1),
        "identities": (), "set_identities": (Identities(),), "backup": ("/dev/null/x",),
        "close_day": (day, ), "settings": (), "set_settings": (20,), "runs": (day,),
        "closure": (day,), "reopen": (day, "late charge"),
        "for_user": (patient_id,), "alerts": (), "add_credential": (CredentialInput(1, "cpr_bls", expires_on=day),),
        "update_credential": (999, 1, CredentialInput(1, "cpr_bls", expires_on=day)), "remove_credential": (999,),
        "week": (day,), "on_duty": (day,), "templates": (), "rules": (),
        "add_template": ("T " + name + str(patient_id), "front_desk", "08:00", "12:00"),
        "set_rule": ("front_desk", 1, "08:00", "12:00"), "remove_rule": (999,),
        "add_shift": (ShiftInput(1, day, "06:00", "06:30"),), "remove_shift": (999,),
        "copy_week": (day, day + dt.timedelta(days=7)), "clear_week": (day + dt.timedelta(days=700),),
        "directory": (), "person": (1,), "update_staff": (999, 1, StaffInput()),
        "requests": (), "request": (1, day, day, "a kind we do not have"), "approve": (999, 1), "deny": (999, 1, "no"),
        "cancel_request": (999, 1),
        "items": (), "lots": (), "suggestions": (), "valuation": (), "add_item": (ItemInput("", "supply"),),
        "receive": ([ReceiveLine(999, 1)], "k" + name), "use": (999, 1, "k" + name), "waste": (999, 1, "x", "k"),
        "count": ([CountLine(999, 1)], "k" + name), "visits_today": (), "witnesses": (), "locations": (),
        "transfer": (999, 1, "Room 1", "k" + name),
        "set_pin": (PASSWORD, "4826", "4826"), "set_rules": (), "unlock": ("biller",),
        "make_job_key": (), "revoke_job_key": (), "reminder_list": (day,), "alert_counts": (),
        "run": ("day-sheet",), "day_sheets": (), "production": (), "payments": (), "no_shows": (),
        "wait_times": (), "ar_aging": (), "kpi": (), "dashboard": (), "billing_kpi": (),
        "kpis": (day, day), "monthly": ([day, day + dt.timedelta(days=31)],),
        "export": (Report("day-sheet", "Day sheet", day, day, "", ()), "csv", "/dev/null/x"),
        "providers": (), "provider_by_name": ("drlee",), "types": (), "type_by_name": ("Checkup",),
        "day": (day,), "find": (SlotQuery(minutes=20, count=2),), "for_patient": (patient_id,), "day_plan": (day,),
        "search": ("smi",), "get": (patient_id,),
        "register": (patient_input(first_name="Other"),), "by_mrn": ("0001001",),
        "update": (patient_id, 1, patient_input(first_name="Changed")),
        "payers": (), "add_payer": ("Payer " + name + str(patient_id),),
        "update_payer": (payer_id, 999, PayerInput("Payer " + name)), "retire_payer": (payer_id, 999),
        "reinstate_payer": (payer_id, 999), "add_fee": ("99213", "Office visit", "100"),
        "update_fee": ("99999", "X"), "retire_fee": ("99999",), "reinstate_fee": ("99999",),
        "rename_room": (999, "Room " + name), "reinstate_room": (999,), "add_policy": (patient_id, PolicyInput(payer_id, 2, "M-2", effective_from="2025-01-01")),
        "update_policy": (policy.id, policy.version, PolicyInput(payer_id, 1, "M-1b", effective_from="2025-01-01")),
        "list": (), "add": ("u" + name, "Some One", "billing", PASSWORD),
        "disable": ("biller",), "reset_password": ("biller", PASSWORD + "2"),
        "verify": (), "subscriber_names_to_split": (),
        "alerts_for": (patient_id,), "alert_texts": ([patient_id],), "add_alert": (patient_id, "Interpreter"),
        "end_alert": (999, 1), "notes_for": (patient_id,), "add_note": (patient_id, "Called about the bill"),
        "reminders": (day,), "write_reminder_files": (day, "/dev/null/x"), "mark_visit": (999, "confirmed"),
        "send_reminders": (day, "true"), "recall_rules": (), "set_recall_rule": ("Recall " + name, 999, 12),
        "recall_list": (), "mark_recall": (999, patient_id, "contacted"), "day_list_pdf": (day,),
        "add_rule": (RuleInput("Rule " + name, 999, 12),), "update_rule": (999, 1, RuleInput("Rule " + name, 999, 12)),
        "retire_rule": (999, 1), "reinstate_rule": (999, 1),
    }[name]


@pytest.fixture
def patients(ctx, clinic, _snapshots):
    """A patient with a policy of their own for each entry point (made once per worker and copied
    for each role: the roles' tests start from the same clinic)."""
    manager = ctx.as_actor(clinic.actors["manager"])
    payer_id = next(iter(clinic.payer_ids.values()))

    def build():
        made = []
        for n, _entry in enumerate(entry_points()):
            patient = register(manager, first_name=f"P{n}")
            made.append((patient.id, InsuranceService(manager).add_policy(
                patient.id, PolicyInput(payer_id, 1, f"M-{n}", effective_from="2025-01-01"))))
        return made

    return _snapshots.setup("permission-patients", ctx, build)


@pytest.mark.parametrize("role", list(Role))
def test_permission_table(ctx, clinic, patients, role):
    payer_id = next(iter(clinic.payer_ids.values()))
    checked = 0
    for (service, name, _fn), (patient_id, policy) in zip(entry_points(), patients, strict=True):
        call = getattr(service(ctx.as_actor(clinic.actors[role.value])), name)
        args = (OVERRIDES[service, name] if (service, name) in OVERRIDES
                else _arguments(name, patient_id, payer_id, policy, clinic.provider_id))
        if (service, name) == (HoursService, "templates"):  # the rota has templates() too
            args = (clinic.provider_id,)
        key = f"{service.__name__}.{name}"
        if key not in PERMISSION_TABLE:
            pytest.fail(f"{key} is not in tests/permission_table.py: add its line (see "
                        "test_every_entry_point_matches_the_reference_table)")
        expected = role.value in PERMISSION_TABLE[key][1].split()
        try:
            call(*args)
            outcome = True
        except PermissionDenied:
            outcome = False
        except OfficeError:
            outcome = True  # allowed through the check, refused by a business rule
        assert outcome == expected, f"{role} {service.__name__}.{name}"
        checked += 1
    assert checked >= 20


def test_least_privilege_as_the_clinic_states_it():
    """Least privilege as the clinic states it in words (the front desk takes copays and sees balances but no
    billing, A/R or reports; billing plans no staff; only managers close days, manage users and the clinic,
    export and import), checked against the one table the services enforce."""
    def holders(permission: str) -> set[Role]:
        return set(PERMISSIONS[permission])

    desk_may_not = {"billing.view", "billing.code", "ar.view", "ar.adjust", "report.view", "claims.submit",
                    "remit.post", "fees.manage", "roster.manage", "timeoff.decide", "staff.manage"}
    assert not any(Role.FRONT_DESK in holders(p) for p in desk_may_not)
    assert Role.FRONT_DESK in holders("account.view") and Role.FRONT_DESK in holders("payment.post")  # balances, copays
    assert not any(Role.BILLING in holders(p) for p in ("roster.manage", "timeoff.decide", "staff.manage"))
    for managers_only in ("day.close", "day.reopen", "payment.void", "user.manage", "clinic.manage",
                          "schedule.manage", "export.clinic", "export.patient", "data.import"):
        assert holders(managers_only) == {Role.MANAGER, Role.ADMIN}, managers_only
