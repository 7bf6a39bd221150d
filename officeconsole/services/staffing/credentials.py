"""Staff credentials and their expiry alerts (90, 60 and 30 days ahead, and once expired).

The alerts are read by the roster screen, `officeconsole roster alerts` and the nightly
close; booking a provider whose state licence has lapsed by the visit's day warns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import Credential, User
from officeconsole.models.roster import CredentialKind
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, NotFound, ValidationError
from officeconsole.services.common.identifiers import valid_dea
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text, parse_date
from officeconsole.services.security import audit

ALERT_DAYS = (90, 60, 30)
US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP".split())


def alert_level(expires_on: dt.date | None, today: dt.date) -> str:
    """"expired", "30 days", "60 days", "90 days" or "" (fine, or never expires)."""
    if expires_on is None:
        return ""
    if expires_on < today:
        return "expired"
    left = (expires_on - today).days
    return next((f"{days} days" for days in sorted(ALERT_DAYS) if left <= days), "")


@dataclass(frozen=True)
class CredentialView:
    id: int
    version: int
    user_id: int
    person: str
    kind: str
    kind_label: str
    name: str
    number: str
    issuer: str
    expires_on: dt.date | None
    alert: str  # the alert band (see alert_level): colour and sorting, never shown as time left
    days_left: int | None = None  # from the clinic's today; negative once expired

    @property
    def left(self) -> str:
        """The time left in words: "today", "in 20 days", "1 day ago"; "" when it never expires."""
        if self.days_left is None:
            return ""
        if self.days_left == 0:
            return "today"
        n = abs(self.days_left)
        span = f"{n} day{'s' if n != 1 else ''}"
        return f"in {span}" if self.days_left > 0 else f"{span} ago"

    @property
    def describe(self) -> str:
        what = self.name or self.kind_label
        if self.expires_on is None:
            return f"{self.person}: {what}"
        verb = "expired" if self.alert == "expired" else "expires"
        return f"{self.person}: {what} {verb} {self.expires_on:%m/%d/%Y} ({self.left})"


@dataclass(frozen=True)
class CredentialInput:
    user_id: int
    kind: str
    name: str = ""
    number: str = ""
    issuer: str = ""
    expires_on: str | dt.date | None = ""


class CredentialService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("staff.view")
    def for_user(self, user_id: int) -> list[CredentialView]:
        with self.ctx.db.read() as session:
            return self._views(session, select(Credential, User.full_name).join(User, User.id == Credential.user_id)
                               .where(Credential.user_id == user_id).order_by(Credential.kind, Credential.id))

    @requires("staff.view")
    def alerts(self) -> list[CredentialView]:
        """Credentials of current staff that expired or expire within 90 days, soonest first."""
        horizon = self.ctx.today() + dt.timedelta(days=max(ALERT_DAYS))
        with self.ctx.db.read() as session:
            return self._views(session, select(Credential, User.full_name).join(User, User.id == Credential.user_id)
                               .where(Credential.expires_on.is_not(None), Credential.expires_on <= horizon,
                                      User.active.is_(True), User.left_on.is_(None))
                               .order_by(Credential.expires_on, User.full_name))

    @requires("staff.manage")
    def add_credential(self, data: CredentialInput) -> CredentialView:
        fields = _checked(data)
        with self.ctx.db.write() as session:
            person = _get(session, User, data.user_id, "staff member")
            row = Credential(user_id=person.id, updated_at=self.ctx.now(), **fields)
            session.add(row)
            session.flush()
            audit.record(session, self.ctx.now(), self.ctx.actor, "credential.add", entity="credential",
                         entity_id=row.id, summary=_summary(person.full_name, fields))
            return self._view(row, person.full_name)

    @requires("staff.manage")
    def update_credential(self, credential_id: int, expected_version: int, data: CredentialInput) -> CredentialView:
        fields = _checked(data)
        with self.ctx.db.write() as session:
            row = _get(session, Credential, credential_id, "credential")
            if row.version != expected_version:
                raise ConcurrentEdit("credential")
            for name, value in fields.items():
                setattr(row, name, value)
            row.updated_at = self.ctx.now()
            try:
                session.flush()
            except StaleDataError:
                raise ConcurrentEdit("credential") from None
            person = _get(session, User, row.user_id, "user")
            audit.record(session, self.ctx.now(), self.ctx.actor, "credential.update", entity="credential",
                         entity_id=row.id, summary=_summary(person.full_name, fields))
            return self._view(row, person.full_name)

    @requires("staff.manage")
    def remove_credential(self, credential_id: int) -> None:
        with self.ctx.db.write() as session:
            row = _get(session, Credential, credential_id, "credential")
            person = _get(session, User, row.user_id, "user")
            audit.record(session, self.ctx.now(), self.ctx.actor, "credential.remove", entity="credential",
                         entity_id=row.id, summary=f"{person.full_name}: {row.kind} {row.number}")
            session.delete(row)

    def _views(self, session: Session, query: Select[Credential, str]) -> list[CredentialView]:
        return [self._view(row, name) for row, name in session.execute(query)]

    def _view(self, row: Credential, person: str) -> CredentialView:
        kind = CredentialKind(row.kind)
        return CredentialView(row.id, row.version, row.user_id, person, row.kind, kind.label, row.name, row.number,
                              row.issuer, row.expires_on, alert_level(row.expires_on, self.ctx.today()),
                              None if row.expires_on is None else (row.expires_on - self.ctx.today()).days)


def lapsed_licence(session: Session, user_id: int, day: dt.date) -> str:
    """Why booking this provider on `day` deserves a warning ("" when fine): every state
    licence on file has expired by then."""
    expiries = list(session.scalars(select(Credential.expires_on).where(
        Credential.user_id == user_id, Credential.kind == CredentialKind.STATE_LICENCE)))
    if not expiries or any(e is None or e >= day for e in expiries):
        return ""
    return f"the state licence on file expired {max(e for e in expiries if e is not None):%m/%d/%Y}"


_Row = TypeVar("_Row")


def _get(session: Session, model: type[_Row], key: int, what: str) -> _Row:
    row = session.get(model, key)
    if row is None:
        raise NotFound(f"No {what} has id {key}.")
    return row


def _checked(data: CredentialInput) -> dict[str, object]:
    errors: dict[str, str] = {}
    try:
        kind = CredentialKind(data.kind)
    except ValueError:
        kind = None
        errors["kind"] = "Choose the kind: " + ", ".join(k.label for k in CredentialKind) + "."
    number = clean_text(data.number, 40).upper()
    issuer = clean_text(data.issuer, 80)
    if kind is CredentialKind.DEA and not valid_dea(number):
        errors["number"] = "A DEA number is two letters and seven digits with a valid check digit (e.g. AB1234563)."
    if kind is CredentialKind.STATE_LICENCE:
        issuer = issuer.upper()
        if issuer not in US_STATES:
            errors["issuer"] = "The issuing state as two letters, e.g. IL."
        if not number:
            errors["number"] = "The licence number is required."
    if kind is CredentialKind.OTHER and not clean_text(data.name):
        errors["name"] = "Name the credential (e.g. ACLS)."
    try:
        expires = parse_date(data.expires_on) if data.expires_on not in (None, "") else None
    except ValueError as exc:
        expires = None
        errors["expires_on"] = f"Expiry: {exc}."
    if kind in (CredentialKind.STATE_LICENCE, CredentialKind.DEA, CredentialKind.CPR_BLS) and expires is None \
            and "expires_on" not in errors:
        errors["expires_on"] = "This credential expires: give the date."
    if errors or kind is None:  # no kind always names it in errors
        raise ValidationError(errors)
    return {"kind": kind.value, "name": clean_text(data.name, 80), "number": number, "issuer": issuer,
            "expires_on": expires}


def _summary(person: str, fields: dict[str, object]) -> str:
    expires = fields["expires_on"]
    return f"{person}: {fields['kind']} {fields['number']} {fields['issuer']} " \
           f"expires {expires:%Y-%m-%d}" if expires else f"{person}: {fields['kind']} {fields['number']}"
