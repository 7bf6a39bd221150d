"""First-start setup, logins and user accounts. Passwords are hashed with argon2."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from officeconsole.db.database import Database
from officeconsole.models import ClinicSettings, User
from officeconsole.models.enums import Role
from officeconsole.services.common.context import Actor, ServiceContext
from officeconsole.services.common.errors import NotFound, SetupError, ValidationError
from officeconsole.services.common.permissions import requires
from officeconsole.services.practice.clinic import DEFAULT_HOURS, valid_timezone
from officeconsole.services.security import audit
from officeconsole.services.security.passwords import hash_secret, use_fast_hashing
from officeconsole.services.security.sign_in import login, min_password_length

__all__ = ["SetupInput", "UserRow", "UserService", "hash_password", "login", "needs_setup", "setup_clinic",
           "use_fast_hashing"]  # login and use_fast_hashing live in sign_in and passwords; callers use auth.*
from officeconsole.services.common.text import clean_text

MIN_PASSWORD_LENGTH = 8
USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{1,39}$")


hash_password = hash_secret


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    full_name: str
    role: Role
    active: bool


def _validate_account(username: str, full_name: str, role: str, password: str,
                      shortest: int = MIN_PASSWORD_LENGTH) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not USERNAME_PATTERN.match(username):
        errors["username"] = (
            "Username: 2-40 characters, starting with a letter; letters, digits, '.', '_' or '-'."
        )
    if not full_name:
        errors["full_name"] = "Full name is required."
    if role not in {r.value for r in Role}:
        errors["role"] = f"Role must be one of: {', '.join(r.value for r in Role)}."
    if len(password) < shortest:
        errors["password"] = f"Password must be at least {shortest} characters."
    return errors


def _to_actor(user: User) -> Actor:
    return Actor(user.id, user.username, user.full_name, Role(user.role))


def needs_setup(db: Database) -> bool:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(User)) == 0


@dataclass(frozen=True)
class SetupInput:
    clinic_name: str
    timezone: str
    username: str
    full_name: str
    password: str
    password_again: str


def setup_clinic(ctx: ServiceContext, data: SetupInput) -> Actor:
    """The first start: the clinic's name and time zone and the first manager account."""
    clinic_name = clean_text(data.clinic_name, 200)
    username = clean_text(data.username).lower()
    full_name = clean_text(data.full_name, 120)
    timezone = clean_text(data.timezone)
    errors = _validate_account(username, full_name, Role.MANAGER, data.password)
    if not clinic_name:
        errors["clinic_name"] = "Clinic name is required."
    if not valid_timezone(timezone):
        errors["timezone"] = f"{timezone!r} is not a time zone (for example America/Chicago)."
    if data.password != data.password_again:
        errors["password_again"] = "The two passwords differ."
    if errors:
        raise ValidationError(errors)
    now = ctx.now()
    with ctx.db.write() as session:
        if session.scalar(select(func.count()).select_from(User)):
            raise SetupError("This clinic is set up already: log in instead.")
        session.merge(
            ClinicSettings(
                id=1,
                name=clinic_name,
                timezone=timezone,
                opening_hours=DEFAULT_HOURS,
                created_at=now,
            )
        )
        user = User(
            username=username,
            full_name=full_name,
            role=Role.MANAGER,
            password_hash=hash_password(data.password),
            created_at=now,
            last_login_at=now,
        )
        session.add(user)
        session.flush()
        actor = _to_actor(user)
        audit.record(session, now, actor, "setup", entity="clinic", entity_id=1,
                     summary=f"clinic {clinic_name!r} set up, first manager {username}")
    ctx.zone.set(timezone)  # the console's screens have the clinic's zone from here on
    return actor


class UserService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("user.manage")
    def list(self) -> list[UserRow]:
        with self.ctx.db.read() as session:
            users = session.scalars(select(User).order_by(User.username))
            return [UserRow(u.id, u.username, u.full_name, Role(u.role), u.active) for u in users]

    @requires("user.manage")
    def add(self, username: str, full_name: str, role: str, password: str) -> UserRow:
        username = clean_text(username).lower()
        full_name = clean_text(full_name, 120)
        with self.ctx.db.read() as session:
            shortest = min_password_length(session)
        errors = _validate_account(username, full_name, role, password, shortest)
        if errors:
            raise ValidationError(errors)
        now = self.ctx.now()
        try:
            with self.ctx.db.write() as session:
                user = User(username=username, full_name=full_name, role=role,
                            password_hash=hash_password(password), created_at=now)
                session.add(user)
                session.flush()
                audit.record(session, now, self.ctx.actor, "user.add", entity="user",
                             entity_id=user.id, summary=f"{username} ({role})")
                row = UserRow(user.id, username, full_name, Role(role), True)
        except IntegrityError:
            raise ValidationError({"username": f"The username {username!r} is taken."}) from None
        return row

    @requires("user.manage")
    def disable(self, username: str) -> None:
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            user = self._get(session, username)
            if user.id == self.ctx.actor_or_fail().user_id:
                raise ValidationError({"username": "You cannot disable your own account."})
            if user.role in (Role.MANAGER, Role.ADMIN) and self._other_admins(session, user.id) == 0:
                raise ValidationError({"username": "This is the last active manager: add another first."})
            user.active = False
            audit.record(session, now, self.ctx.actor, "user.disable", entity="user", entity_id=user.id,
                         summary=user.username)

    @requires("user.manage")
    def reset_password(self, username: str, password: str) -> None:
        """A new password; it also ends a lockout and clears the failed attempts."""
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            shortest = min_password_length(session)
            if len(password) < shortest:
                raise ValidationError({"password": f"Password must be at least {shortest} characters."})
            user = self._get(session, username)
            user.password_hash = hash_password(password)
            user.failed_logins, user.locked_until = 0, None
            audit.record(session, now, self.ctx.actor, "user.reset_password", entity="user",
                         entity_id=user.id, summary=user.username)

    @requires("user.manage")
    def unlock(self, username: str) -> str:
        """End a lockout now (someone at the desk needs in) without changing the password."""
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            user = self._get(session, username)
            was = user.locked_until is not None and user.locked_until > now
            user.failed_logins, user.locked_until = 0, None
            audit.record(session, now, self.ctx.actor, "user.unlock", entity="user", entity_id=user.id,
                         summary=f"{user.username}" + (" (was locked out)" if was else " (was not locked out)"))
        return (f"{user.full_name} can sign in again." if was
                else f"{user.full_name} was not locked out; their failed attempts are cleared.")

    @staticmethod
    def _get(session: Session, username: str) -> User:
        name = clean_text(username).lower()
        user = session.scalar(select(User).where(User.username == name))
        if user is None:
            raise NotFound(f"No user is called {name!r}.")
        return user

    @staticmethod
    def _other_admins(session: Session, user_id: int) -> int:
        return session.scalar(
            select(func.count()).select_from(User).where(
                User.id != user_id, User.active.is_(True), User.role.in_([Role.MANAGER, Role.ADMIN])
            )
        ) or 0
