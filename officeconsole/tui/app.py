"""The console application: routing between screens, global keys and the signed-in session.

Screens do their own work; this module only decides which screen is showing.

The login screen is drawn before anything touches the database: SQLAlchemy, the models
and the services load in a worker thread while it is on screen (they cost more to import
than Textual itself), and the header fills in the clinic's name when they are ready.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.filter import LineFilter
from textual.screen import Screen
from textual.widget import Widget

from officeconsole.config import Paths
from officeconsole.services.common.errors import DatabaseLocked, OfficeError
from officeconsole.tui.modals.help import HelpScreen
from officeconsole.tui.printable import PRINTABLE_ONLY
from officeconsole.tui.screens.login import LoginScreen
from officeconsole.tui.sections import SECTIONS, Section
from officeconsole.tui.widgets.app_header import AppHeader

if TYPE_CHECKING:
    from officeconsole.bootstrap import Opened
    from officeconsole.models.enums import Role
    from officeconsole.services.common.context import Actor, ServiceContext
    from officeconsole.services.practice.clinic import ClinicInfo
    from officeconsole.services.practice.setup_check import SetupStatus


@dataclass(frozen=True)
class StartState:
    ctx: ServiceContext
    paths: Paths
    needs_setup: bool
    clinic: ClinicInfo | None


_HERE = Path(__file__).parent
# Every screen's and modal's stylesheet is read with the app's, at start. Textual parses the
# whole stylesheet again each time a screen brings a file it has not seen (about 25 ms each
# first open of a section); read together, it is parsed once. The rules are scoped by screen
# class, so reading them early changes no screen's look.
_STYLESHEETS = ["app.tcss", *sorted(str(path.relative_to(_HERE)) for path in _HERE.glob("*/*.tcss"))]


class OfficeApp(App):
    CSS_PATH = _STYLESHEETS
    TITLE = "Office Console"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("f1", "help", "Help"),
        *(Binding(section.key, section.action, section.label) for section in SECTIONS),
        Binding("f12", "lock", "Lock", show=False),  # shown in the header, always in view
        Binding("ctrl+l", "logout", "Log out", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        # Tab moves the focus before any key typed after it is delivered (as a widget's own binding it
        # moved only once the field had taken the keys behind it: fast typing landed in the last field).
        Binding("tab", "next_field", show=False, priority=True),
        Binding("shift+tab", "previous_field", show=False, priority=True),
    ]
    # Actions that take what was typed: they wait until the focused field has taken every key sent
    # before them, so a quick Ctrl+S never saves a form without its last letters.
    AFTER_TYPING = frozenset({"save", "commit", "search"})
    IDLE_CHECK_SECONDS = 5.0
    PREPARE_KEPT_AFTER_SECONDS = 0.5  # after the home screen's first draw and its data
    # All the lock screen lets through: moving between its two fields, quitting.
    LOCKED_ACTIONS = frozenset({"quit", "help_quit", "focus_next", "focus_previous", "next_field",
                                "previous_field"})
    # The app-wide keys and what the signed-in role needs for each: the key bar shows only those the
    # role may use (a key that answers "Permission denied" is not offered), and none before sign-in.
    KEY_PERMISSIONS = {**{section.action: section.permission for section in SECTIONS}, "lock": None, "logout": None}

    def __init__(self, ctx: ServiceContext | None = None, paths: Paths | None = None,
                 notice: str | None = None, *, db: str | None = None) -> None:
        """Give an open `ctx`, or leave it out and the app opens `db` (as `--db` would)."""
        super().__init__()
        self.base_ctx: ServiceContext | None = ctx.as_actor(None) if ctx is not None else None
        self.ctx = self.base_ctx
        self.paths = paths
        self.notice = notice
        self.db = db
        self.start_error: str | None = None
        self._kept: list[str] = []  # installed screens kept for this login (see _open_top)
        self.clinic: ClinicInfo | None = None
        self.idle_lock_minutes = 5  # the clinic's setting, read at each login
        self.last_input = monotonic()
        self.locked = False

    @property
    def ready(self) -> bool:
        """The database is open (the login screen is drawn before it is)."""
        return self.base_ctx is not None

    # ----- start and sessions ---------------------------------------------------------
    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self.push_screen(LoginScreen(self.notice))
        self.run_worker(self._load_start_state, thread=True, exit_on_error=False, group="start")
        self.set_interval(self.IDLE_CHECK_SECONDS, self.lock_when_idle)

    def _load_start_state(self) -> None:
        try:
            state = self._open()
        except DatabaseLocked as exc:  # encrypted: its passphrase first, then the same start
            self.call_from_thread(self._ask_database_passphrase, exc.message)
            return
        except OfficeError as exc:
            self.start_error = str(exc)
            self.call_from_thread(self.exit, None, 1)
            return
        except Exception as exc:  # noqa: BLE001 - never a silent hang on a failed start
            from officeconsole import error_log

            self.start_error = (f"the console could not open the database: {error_log.first_line(exc)} "
                                f"(error {error_log.record(exc, self.paths)}, details in "
                                f"{error_log.log_path(self.paths)})")
            self.call_from_thread(self.exit, None, 1)
            return
        self.call_from_thread(self._show_start, state)

    def _ask_database_passphrase(self, message: str) -> None:
        from officeconsole.tui.screens.unlock_database import UnlockDatabaseScreen

        self.push_screen(UnlockDatabaseScreen(message, self._open), self._show_start)

    def _open(self, passphrase: str | None = None) -> StartState:
        from officeconsole.services.practice.clinic import clinic_info
        from officeconsole.services.security import auth

        ctx, paths = self.base_ctx, self.paths
        if ctx is None:
            from officeconsole.bootstrap import open_database

            opened = open_database(self.db, passphrase=passphrase)
            ctx, paths = opened.ctx, opened.paths
        setup = auth.needs_setup(ctx.db)
        with ctx.db.read() as session:
            clinic = clinic_info(session)
        if clinic is not None:
            _ = ctx.timezone  # cache the clinic's zone off the UI thread
        return StartState(ctx, paths, setup, clinic)

    def _show_start(self, state: StartState) -> None:
        _settle_memory()
        self.base_ctx = self.ctx = state.ctx
        self.paths = state.paths
        if state.needs_setup:
            from officeconsole.tui.screens.setup import SetupScreen

            self.switch_screen(SetupScreen())
            return
        self.clinic = state.clinic
        self.refresh_header(self.screen)

    def start_session(self, actor: Actor, replace: Screen | None = None) -> None:
        """After a login (or the setup wizard), open the first real screen."""
        self.ctx = self.base_ctx.as_actor(actor)
        self.run_worker(lambda: self._after_login_or_say(replace), thread=True, exit_on_error=False,
                        group="start")

    def _after_login_or_say(self, replace: Screen | None) -> None:
        """The work after a login; if it fails, the person is told and is back at the login screen."""
        try:
            self._after_login(replace)
        except Exception as exc:  # noqa: BLE001 - a failure here must not leave a blank console
            from officeconsole import error_log

            detail = exc.message if isinstance(exc, OfficeError) else (
                f"{error_log.first_line(exc)} (error {error_log.record(exc, self.paths)}, details in "
                f"{error_log.log_path(self.paths)})")
            self.call_from_thread(self._login_failed, f"Your screens could not be opened: {detail}")

    def _after_login(self, replace: Screen | None) -> None:
        from officeconsole.services.common import permissions
        from officeconsole.services.practice.clinic import clinic_info
        from officeconsole.services.practice.setup_check import setup_status
        from officeconsole.services.security.sign_in import security_settings

        with self.ctx.db.read() as session:
            clinic = clinic_info(session)
            self.idle_lock_minutes = security_settings(session).idle_lock_minutes
            manager = self.ctx.actor is not None and permissions.allowed(self.ctx.actor.role, "clinic.manage")
            status = setup_status(session) if manager else None
        _ = self.ctx.timezone  # read here, off the UI thread; base_ctx shares it
        self.call_from_thread(self._open_home, clinic, replace, status)
        from officeconsole.services.common.clock import skew_note

        if (note := skew_note(self.ctx.clock)) is not None:
            self.call_from_thread(self.notify, note, title="Clock", severity="warning", markup=False, timeout=15)
        if self.ctx.actor is not None and permissions.allowed(self.ctx.actor.role, "billing.code"):
            from officeconsole.services.billing.codes import warm_icd10

            # A coder's first scrub or diagnosis search does not wait for the ICD-10-CM set: it loads here, in
            # this worker, once the home screen is open (from its cache file; the first start after an install
            # builds that file from simple-icd-10-cm, seconds of CPU).
            warm_icd10()

    def _login_failed(self, message: str) -> None:
        self.ctx = self.base_ctx
        self.notify(message, severity="error", markup=False, timeout=15)

    def reload_clinic(self) -> None:
        """Read the clinic's details again after a manager changed them."""
        def read() -> None:
            from officeconsole.services.practice.clinic import clinic_info

            with self.ctx.db.read() as session:
                clinic = clinic_info(session)
            self.call_from_thread(self._clinic_read, clinic)

        self.run_worker(read, thread=True, exit_on_error=False, group="clinic")

    def _clinic_read(self, clinic: ClinicInfo | None) -> None:
        self.clinic = clinic
        self.refresh_header(self.screen)

    def _open_home(self, clinic: ClinicInfo | None, replace: Screen | None,
                   status: SetupStatus | None = None) -> None:
        from officeconsole.models.enums import Role
        from officeconsole.tui.screens.patients import PatientsScreen
        from officeconsole.tui.screens.schedule import ScheduleScreen

        self.clinic = clinic
        _settle_memory()  # the screens' modules are loaded by now
        if replace is not None:
            self.switch_screen(LoginScreen(self.notice))
        self.push_screen(PatientsScreen())
        if self.ctx.actor is not None and self.ctx.actor.role == Role.FRONT_DESK:
            # The front desk's home is today's schedule; Esc (or Ctrl+P "Patients") goes to Patients.
            self.push_screen(ScheduleScreen())
        elif self.ctx.actor is not None and self.ctx.actor.role == Role.MANAGER and (status is None or status.ready_to_book):
            self.open_section(next(s for s in SECTIONS if s.action == "dashboard"))  # the manager's home
        if status is not None and not status.ready_to_book:
            # Nothing can be booked yet (a new clinic, after the wizard): the manager starts where
            # that is fixed; Esc goes to Patients.
            from officeconsole.tui.screens.practice_setup import PracticeSetupScreen

            self.push_screen(PracticeSetupScreen())
        elif status is not None and not status.ready_to_bill:
            missing = ", ".join(item.label.lower() for item in status.before_billing if not item.done)
            self.notify(f"Before claims can go out, still to set up: {missing}. Practice setup: F10.",
                        title="Practice setup", markup=False, timeout=10)
        self.set_timer(self.PREPARE_KEPT_AFTER_SECONDS, self.prepare_kept_screens)

    async def prepare_kept_screens(self) -> None:
        """Build the all-day screens this role may open (check-in, the flow board) while the person
        reads the home screen, and load their day: the first F3 then shows a screen that is ready
        (building and laying one out on the keypress took 100-200 ms). Idempotent."""
        actor = self.ctx.actor if self.ctx is not None else None
        if actor is None or self.locked:
            return
        for section in SECTIONS:
            if not section.keep or not _allowed(actor.role, section.permission):
                continue
            if self.ctx is None or self.ctx.actor is not actor:
                return  # logged out (or someone else in) meanwhile
            name, screen = self._kept_screen(section.screen_class())
            if screen.is_attached:
                continue  # opened already, or being prepared
            self._load_screen_css(screen)
            await self._get_screen(name)[1]  # composed and mounted off the stack
            if not self.is_screen_installed(name) or screen in self.screen_stack:
                continue  # logged out meanwhile (the screen went with the session), or opened
            screen._refresh_layout(self.size)  # laid out at the terminal's size, never drawn
            screen.post_message(events.ScreenSuspend())  # as a kept screen between visits (no polling)

    def action_logout(self) -> None:
        if self.ctx is None or self.ctx.actor is None:
            return
        self._close_session()
        self.notify("Logged out.", markup=False)

    def _close_session(self) -> None:
        """Back to the login screen with nothing of this person's left: every screen and form closed."""
        self.ctx = self.base_ctx
        self.locked = False
        while len(self.screen_stack) > 1 and not isinstance(self.screen, LoginScreen):
            self.pop_screen()
        for name in self._kept:  # the next person starts from fresh screens
            screen = self.get_screen(name)
            self.uninstall_screen(name)
            if screen.is_running:
                screen.remove()  # a kept screen off the stack would otherwise live on, unseen
        self._kept.clear()
        self.clear_notifications()
        if isinstance(self.screen, LoginScreen):
            self.screen.reset()
            self.refresh_header(self.screen)

    # ----- the idle lock and switching user -----------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)):
            self.last_input = monotonic()
        await super().on_event(event)

    SETTINGS_EVERY_CHECKS = 12  # the idle lock setting is read again about once a minute

    def lock_when_idle(self) -> None:
        self._idle_checks = getattr(self, "_idle_checks", 0) + 1
        if self._idle_checks % self.SETTINGS_EVERY_CHECKS == 0 and self.ctx is not None and not self.locked:
            self.run_worker(self._read_idle_setting, thread=True, exit_on_error=False, group="idle-setting")
        idle = monotonic() - self.last_input
        if idle >= self.idle_lock_minutes * 60:
            self.lock(f"idle {self.idle_lock_minutes} minutes")

    def _read_idle_setting(self) -> None:
        """A manager's change of the idle lock (here or at another console, or `user sign-in-rules`)
        reaches this console without a new sign-in."""
        from officeconsole.services.security.sign_in import security_settings

        with self.ctx.db.read() as session:
            self.idle_lock_minutes = security_settings(session).idle_lock_minutes

    def action_lock(self) -> None:
        self.lock("locked with F12")

    def lock(self, reason: str) -> None:
        """Hide everything behind the lock screen; the person signed in stays signed in."""
        if self.locked or self.ctx is None or self.ctx.actor is None:
            return
        from officeconsole.services.security import sign_in
        from officeconsole.tui.screens.lock import LockScreen

        self.locked = True
        self.clear_notifications()
        at = self.ctx.now().astimezone(self.ctx.timezone).strftime("%H:%M") if self.ctx.zone.known else ""
        self.push_screen(LockScreen(self.ctx.actor, reason, self.clinic.name if self.clinic else "Office Console", at))
        ctx = self.ctx
        self.run_worker(lambda: sign_in.record_lock(ctx, reason), thread=True, exit_on_error=False, group="lock")

    def unlock(self) -> None:
        """The same person is back: their screens as they left them."""
        from officeconsole.tui.screens.lock import LockScreen

        self.locked = False
        self.last_input = monotonic()
        if isinstance(self.screen, LockScreen):
            self.pop_screen()
        self.refresh_header(self.screen)

    def switch_user(self, actor: Actor) -> None:
        """Someone else at a locked console: close the last person's session, then open theirs."""
        self._close_session()
        self.last_input = monotonic()
        self.start_session(actor)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.locked and action not in self.LOCKED_ACTIONS:
            return False  # no key reaches the screens behind the lock
        if action in self.KEY_PERMISSIONS:
            actor = self.ctx.actor if self.ctx is not None else None
            if actor is None:
                return False
            needed = self.KEY_PERMISSIONS[action]
            if needed is not None and not _allowed(actor.role, needed):
                return False
        return super().check_action(action, parameters)

    def action_next_field(self) -> None:
        self._move_focus("tab", self.screen.focus_next)

    def action_previous_field(self) -> None:
        self._move_focus("shift+tab", self.screen.focus_previous)

    def _move_focus(self, key: str, move) -> None:
        """Move the focus now; a screen that gives Tab its own meaning (switching lists) keeps it."""
        screen = self.screen
        own = next((b for b in getattr(type(screen), "BINDINGS", []) if isinstance(b, Binding) and b.key == key),
                   None)
        if own is not None:
            self.call_next(self.run_action, own.action, screen)
        else:
            move()

    async def run_action(self, action, default_namespace=None, namespaces=None) -> bool:
        name = action.split("(")[0].rsplit(".", 1)[-1] if isinstance(action, str) else ""
        focused = self.focused
        if name in self.AFTER_TYPING and focused is not None and not getattr(self, "_typed_through", False):
            async def when_typed() -> None:
                self._typed_through = True  # once: keys typed after the save are not waited for
                try:
                    await self.run_action(action, default_namespace, namespaces)
                finally:
                    self._typed_through = False

            focused.call_later(when_typed)  # after the keys already sent to the field
            return True
        return await super().run_action(action, default_namespace, namespaces)

    def notify(self, message: str, *args, **kwargs) -> None:
        if self.locked:
            return  # nothing (a patient's name in a toast) shows on the lock screen
        super().notify(message, *args, **kwargs)

    # ----- shared chrome ------------------------------------------------------------------
    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's own filters, then the one that keeps control characters off the terminal."""
        return [*super().get_line_filters(), PRINTABLE_ONLY]

    def refresh_header(self, screen: Widget) -> None:
        headers = screen.query(AppHeader)
        if not headers:
            return
        name = self.clinic.name if self.clinic else "Office Console"
        date = ""
        if self.ctx is not None and self.ctx.zone.known:
            date = self.ctx.now().astimezone(self.ctx.timezone).strftime("%a %d %b %Y")
        actor = self.ctx.actor if self.ctx is not None else None
        user = f"{actor.full_name} · {actor.role.label}" if actor else "not logged in"
        headers.first().show(name, date, user, signed_in=actor is not None)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Keys and search tips", self.action_help)
        if self.ctx is None or self.ctx.actor is None:
            return
        yield SystemCommand("Patients", "Find a patient by name, DOB, phone or MRN", self.go_patients)
        yield SystemCommand("Register a new patient", "Open a blank registration form",
                            self.new_patient)
        actor = self.ctx.actor
        for section in SECTIONS:
            if _allowed(actor.role, section.permission):
                yield SystemCommand(section.title, f"{section.summary} ({section.key_label})",
                                    partial(self.open_section, section))
        yield SystemCommand("Lock", "Hide the console until you or someone else signs in (F12)", self.action_lock)
        yield SystemCommand("Set my PIN", "A PIN to unlock and switch quickly after the day's first login",
                            self.set_pin)
        yield SystemCommand("Log out", "Sign out and show the login screen", self.action_logout)

    def open_section(self, section: Section) -> None:
        """Open a section's screen over the current one (or go back to it), if the role may."""
        if self.ctx is not None and self.ctx.actor is not None and section.refused:
            if not _allowed(self.ctx.actor.role, section.permission):
                self.notify(section.refused, markup=False)
                return
        self._open_top(section.screen_class(), keep=section.keep)

    def check_in_form(self, appointment_id: int):
        """The check-in form for a visit: one kept instance per login, prepared each time
        (building its dozens of widgets afresh took most of its opening time)."""
        from officeconsole.tui.modals.check_in_form import CheckInModal

        name = "kept-CheckInModal"
        if not self.is_screen_installed(name):
            self.install_screen(CheckInModal(appointment_id), name)
            self._kept.append(name)
        return self.get_screen(name).prepare(appointment_id)

    def _open_top(self, kind: type[Screen], keep: bool = False) -> None:
        """Go back to the open screen of this kind, or open one over the current screen.

        A `keep` screen (the desk's all-day screens) is built once per login and reopened
        as it was, reloading only its data: building one costs far more than its query.
        """
        if self.ctx is None or self.ctx.actor is None:
            return
        for index, screen in enumerate(self.screen_stack):
            if isinstance(screen, kind):
                while len(self.screen_stack) > index + 1:
                    self.pop_screen()
                return
        if not keep:
            self.push_screen(kind())
            return
        self.push_screen(self._kept_screen(kind)[0])

    def _kept_screen(self, kind: type[Screen]) -> tuple[str, Screen]:
        """The installed screen of this kind for this login (installed now if it is not yet)."""
        name = f"kept-{kind.__name__}"
        if not self.is_screen_installed(name):
            self.install_screen(kind(), name)
            self._kept.append(name)
        return name, self.get_screen(name)

    def set_pin(self) -> None:
        from officeconsole.tui.modals.pin_form import PinModal

        self.push_screen(PinModal())

    def go_patients(self) -> None:
        from officeconsole.tui.screens.patients import PatientsScreen

        for index, screen in enumerate(self.screen_stack):
            if isinstance(screen, PatientsScreen):
                while len(self.screen_stack) > index + 1:
                    self.pop_screen()
                screen.focus_search()
                return

    def new_patient(self) -> None:
        from officeconsole.tui.screens.patients import PatientsScreen

        self.go_patients()
        if isinstance(self.screen, PatientsScreen):
            self.screen.action_new_patient()


