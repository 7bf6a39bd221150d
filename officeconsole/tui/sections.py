"""The console's sections, declared once: the function key, the key bar's label, the command
palette's entry, the screen it opens, and the permission a role needs to see and open it.

`OfficeApp` builds its key bindings, its `action_*` methods, its palette and the key bar's
permission check from this table, and the help screen lists it, so a section added here
appears everywhere at once and nowhere else needs to change.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from textual.screen import Screen


@dataclass(frozen=True)
class Section:
    key: str  # the function key, e.g. "f2"
    action: str  # the app's action: `action_<action>`
    label: str  # on the key bar
    title: str  # in the command palette and the help screen
    summary: str  # what it holds, in the palette and the help screen
    screen: str  # "module:Class" under officeconsole.tui.screens (imported when first opened)
    permission: str  # what a role needs to see the key and open the section
    keep: bool = False  # built once per login and reopened as it was (the desk's all-day screens)
    refused: str = ""  # said when a role without the permission asks for it by name

    def screen_class(self) -> type[Screen]:
        module, name = self.screen.split(":")
        return getattr(importlib.import_module(f"officeconsole.tui.screens.{module}"), name)

    @property
    def key_label(self) -> str:
        return self.key.upper()


SECTIONS: tuple[Section, ...] = (
    Section("f2", "schedule", "Schedule", "Schedule", "Today's appointments for every provider",
            "schedule:ScheduleScreen", "schedule.view"),
    Section("f3", "check_in", "Check-in", "Check-in", "Check patients in and out, walk-ins",
            "check_in:CheckInScreen", "patient.checkin", keep=True),
    Section("f4", "flow_board", "Flow board", "Flow board",
            "Who is waiting, roomed, with a provider, and for how long", "flow_board:FlowBoardScreen",
            "flow.view", keep=True),
    Section("f5", "billing", "Billing", "Billing queue", "Encounters to code and claims by state",
            "billing_queue:BillingQueueScreen", "billing.view",
            refused="The billing queue is for billing staff, providers and managers."),
    Section("f6", "reports", "Reports", "Reports", "Day sheet, production, payments, no-shows, waits, aging",
            "reports:ReportsScreen", "report.view", refused="Reports are for managers and billing staff."),
    Section("f7", "roster", "Roster", "Roster", "The week's shifts, coverage gaps and time off",
            "roster:RosterScreen", "roster.view"),
    Section("f8", "staff", "Staff", "Staff", "Directory, credentials and their expiry alerts, asking for time off",
            "staff:StaffScreen", "staff.view"),
    Section("f9", "inventory", "Inventory", "Inventory",
            "Stock on hand, lots by expiry, use, receive, count, what to order", "inventory:InventoryScreen",
            "inventory.view"),
    Section("f10", "practice_setup", "Setup", "Practice setup",
            "Clinic, providers, appointment types, hours, payers, fees, rooms, sign-in rules, and what is "
            "still needed", "practice_setup:PracticeSetupScreen", "clinic.manage",
            refused="Practice setup is for managers."),
    Section("f11", "dashboard", "Dashboard", "Dashboard",
            "Today, this period against the last and a year ago, per provider, desk and biller, 12-month trends",
            "dashboard:DashboardScreen", "report.view", refused="The dashboard is for managers and billing staff."),
)

BY_ACTION = {section.action: section for section in SECTIONS}
