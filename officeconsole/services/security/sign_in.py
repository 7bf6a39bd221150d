"""Signing in on the shared reception PC: the full password, the quick PIN, lockout and the lock.

A PIN (digits only, hashed like a password) unlocks the console and switches user during a day
begun with the full password: it is refused before that person's first password login of the
clinic's day. Wrong passwords and PINs count against the account; at the clinic's limit within
the lockout window it is locked for the lockout minutes, and every login, failure, lockout,
unlock and lock is audited.

Why the lockout cannot be turned into a way to lock out the whole front desk: it is per account
and ends by itself; attempts while locked do not lengthen it; unknown usernames lock nothing;
failures older than the window are forgotten; a correct login resets the count; and a manager's
password reset or `officeconsole user unlock` ends it at once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, fields

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import ClinicSettings, User
from officeconsole.models.audit import AuditEvent
from officeconsole.models.enums import Role
from officeconsole.services.common.context import Actor, ServiceContext
from officeconsole.services.common.errors import AuthError, NotFound, ValidationError
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text
from officeconsole.services.security import audit
from officeconsole.services.security.passwords import hash_secret, needs_rehash, verify

LOGIN_FAILED = "Unknown username or wrong password."
MAX_PIN_LENGTH = 12
JOB_KEY_PREFIX = "officeconsole-job-key"
BAD_JOB_KEY = "That key file does not sign anyone in: make a new one with `officeconsole user job-key`."


@dataclass(frozen=True)
class SecuritySettings:
    idle_lock_minutes: int = 5
    min_password_length: int = 8
    min_pin_length: int = 4
    lockout_attempts: int = 5
    lockout_minutes: int = 15


LIMITS = {  # each setting's allowed range: never weaker than the defaults' floor
    "idle_lock_minutes": (1, 60), "min_password_length": (8, 64), "min_pin_length": (4, MAX_PIN_LENGTH),
    "lockout_attempts": (3, 10), "lockout_minutes": (5, 240),
}
LABELS = {
    "idle_lock_minutes": "Idle lock (minutes)", "min_password_length": "Shortest password",
    "min_pin_length": "Shortest PIN", "lockout_attempts": "Failed attempts before lockout",
    "lockout_minutes": "Lockout (minutes)",
}


def security_settings(session: Session) -> SecuritySettings:
    row = session.get(ClinicSettings, 1)
    if row is None:
        return SecuritySettings()
    return SecuritySettings(**{f.name: getattr(row, f.name) for f in fields(SecuritySettings)})


def min_password_length(session: Session) -> int:
    return security_settings(session).min_password_length


def _actor(user: User) -> Actor:
    return Actor(user.id, user.username, user.full_name, Role(user.role))


def login(ctx: ServiceContext, username: str, secret: str, *, action: str = "login") -> Actor:
    """A password, or a PIN after the day's first password login. `action` names the audit
    event of a success: "login", "unlock" (the same person back at a locked console) or
    "switch" (someone else taking over a locked console)."""
    name = clean_text(username).lower()[:40]
    now = ctx.now()
    try:
        with ctx.db.write() as session:
            actor, refusal = _attempt(ctx, session, name, secret, now, action)
    except StaleDataError:
        raise AuthError("Someone signed in with this account at the same moment: try again.") from None
    if actor is None:
        raise AuthError(refusal)
    return actor


def unlock(ctx: ServiceContext, current: Actor, username: str, secret: str) -> tuple[Actor, bool]:
    """At the lock screen: the person who locked it back (True), or someone else (False)."""
    same = clean_text(username).lower() == current.username
    return login(ctx, username, secret, action="unlock" if same else "switch"), same


def record_lock(ctx: ServiceContext, reason: str) -> None:
    """The console hid itself (idle, or the user pressed lock): audited for the person signed in."""
    with ctx.db.write() as session:
        audit.record(session, ctx.now(), ctx.actor, "session.lock", entity="user",
                     entity_id=ctx.actor.user_id if ctx.actor else "", summary=reason[:200])


def login_with_key(ctx: ServiceContext, token: str) -> Actor:
    """A scheduled job signing in with a key file made by a manager (`user job-key`): it acts as
    that manager, and stops working when they make a new one, lose the right to close days or
    leave."""
    parts = token.strip().split(":")
    now = ctx.now()
    with ctx.db.write() as session:
        user = None
        if len(parts) == 3 and parts[0] == JOB_KEY_PREFIX and parts[1].isdigit():
            user = session.get(User, int(parts[1]))
        ok = (user is not None and user.active and Role(user.role) in (Role.MANAGER, Role.ADMIN)
              and verify(user.job_key_hash, parts[2]))
        if not ok or user is None:  # ok means a user was found
            audit.record(session, now, None, "login.failed", entity="user", entity_id=user.id if user else "",
                         summary="job key refused", username=user.username if user else "(job key)")
        else:
            actor = _actor(user)
            audit.record(session, now, actor, "login", entity="user", entity_id=user.id, summary="with job key")
    if not ok:
        raise AuthError(BAD_JOB_KEY)
    return actor


def _attempt(ctx: ServiceContext, session: Session, name: str, secret: str, now: dt.datetime,
             action: str) -> tuple[Actor | None, str]:
    rules = security_settings(session)
    user = session.scalar(select(User).where(User.username == name))
    if user is None or not user.active:
        audit.record(session, now, None, "login.failed", entity="user", entity_id=user.id if user else "",
                     summary="unknown user" if user is None else "disabled", username=name)
        # Answered as a real account would be, lockout included, so the answers do not tell which
        # usernames exist.
        window = dt.timedelta(minutes=rules.lockout_minutes)
        session.flush()
        tries = session.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "login.failed", AuditEvent.username == name, AuditEvent.at > now - window)
        ).scalar_one()
        if tries >= rules.lockout_attempts:
            return None, _locked_text(ctx, name, now + window)
        return None, LOGIN_FAILED
    if user.locked_until is not None and _aware(user.locked_until) > now:
        audit.record(session, now, None, "login.locked", entity="user", entity_id=user.id,
                     summary="attempt while locked out", username=name)
        return None, _locked_text(ctx, user.username, _aware(user.locked_until))
    if verify(user.password_hash, secret):
        method = "password"
        user.password_at = now
        if needs_rehash(user.password_hash):
            user.password_hash = hash_secret(secret)
    elif user.pin_hash and secret.isdigit() and verify(user.pin_hash, secret):
        if user.password_at is None or _aware(user.password_at).astimezone(ctx.timezone).date() != ctx.today():
            audit.record(session, now, None, "login.failed", entity="user", entity_id=user.id,
                         summary="PIN before the day's first password login", username=name)
            return None, "Your PIN works after your first login of the day with your password."
        method = "PIN"
    else:
        window = dt.timedelta(minutes=rules.lockout_minutes)
        if user.last_failed_at is None or now - _aware(user.last_failed_at) > window:
            user.failed_logins = 0
        user.failed_logins += 1
        user.last_failed_at = now
        audit.record(session, now, None, "login.failed", entity="user", entity_id=user.id,
                     summary=f"wrong password or PIN ({user.failed_logins} of {rules.lockout_attempts})",
                     username=name)
        if user.failed_logins < rules.lockout_attempts:
            return None, LOGIN_FAILED
        user.locked_until = now + window
        user.failed_logins = 0
        audit.record(session, now, None, "login.lockout", entity="user", entity_id=user.id,
                     summary=f"locked for {rules.lockout_minutes} minutes after {rules.lockout_attempts} failed "
                             "attempts", username=name)
        return None, _locked_text(ctx, user.username, _aware(user.locked_until))
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    actor = _actor(user)
    audit.record(session, now, actor, action, entity="user", entity_id=user.id, summary=f"with {method}")
    return actor, ""


def _locked_text(ctx: ServiceContext, username: str, until: dt.datetime) -> str:
    return (f"Too many failed attempts: {username} is locked until {until.astimezone(ctx.timezone):%H:%M}.\n"
            "A manager can unlock it now (Staff: u, or `officeconsole user unlock NAME`).")


def _me(session: Session, me: Actor) -> User:
    """The signed-in person's own row; NotFound if it has gone (removed while signed in)."""
    user = session.get(User, me.user_id)
    if user is None:
        raise NotFound(f"No user has id {me.user_id}.")
    return user


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


