"""Signing in on the shared PC: the PIN after the day's first password login, lockout after
failed attempts (and why it cannot lock out the whole desk), unlock and switch, the PIN rules
and the clinic's sign-in settings; every attempt audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from officeconsole.models import AuditEvent
from officeconsole.services.common.errors import AuthError, PermissionDenied, ValidationError
from officeconsole.services.security import auth, sign_in
from officeconsole.services.security.auth import UserService
from officeconsole.services.security.sign_in import SignInService

from tests.conftest import NOW
from tests.factories import PASSWORD

MINUTE = dt.timedelta(minutes=1)


def events(ctx, username: str) -> list[tuple[str, str]]:
    with ctx.db.read() as session:
        return [(e.action, e.summary) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.username == username, AuditEvent.action.in_(
                ["login", "login.failed", "login.locked", "login.lockout", "unlock", "switch", "session.lock",
                 "user.pin", "user.unlock", "user.reset_password"])).order_by(AuditEvent.id))]


def test_a_pin_works_only_after_the_days_first_password_login(ctx, clinic, as_role, clock):
    SignInService(as_role("front_desk")).set_pin(PASSWORD, "4826", "4826")
    clock.at = NOW + dt.timedelta(days=1)  # a new day: the PIN alone is not enough
    with pytest.raises(AuthError, match="after your first login of the day with your password"):
        auth.login(ctx, "desk", "4826")
    assert auth.login(ctx, "desk", PASSWORD).username == "desk"
    clock.at += 30 * MINUTE
    assert auth.login(ctx, "Desk ", "4826").username == "desk"
    with pytest.raises(AuthError, match="Unknown username or wrong password"):
        auth.login(ctx, "desk", "4827")
    assert events(ctx, "desk")[-5:] == [
        ("user.pin", "PIN set"), ("login.failed", "PIN before the day's first password login"),
        ("login", "with password"), ("login", "with PIN"), ("login.failed", "wrong password or PIN (1 of 5)")]


def test_five_failures_lock_the_account_for_fifteen_minutes(ctx, clinic, clock):
    for _ in range(4):
        with pytest.raises(AuthError, match="Unknown username or wrong password"):
            auth.login(ctx, "desk", "guess")
    with pytest.raises(AuthError, match=r"desk is locked until 10:15\.\nA manager can unlock it now"):
        auth.login(ctx, "desk", "guess")
    clock.at = NOW + 10 * MINUTE
    with pytest.raises(AuthError, match="locked until 10:15"):  # the right password too, and no longer
        auth.login(ctx, "desk", PASSWORD)
    clock.at = NOW + 16 * MINUTE
    assert auth.login(ctx, "desk", PASSWORD).username == "desk"
    assert [a for a, _ in events(ctx, "desk")] == ["login.failed"] * 5 + ["login.lockout", "login.locked", "login"]
    assert auth.login(ctx, "biller", PASSWORD).username == "biller"  # nobody else was touched


def test_old_failures_are_forgotten_and_unknown_users_lock_nothing(ctx, clinic, clock):
    for n in range(8):
        clock.at = NOW + n * 20 * MINUTE  # one typo every 20 minutes: never five within the window
        with pytest.raises(AuthError, match="wrong password"):
            auth.login(ctx, "desk", "typo")
        with pytest.raises(AuthError, match="wrong password"):
            auth.login(ctx, "nobody", "x")
    assert auth.login(ctx, "desk", PASSWORD).username == "desk"


def test_a_manager_ends_a_lockout_by_reset_or_unlock(ctx, clinic, manager_ctx):
    for name in ("desk", "biller"):
        for _ in range(5):
            with pytest.raises(AuthError):
                auth.login(ctx, name, "guess")
    UserService(manager_ctx).reset_password("desk", "a new password")
    assert auth.login(ctx, "desk", "a new password").username == "desk"
    UserService(manager_ctx).unlock("biller")
    assert auth.login(ctx, "biller", PASSWORD).username == "biller"
    assert events(ctx, "manager")[-2:] == [("user.reset_password", "desk"),
                                           ("user.unlock", "biller (was locked out)")]


def test_unlock_tells_the_same_person_from_a_switch(ctx, clinic):
    desk = auth.login(ctx, "desk", PASSWORD)
    sign_in.record_lock(ctx.as_actor(desk), "idle 5 minutes")
    assert sign_in.unlock(ctx, desk, "desk", PASSWORD) == (desk, True)
    other, same = sign_in.unlock(ctx, desk, "biller", PASSWORD)
    assert (other.username, same) == ("biller", False)
    assert events(ctx, "desk")[-2:] == [("session.lock", "idle 5 minutes"), ("unlock", "with password")]
    assert events(ctx, "biller")[-1] == ("switch", "with password")


def test_pin_rules(as_role):
    me = SignInService(as_role("front_desk"))
    for password, pin, again, field in ((PASSWORD + "x", "4826", "4826", "password"), (PASSWORD, "482", "482", "pin"),
                                        (PASSWORD, "48a6", "48a6", "pin"), (PASSWORD, "1111", "1111", "pin"),
                                        (PASSWORD, "3456", "3456", "pin"), (PASSWORD, "4826", "4862", "pin_again")):
        with pytest.raises(ValidationError) as refused:
            me.set_pin(password, pin, again)
        assert field in refused.value.errors


def test_sign_in_settings_stay_within_their_limits(ctx, clinic, manager_ctx, as_role):
    rules = SignInService(manager_ctx)
    assert rules.set_rules(idle_lock_minutes="10", min_pin_length=6).idle_lock_minutes == 10
    with pytest.raises(ValidationError) as refused:
        rules.set_rules(idle_lock_minutes=0, lockout_attempts="many", min_password_length=4)
    assert set(refused.value.errors) == {"idle_lock_minutes", "lockout_attempts", "min_password_length"}
    assert SignInService(as_role("front_desk")).rules().min_pin_length == 6
    with pytest.raises(ValidationError, match="4 to 12 digits|6 to 12 digits"):
        SignInService(as_role("front_desk")).set_pin(PASSWORD, "4826", "4826")
    with pytest.raises(PermissionDenied):
        SignInService(as_role("front_desk")).set_rules(idle_lock_minutes=60)


def test_an_unknown_username_locks_out_as_a_real_one_does(ctx, clinic):
    """The answers do not tell an attacker which usernames exist."""
    answers = []
    for _ in range(6):
        with pytest.raises(AuthError) as refused:
            auth.login(ctx, "nosuchuser", "wrong password")
        answers.append(refused.value.message)
    assert answers[0] == "Unknown username or wrong password."
    assert answers[-1].startswith("Too many failed attempts: nosuchuser is locked until ")
