"""The demo clinic's staff side: job titles, a rota for last week and this week (next week is
left for the manager to copy; providers' rows come from their hours, so only other staff
have shifts), staffing rules with one gap to find, time-off requests (one of
a provider's over booked visits, waiting for approval) and credentials, two about to expire."""

from __future__ import annotations

import datetime as dt
import random

from officeconsole.services.common.context import ServiceContext
from officeconsole.services.staffing.credentials import CredentialInput, CredentialService
from officeconsole.services.staffing.roster import RosterService, ShiftInput, monday_of
from officeconsole.services.staffing.staff import StaffInput, StaffService
from officeconsole.services.staffing.time_off import TimeOffService

TEMPLATES = (("Front early", "front_desk", "07:30", "15:30"), ("Front late", "front_desk", "09:00", "17:00"),
             ("Front AM", "front_desk", "07:30", "12:30"), ("Billing day", "billing", "08:30", "16:30"),
             ("Office day", "manager", "08:00", "16:30"))
JOB_TITLES = {"manager": "Practice manager", "desk": "Front desk lead", "desk2": "Receptionist",
              "billing": "Billing specialist", "drpatel": "Physician", "drnguyen": "Physician",
              "drbrooks": "Pediatrician", "npgarcia": "Nurse practitioner"}
DEA_NUMBERS = {"drpatel": "AP1234563", "drnguyen": "AN7654329", "drbrooks": "AB2468139"}


def build_roster(manager: ServiceContext, rng: random.Random, weekdays: dict[str, tuple[int, ...]]) -> dict:
    """`weekdays`: provider username -> the weekdays they work (0 = Monday)."""
    today = manager.today()
    staff = StaffService(manager)
    people = {row.username: row for row in staff.directory()}
    for username, title in JOB_TITLES.items():
        row = people[username]
        staff.update_staff(row.user_id, row.version, StaffInput(
            job_title=title, phone=f"(217) 555-01{rng.randint(10, 99)}", email=f"{username}@example.org",
            hired_on=today - dt.timedelta(days=rng.randint(200, 3000)), npi=row.npi,
            provider_credentials=row.provider_credentials, specialty=row.specialty))
    roster = RosterService(manager)
    templates = {name: roster.add_template(name, role, start, end).id for name, role, start, end in TEMPLATES}
    roster.set_rule("front_desk", 1, "08:00", "17:00")  # someone at the desk whenever the doors are open
    roster.set_rule("front_desk", 2, "09:00", "15:30")  # two through the busy hours
    roster.set_rule("provider", 2, "08:00", "12:00")
    roster.set_rule("provider", 2, "13:00", "17:00")
    this_monday = monday_of(today)
    shifts = 0
    for monday in (this_monday - dt.timedelta(days=7), this_monday):
        for offset in range(5):
            day = monday + dt.timedelta(days=offset)
            plan = [("manager", "Office day"), ("billing", "Billing day"), ("desk", "Front early"),
                    # Sam works mornings only on Wednesdays: the desk is one short that afternoon.
                    ("desk2", "Front AM" if offset == 2 else "Front late")]
            for username, template in plan:
                roster.add_shift(ShiftInput(people[username].user_id, day, template_id=templates[template]))
                shifts += 1
    credentials = CredentialService(manager)
    alerts = {"drbrooks": 45, "npgarcia": 20}  # days until the licence / BLS card runs out
    for username in weekdays:
        user_id = people[username].user_id
        licence_days = alerts["drbrooks"] if username == "drbrooks" else rng.randint(300, 700)
        credentials.add_credential(CredentialInput(user_id, "state_licence", "Illinois professional licence",
                                                   f"0{rng.randint(36, 65)}-{rng.randint(100000, 999999)}", "IL",
                                                   today + dt.timedelta(days=licence_days)))
        bls_days = alerts["npgarcia"] if username == "npgarcia" else rng.randint(200, 700)
        credentials.add_credential(CredentialInput(user_id, "cpr_bls", "BLS provider card", f"BLS-{rng.randint(1000, 9999)}",
                                                   "American Heart Association", today + dt.timedelta(days=bls_days)))
        if username in DEA_NUMBERS:
            credentials.add_credential(CredentialInput(user_id, "dea", "DEA registration", DEA_NUMBERS[username],
                                                       "DEA", today + dt.timedelta(days=rng.randint(400, 1000))))
    time_off = TimeOffService(manager)
    next_monday = this_monday + dt.timedelta(days=7)
    asked = time_off.request(people["drnguyen"].user_id, next_monday + dt.timedelta(days=3),
                             next_monday + dt.timedelta(days=3), "training", "CME conference in Chicago")
    holiday = time_off.request(people["desk2"].user_id, next_monday + dt.timedelta(days=14),
                               next_monday + dt.timedelta(days=18), "vacation", "Family trip")
    time_off.approve(holiday.id, holiday.version, "Agency cover booked")
    early = time_off.request(people["billing"].user_id, this_monday - dt.timedelta(days=10),
                             this_monday - dt.timedelta(days=10), "personal")
    time_off.deny(early.id, early.version, "Month-end close: please pick another day")
    return {"shifts": shifts, "pending_time_off": asked.id}
