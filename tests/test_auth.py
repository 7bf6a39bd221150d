"""Setup wizard rules, logins and user management."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from officeconsole.models import AuditEvent, User
from officeconsole.services.common.errors import (
    AuthError,
    PermissionDenied,
    SetupError,
    ValidationError,
)
from officeconsole.services.security import auth
from officeconsole.services.security.auth import SetupInput, UserService

from tests.factories import PASSWORD


def test_setup_creates_clinic_and_manager(ctx):
    assert auth.needs_setup(ctx.db)
    actor = auth.setup_clinic(ctx, SetupInput("Oak Clinic", "America/Chicago", "Boss", "Bo Boss",
                                              PASSWORD, PASSWORD))
    assert actor.username == "boss" and actor.role == "manager"
    assert not auth.needs_setup(ctx.db)
    assert ctx.as_actor(None).timezone.key == "America/Chicago"


def test_setup_twice_is_refused(ctx, clinic):
    with pytest.raises(SetupError):
        auth.setup_clinic(ctx, SetupInput("Again", "UTC", "other", "O", PASSWORD, PASSWORD))


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("clinic_name", SetupInput("", "UTC", "boss", "B", PASSWORD, PASSWORD)),
        ("timezone", SetupInput("C", "Mars/Olympus", "boss", "B", PASSWORD, PASSWORD)),
        ("username", SetupInput("C", "UTC", "1 bad name", "B", PASSWORD, PASSWORD)),
        ("password", SetupInput("C", "UTC", "boss", "B", "short", "short")),
        ("password_again", SetupInput("C", "UTC", "boss", "B", PASSWORD, PASSWORD + "x")),
    ],
)
def test_setup_validation(ctx, field, data):
    with pytest.raises(ValidationError) as info:
        auth.setup_clinic(ctx, data)
    assert field in info.value.errors
    assert auth.needs_setup(ctx.db)


def test_login_success_and_failures_are_audited(ctx, clinic):
    actor = auth.login(ctx, "  Desk ", PASSWORD)
    assert actor.role == "front_desk"
    with pytest.raises(AuthError, match="Unknown username or wrong password"):
        auth.login(ctx, "desk", "wrong password")
    with pytest.raises(AuthError, match="Unknown username or wrong password"):
        auth.login(ctx, "nobody", PASSWORD)
    with ctx.db.read() as session:
        actions = [(e.action, e.username, e.summary) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("login%")).order_by(AuditEvent.id))]
    assert actions == [("login", "desk", "with password"), ("login.failed", "desk", "wrong password or PIN (1 of 5)"),
                       ("login.failed", "nobody", "unknown user")]


def test_disabled_user_cannot_log_in(manager_ctx, ctx):
    UserService(manager_ctx).disable("desk")
    with pytest.raises(AuthError):
        auth.login(ctx, "desk", PASSWORD)


def test_manager_adds_user_and_resets_password(manager_ctx, ctx):
    users = UserService(manager_ctx)
    users.add("newbie", "New Person", "front_desk", "first password")
    assert "newbie" in [u.username for u in users.list()]
    users.reset_password("newbie", "second password")
    assert auth.login(ctx, "newbie", "second password").username == "newbie"
    with pytest.raises(ValidationError, match="taken"):
        users.add("newbie", "Other", "billing", "another password")


def test_last_manager_cannot_be_disabled(manager_ctx, clinic, ctx):
    UserService(manager_ctx).disable("admin")
    with pytest.raises(ValidationError, match="own account"):
        UserService(manager_ctx).disable("manager")


def test_front_desk_cannot_manage_users(desk_ctx):
    with pytest.raises(PermissionDenied, match="Front Desk user may not manage users"):
        UserService(desk_ctx).add("sneaky", "S", "manager", PASSWORD)


def test_passwords_are_argon2_hashes(ctx, clinic):
    with ctx.db.read() as session:
        hashes = session.scalars(select(User.password_hash)).all()
    assert all(h.startswith("$argon2") for h in hashes)
    assert PASSWORD not in "".join(hashes)
