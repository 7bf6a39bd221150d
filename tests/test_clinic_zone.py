"""The clinic's time zone is read when the database opens and set when it is chosen, so the
console's screens never wait on the database for it: every context of one console shares it."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from officeconsole.services.practice.clinic_settings import ClinicSettingsService, input_from
from officeconsole.services.security import auth
from officeconsole.services.security.auth import SetupInput

from tests.factories import PASSWORD


@contextmanager
def statements(database):
    """The SQL statements run on `database` inside the block."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", note)


def test_opening_the_database_reads_the_zone_once(db_url, clinic, tmp_path, monkeypatch):
    from officeconsole.bootstrap import open_database

    monkeypatch.setenv("OFFICECONSOLE_HOME", str(tmp_path / "home"))
    opened = open_database(db_url)
    try:
        with statements(opened.ctx.db) as seen:
            signed_in = opened.ctx.as_actor(clinic.actors["front_desk"])
            assert signed_in.zone.known and signed_in.timezone.key == "America/New_York"
            signed_in.today()
        assert seen == []
    finally:
        opened.ctx.db.dispose()


def test_a_zone_changed_in_the_settings_reaches_every_context_of_the_console(ctx, as_role):
    desk = as_role("front_desk")
    assert desk.timezone.key == "America/New_York"
    settings = ClinicSettingsService(as_role("manager"))
    view = settings.settings()
    changed = input_from(view)
    changed.timezone = "America/Denver"
    settings.update(view.version, changed)
    with statements(ctx.db) as seen:
        assert desk.timezone.key == "America/Denver"
        assert ctx.as_actor(None).timezone.key == "America/Denver"  # the next sign-in's context
    assert seen == []


def test_the_first_start_gives_the_console_its_zone(ctx):
    desk_before_setup = ctx.as_actor(None)
    assert not ctx.zone.known  # not set up: screens leave the date out rather than read it
    auth.setup_clinic(ctx, SetupInput("Oak Clinic", "America/Phoenix", "boss", "Bo Boss", PASSWORD, PASSWORD))
    with statements(ctx.db) as seen:
        assert desk_before_setup.zone.known and desk_before_setup.timezone.key == "America/Phoenix"
    assert seen == []