class SignInService:
    """The signed-in person's own PIN, and the clinic's sign-in rules (managers)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("self.pin")
    def set_pin(self, password: str, pin: str, pin_again: str) -> None:
        """Set or change your PIN: your password proves it is you at the keyboard."""
        me = self.ctx.actor_or_fail()
        pin = pin.strip()
        with self.ctx.db.write() as session:
            rules = security_settings(session)
            user = _me(session, me)
            errors = {}
            if not verify(user.password_hash, password):
                errors["password"] = "That is not your password."
            if not (pin.isdigit() and rules.min_pin_length <= len(pin) <= MAX_PIN_LENGTH):
                errors["pin"] = f"A PIN is {rules.min_pin_length} to {MAX_PIN_LENGTH} digits."
            elif len(set(pin)) == 1 or pin in "01234567890123" or pin in "98765432109876":
                errors["pin"] = "Choose a PIN that is not one digit repeated or a run like 1234."
            elif pin != pin_again.strip():
                errors["pin_again"] = "The two PINs differ."
            if errors:
                raise ValidationError(errors)
            user.pin_hash = hash_secret(pin)
            audit.record(session, self.ctx.now(), me, "user.pin", entity="user", entity_id=me.user_id,
                         summary="PIN set")

    @requires("day.close")
    def make_job_key(self) -> str:
        """A new key for scheduled jobs, signing in as you; the previous one stops working. The
        text returned is shown once and kept only as a hash."""
        me = self.ctx.actor_or_fail()
        secret = secrets.token_urlsafe(32)
        with self.ctx.db.write() as session:
            user = _me(session, me)
            user.job_key_hash = hash_secret(secret)
            audit.record(session, self.ctx.now(), me, "user.job_key", entity="user", entity_id=me.user_id,
                         summary="job key made (any earlier one revoked)")
        return f"{JOB_KEY_PREFIX}:{me.user_id}:{secret}"

    @requires("day.close")
    def revoke_job_key(self) -> None:
        me = self.ctx.actor_or_fail()
        with self.ctx.db.write() as session:
            _me(session, me).job_key_hash = ""
            audit.record(session, self.ctx.now(), me, "user.job_key", entity="user", entity_id=me.user_id,
                         summary="job key revoked")

    @requires("self.pin")
    def rules(self) -> SecuritySettings:
        with self.ctx.db.read() as session:
            return security_settings(session)

    @requires("clinic.manage")
    def set_rules(self, **changes: int | str) -> SecuritySettings:
        """Change some of the sign-in rules; each stays within LIMITS."""
        values, errors = {}, {}
        for key, raw in changes.items():
            if key not in LIMITS:
                raise ValidationError({key: f"There is no setting called {key!r}."})
            if raw in (None, ""):
                continue
            low, high = LIMITS[key]
            try:
                number = int(str(raw).strip())
            except ValueError:
                number = low - 1
            if not low <= number <= high:
                errors[key] = f"{LABELS[key]}: a whole number from {low} to {high}."
            values[key] = number
        if errors:
            raise ValidationError(errors)
        with self.ctx.db.write() as session:
            row = session.get(ClinicSettings, 1)
            for key, number in values.items():
                setattr(row, key, number)
            session.flush()
            result = security_settings(session)
            audit.record(session, self.ctx.now(), self.ctx.actor, "clinic.security_settings", entity="clinic",
                         entity_id=1, summary=", ".join(f"{k} {v}" for k, v in values.items()) or "no change")
        return result
