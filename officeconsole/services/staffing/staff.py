"""The staff directory: who works here, how to reach them, since when; providers' NPIs.

Everyone may read it (the desk needs a colleague's phone); only a manager edits it.
Accounts themselves (usernames, passwords, roles) stay with `auth.UserService`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import Credential, Provider, User
from officeconsole.models.enums import Role
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, NotFound, ValidationError
from officeconsole.services.common.identifiers import valid_npi
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text, format_phone, parse_date, parse_email, parse_phone
from officeconsole.services.security import audit
from officeconsole.services.staffing.credentials import alert_level


@dataclass(frozen=True)
class StaffRow:
    user_id: int
    version: int
    name: str
    username: str
    role: str
    job_title: str
    phone: str  # formatted
    email: str
    hired_on: dt.date | None
    left_on: dt.date | None
    active: bool
    npi: str  # providers only
    provider_credentials: str  # "MD", "NP"
    specialty: str
    alert: str  # the worst credential alert: "expired", "30 days", ... or ""

    @property
    def role_label(self) -> str:
        return Role(self.role).label


@dataclass(frozen=True)
class StaffInput:
    job_title: str = ""
    phone: str = ""
    email: str = ""
    hired_on: str | dt.date | None = ""
    left_on: str | dt.date | None = ""
    npi: str = ""  # providers
    provider_credentials: str = ""
    specialty: str = ""


_SEVERITY = {"expired": 0, "30 days": 1, "60 days": 2, "90 days": 3, "": 4}


class StaffService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("staff.view")
    def directory(self, include_former: bool = False) -> list[StaffRow]:
        today = self.ctx.today()
        with self.ctx.db.read() as session:
            expiries: dict[int, list[dt.date | None]] = {}
            for user_id, expires in session.execute(select(Credential.user_id, Credential.expires_on)
                                                    .where(Credential.expires_on.is_not(None))):
                expiries.setdefault(user_id, []).append(expires)
            query = select(User, Provider).outerjoin(Provider, Provider.user_id == User.id).order_by(
                User.role, User.full_name)
            if not include_former:
                query = query.where(User.active.is_(True), (User.left_on.is_(None)) | (User.left_on >= today))
            rows = []
            for user, provider in session.execute(query):
                alerts = [alert_level(e, today) for e in expiries.get(user.id, [])]
                worst = min(alerts, key=_SEVERITY.__getitem__, default="")
                rows.append(StaffRow(user.id, user.version, user.full_name, user.username, user.role, user.job_title,
                                     format_phone(user.phone) if user.phone else "", user.email, user.hired_on,
                                     user.left_on, user.active, provider.npi if provider else "",
                                     provider.credentials if provider else "", provider.specialty if provider else "",
                                     worst))
            return rows

    @requires("staff.view")
    def person(self, user_id: int) -> StaffRow:
        match = [r for r in self.directory(include_former=True) if r.user_id == user_id]
        if not match:
            raise NotFound(f"No staff member has id {user_id}.")
        return match[0]

    @requires("staff.manage")
    def update_staff(self, user_id: int, expected_version: int, data: StaffInput) -> StaffRow:
        errors: dict[str, str] = {}
        fields: dict[str, Any] = {"job_title": clean_text(data.job_title, 60)}
        for name, parse in (("phone", parse_phone), ("email", parse_email)):
            try:
                fields[name] = parse(getattr(data, name))
            except ValueError as exc:
                errors[name] = f"{exc}."
        for name in ("hired_on", "left_on"):
            try:
                fields[name] = parse_date(getattr(data, name)) if getattr(data, name) not in (None, "") else None
            except ValueError as exc:
                errors[name] = f"{exc}."
        if fields.get("hired_on") and fields.get("left_on") and fields["left_on"] < fields["hired_on"]:
            errors["left_on"] = "The last day is before the first."
        npi = clean_text(data.npi).replace(" ", "")
        with self.ctx.db.write() as session:
            user = get_or_fail(session, User, user_id, "staff member")
            provider = session.scalar(select(Provider).where(Provider.user_id == user.id))
            if provider is not None and not valid_npi(npi):
                errors["npi"] = f"{npi or 'An empty NPI'} is not a valid NPI (10 digits with a check digit)."
            if errors:
                raise ValidationError(errors)
            if user.version != expected_version:
                raise ConcurrentEdit("staff record")
            for name, value in fields.items():
                setattr(user, name, value)
            if provider is not None:
                provider.npi = npi
                provider.credentials = clean_text(data.provider_credentials, 20)
                provider.specialty = clean_text(data.specialty, 100)
            try:
                session.flush()
            except StaleDataError:
                raise ConcurrentEdit("staff record") from None
            except IntegrityError:
                raise ValidationError({"npi": f"NPI {npi} belongs to another provider."}) from None
            audit.record(session, self.ctx.now(), self.ctx.actor, "staff.update", entity="app_user",
                         entity_id=user.id, summary=f"{user.full_name}: " + ", ".join(
                             f"{k}={v}" for k, v in fields.items() if k != "phone")
                         + (f", npi={npi}" if provider is not None else ""))
        return self.person(user_id)

