"""The one permission table, and the decorator that enforces it on service entry points.

Every public service method that needs a permission is wrapped with `requires`, so the
console and the CLI cannot skip a check, and a table-driven test can call each entry
point with each role.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from officeconsole.models.enums import Role
from officeconsole.services.common.errors import PermissionDenied

ALL_ROLES = frozenset(Role)
_CLINICAL_DESK = frozenset({Role.FRONT_DESK, Role.MANAGER, Role.ADMIN, Role.PROVIDER})

PERMISSIONS: dict[str, frozenset[Role]] = {
    "patient.search": ALL_ROLES,
    "patient.view": ALL_ROLES,
    "patient.create": _CLINICAL_DESK,
    "patient.update": _CLINICAL_DESK | {Role.BILLING},
    "patient.note": frozenset({Role.FRONT_DESK, Role.BILLING, Role.MANAGER, Role.ADMIN}),
    "insurance.edit": frozenset({Role.FRONT_DESK, Role.BILLING, Role.MANAGER, Role.ADMIN}),
    "payer.view": ALL_ROLES,
    "payer.manage": frozenset({Role.BILLING, Role.MANAGER, Role.ADMIN}),
    "user.manage": frozenset({Role.MANAGER, Role.ADMIN}),
    "self.pin": ALL_ROLES,
    "audit.view": frozenset({Role.MANAGER, Role.ADMIN}),
    "schedule.view": ALL_ROLES,
    "appointment.book": _CLINICAL_DESK,
    "schedule.manage": frozenset({Role.MANAGER, Role.ADMIN}),
    "patient.checkin": frozenset({Role.FRONT_DESK, Role.MANAGER, Role.ADMIN}),
    "flow.view": ALL_ROLES,
    "flow.update": _CLINICAL_DESK,
    "payment.post": frozenset({Role.FRONT_DESK, Role.BILLING, Role.MANAGER, Role.ADMIN}),
    "payment.void": frozenset({Role.MANAGER, Role.ADMIN}),
    "account.view": frozenset({Role.FRONT_DESK, Role.BILLING, Role.MANAGER, Role.ADMIN}),
    "clinic.manage": frozenset({Role.MANAGER, Role.ADMIN}),
    "billing.view": frozenset({Role.BILLING, Role.MANAGER, Role.ADMIN, Role.PROVIDER}),
    "billing.code": frozenset({Role.BILLING, Role.MANAGER, Role.ADMIN, Role.PROVIDER}),
    "fees.manage": frozenset({Role.BILLING, Role.MANAGER, Role.ADMIN}),
    "claims.submit": frozenset({Role.BILLING, Role.MANAGER, Role.ADMIN}),
    "remit.post": frozenset({Role.BILLING, Role.MANAGER, Role.ADMIN}),
    "ar.view": frozenset({Role.BILLING, Role.MANAGER, Role.ADMIN}),
    "report.view": frozenset({Role.BILLING, Role.MANAGER, Role.ADMIN}),
    "ar.adjust": frozenset({Role.BILLING, Role.MANAGER, Role.ADMIN}),
    "backup.run": frozenset({Role.MANAGER, Role.ADMIN}),
    "database.encrypt": frozenset({Role.MANAGER, Role.ADMIN}),
    "day.close": frozenset({Role.MANAGER, Role.ADMIN}),
    "day.reopen": frozenset({Role.MANAGER, Role.ADMIN}),
    "staff.view": ALL_ROLES,
    "staff.manage": frozenset({Role.MANAGER, Role.ADMIN}),
    "roster.view": ALL_ROLES,
    "roster.manage": frozenset({Role.MANAGER, Role.ADMIN}),
    "timeoff.request": ALL_ROLES,
    "timeoff.decide": frozenset({Role.MANAGER, Role.ADMIN}),
    "inventory.view": ALL_ROLES,
    "inventory.use": _CLINICAL_DESK,
    "inventory.manage": frozenset({Role.MANAGER, Role.ADMIN}),
    # Whole-clinic exports hold every table, clinical and financial: managers only. A copy of one
    # patient's record is a disclosure of clinical and financial data: managers too.
    "export.clinic": frozenset({Role.MANAGER, Role.ADMIN}),
    "export.patient": frozenset({Role.MANAGER, Role.ADMIN}),
    "data.import": frozenset({Role.MANAGER, Role.ADMIN}),
    "refund.request": frozenset({Role.FRONT_DESK, Role.BILLING, Role.MANAGER, Role.ADMIN}),
    "refund.approve": frozenset({Role.MANAGER, Role.ADMIN}),
    "eligibility.check": frozenset({Role.FRONT_DESK, Role.BILLING, Role.MANAGER, Role.ADMIN}),
}

DESCRIPTIONS: dict[str, str] = {
    "patient.search": "search patients",
    "patient.view": "open patient records",
    "patient.create": "register patients",
    "patient.update": "edit patient records",
    "patient.note": "write patient alerts and notes",
    "insurance.edit": "edit insurance policies",
    "payer.view": "list payers",
    "payer.manage": "add or change payers",
    "user.manage": "manage users",
    "self.pin": "set their own PIN",
    "audit.view": "read the audit trail",
    "schedule.view": "see the schedule",
    "appointment.book": "book, move or cancel appointments",
    "schedule.manage": "change working hours and holidays",
    "patient.checkin": "check patients in or out",
    "flow.view": "see the flow board",
    "flow.update": "move patients through the clinic",
    "payment.post": "take payments",
    "payment.void": "void payments",
    "account.view": "see patient accounts",
    "clinic.manage": "set up the practice (clinic, providers, appointment types, rooms)",
    "billing.view": "see encounters and the fee schedule",
    "billing.code": "code encounters",
    "fees.manage": "change the fee schedule",
    "claims.submit": "mark claims ready, export or move them",
    "remit.post": "post insurer payments",
    "ar.view": "see accounts receivable",
    "report.view": "run practice reports",
    "ar.adjust": "write off or transfer balances",
    "backup.run": "make backups",
    "database.encrypt": "encrypt the database or change its key and passphrases",
    "day.close": "close the day",
    "day.reopen": "reopen a closed day",
    "staff.view": "see the staff directory",
    "staff.manage": "edit staff details and credentials",
    "roster.view": "see the rota",
    "roster.manage": "plan shifts and staffing rules",
    "timeoff.request": "ask for time off",
    "timeoff.decide": "approve or deny time off",
    "inventory.view": "see stock levels",
    "inventory.use": "record stock used",
    "inventory.manage": "receive, count and write off stock",
    "export.clinic": "export the whole clinic's data",
    "export.patient": "export a copy of a patient's record",
    "data.import": "import patients, insurance, appointments or balances from another system",
    "refund.request": "ask for refunds",
    "refund.approve": "approve or decline refunds",
    "eligibility.check": "ask insurers about eligibility and post their answers",
}

F = TypeVar("F", bound=Callable[..., Any])


def allowed(role: str | Role, permission: str) -> bool:
    return Role(role) in PERMISSIONS[permission]


def check(role: str | Role, permission: str) -> None:
    if not allowed(role, permission):
        raise PermissionDenied(
            f"Permission denied: a {Role(role).label} user may not "
            f"{DESCRIPTIONS[permission]}."
        )


def requires(permission: str) -> Callable[[F], F]:
    """Check the service's signed-in actor against PERMISSIONS before the call."""
    if permission not in PERMISSIONS:
        raise KeyError(permission)

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            check(self.ctx.actor_or_fail().role, permission)
            return fn(self, *args, **kwargs)

        wrapper.permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
