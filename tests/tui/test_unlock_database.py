"""The console on an encrypted database: its passphrase first, then the login screen."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Label

from officeconsole.services.security import db_keys
from officeconsole.services.security.encryption import EncryptionService
from officeconsole.tui.app import OfficeApp
from officeconsole.tui.screens.login import LoginScreen
from officeconsole.tui.screens.patients import PatientsScreen
from officeconsole.tui.screens.unlock_database import UnlockDatabaseScreen

from tests.conftest import engine_name
from tests.factories import register
from tests.tui.conftest import login, settle, type_text

PASSPHRASE = "maple street sunrise"
pytestmark = pytest.mark.skipif(engine_name() != "sqlite", reason="SQLCipher encrypts SQLite files")


@pytest.fixture
def encrypted_url(db_url, clinic, as_role, manager_ctx, monkeypatch, tmp_path):
    monkeypatch.setattr(db_keys, "KDF", db_keys.KdfParams(time_cost=1, memory_cost=8, parallelism=1))
    monkeypatch.delenv(db_keys.ENV_DB_PASSPHRASE, raising=False)
    monkeypatch.setenv("OFFICECONSOLE_HOME", str(tmp_path / "home"))
    register(as_role("front_desk"), first_name="Zebediah", last_name="Quackenbush")
    EncryptionService(manager_ctx).encrypt(PASSPHRASE)
    return db_url


def _message(app) -> str:
    return str(app.screen.query_one("#unlock-error", Label).render())


async def test_wrong_then_right_passphrase_then_the_login_screen(encrypted_url):
    app = OfficeApp(db=encrypted_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UnlockDatabaseScreen) and not app.ready
        assert "encrypted" in _message(app)
        await type_text(pilot, "not the passphrase")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, UnlockDatabaseScreen)
        assert _message(app) == "The database is encrypted and that passphrase does not open it."
        field = app.screen.query_one("#db-passphrase", Input)
        assert field.value == "" and not field.disabled and field.has_focus
        await type_text(pilot, PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen) and app.ready
        assert "Maple Street Family Practice" in str(app.screen.query_one("#header-clinic", Label).render())
        await login(pilot, "desk")
        assert isinstance(app.screen, PatientsScreen)
    assert app.return_code in (None, 0) and not app.start_error


async def test_the_environment_opens_it_without_asking(encrypted_url, monkeypatch):
    monkeypatch.setenv(db_keys.ENV_DB_PASSPHRASE, PASSPHRASE)
    app = OfficeApp(db=encrypted_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen) and app.ready


def test_unlock_database_screen(snap_compare, encrypted_url):
    async def before(pilot):
        await settle(pilot)
        for widget in pilot.app.screen.query(Input):
            widget.cursor_blink = False

    assert snap_compare(OfficeApp(db=encrypted_url), terminal_size=(100, 30), run_before=before)
