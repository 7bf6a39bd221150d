"""The console application: routing between screens, global keys and the signed-in session.

Screens do their own work; this module only decides which screen is showing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

from officeconsole.bootstrap import Opened
from officeconsole.config import Paths
from officeconsole.services import auth
from officeconsole.services.clinic import ClinicInfo, clinic_info
from officeconsole.services.context import Actor, ServiceContext
from officeconsole.tui.modals.help import HelpScreen
from officeconsole.tui.screens.login import LoginScreen
from officeconsole.tui.screens.patients import PatientsScreen
from officeconsole.tui.screens.setup import SetupScreen
from officeconsole.tui.widgets.app_header import AppHeader


@dataclass(frozen=True)
class StartState:
    needs_setup: bool
    clinic: ClinicInfo | None


class OfficeApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "Office Console"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("ctrl+l", "logout", "Log out", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, ctx: ServiceContext, paths: Paths | None = None,
                 notice: str | None = None) -> None:
        super().__init__()
        self.base_ctx = ctx.as_actor(None)
        self.ctx = self.base_ctx
        self.paths = paths
        self.notice = notice
        self.clinic: ClinicInfo | None = None

    # ----- start and sessions ---------------------------------------------------------
    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self.run_worker(self._load_start_state, thread=True, exit_on_error=False, group="start")

    def _load_start_state(self) -> None:
        setup = auth.needs_setup(self.base_ctx.db)
        with self.base_ctx.db.read() as session:
            clinic = clinic_info(session)
        if clinic is not None:
            _ = self.base_ctx.timezone  # cache the clinic's zone off the UI thread
        self.call_from_thread(self._show_start, StartState(setup, clinic))

    def _show_start(self, state: StartState) -> None:
        self.clinic = state.clinic
        self.push_screen(SetupScreen() if state.needs_setup else LoginScreen(self.notice))

    def start_session(self, actor: Actor, replace: Screen | None = None) -> None:
        """After a login (or the setup wizard), open the first real screen."""
        self.ctx = self.base_ctx.as_actor(actor)
        self.run_worker(lambda: self._after_login(replace), thread=True, exit_on_error=False,
                        group="start")

    def _after_login(self, replace: Screen | None) -> None:
        with self.ctx.db.read() as session:
            clinic = clinic_info(session)
        _ = self.ctx.timezone
        self.base_ctx._timezone = self.ctx._timezone
        self.call_from_thread(self._open_home, clinic, replace)

    def _open_home(self, clinic: ClinicInfo | None, replace: Screen | None) -> None:
        self.clinic = clinic
        if replace is not None:
            self.switch_screen(LoginScreen(self.notice))
        self.push_screen(PatientsScreen())

    def action_logout(self) -> None:
        if self.ctx.actor is None:
            return
        self.ctx = self.base_ctx
        while len(self.screen_stack) > 1 and not isinstance(self.screen, LoginScreen):
            self.pop_screen()
        if isinstance(self.screen, LoginScreen):
            self.screen.reset()
            self.refresh_header(self.screen)
        self.notify("Logged out.", markup=False)

    # ----- shared chrome ------------------------------------------------------------------
    def refresh_header(self, screen: Widget) -> None:
        headers = screen.query(AppHeader)
        if not headers:
            return
        name = self.clinic.name if self.clinic else "Office Console"
        date = ""
        if self.base_ctx._timezone is not None:
            date = self.ctx.now().astimezone(self.base_ctx._timezone).strftime("%a %d %b %Y")
        actor = self.ctx.actor
        user = f"{actor.full_name} · {actor.role.label}" if actor else "not logged in"
        headers.first().show(name, date, user)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Keys and search tips", self.action_help)
        if self.ctx.actor is None:
            return
        yield SystemCommand("Patients", "Find a patient by name, DOB, phone or MRN", self.go_patients)
        yield SystemCommand("Register a new patient", "Open a blank registration form",
                            self.new_patient)
        yield SystemCommand("Log out", "End this session and show the login screen", self.action_logout)

    def go_patients(self) -> None:
        for index, screen in enumerate(self.screen_stack):
            if isinstance(screen, PatientsScreen):
                while len(self.screen_stack) > index + 1:
                    self.pop_screen()
                screen.focus_search()
                return

    def new_patient(self) -> None:
        self.go_patients()
        if isinstance(self.screen, PatientsScreen):
            self.screen.action_new_patient()


def run_console(opened: Opened, *, notice: str | None = None) -> None:
    """Open the console on an already migrated database."""
    OfficeApp(opened.ctx, opened.paths, notice=notice).run()