def run_console(opened: Opened, *, notice: str | None = None) -> None:
    """Open the console on an already migrated database."""
    OfficeApp(opened.ctx, opened.paths, notice=notice).run()


def _section_action(section: Section):
    def action(self: OfficeApp) -> None:
        self.open_section(section)

    action.__name__ = f"action_{section.action}"
    action.__doc__ = f"Open {section.title} ({section.key_label})."
    return action


for _section in SECTIONS:  # action_schedule, action_check_in, ...: what the keys and the palette run
    setattr(OfficeApp, f"action_{_section.action}", _section_action(_section))


def launch(db: str | None = None) -> int:
    """`officeconsole` with no command: draw first, open the database meanwhile.

    A database that will not open ends the app with one `error:` line and status 1, as
    the batch commands do.
    """
    app = OfficeApp(db=db)
    app.run()
    if app.start_error:
        print(f"error: {app.start_error}", file=sys.stderr)
    return app.return_code or 0


def _allowed(role: Role, permission: str) -> bool:
    """The services' permission check, imported when first asked: its table brings the models (and
    SQLAlchemy), which load in a worker while the login screen is drawn, not before it."""
    from officeconsole.services.common import permissions

    return permissions.allowed(role, permission)


def _settle_memory() -> None:
    """Move everything loaded so far (Textual, SQLAlchemy, the models) out of the garbage
    collector's way: a full collection then only walks what the session creates, so it no
    longer adds a 50-100 ms pause to a keypress now and then (measured on the schedule)."""
    import gc

    gc.freeze()  # no collect first: that would itself be the pause this avoids
