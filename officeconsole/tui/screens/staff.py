"""The staff directory (F8): who works here, how to reach them, and their credentials.

Everyone reads it; a manager edits. The strip at the top lists every credential that has
expired or expires within 90 days. The table below it is the directory (`/` filters by
name); the highlighted person's details and credentials show underneath, and Enter moves
into their credentials. `e` edits what is highlighted (the person in the directory, the
credential in the credentials), `n` adds a credential, `x` removes one after asking, `o`
asks for time off (one's own; a manager asks for the highlighted person). `f` shows former
staff too; `u` ends the highlighted person's sign-in lockout (managers). Every rule is the
services'.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.widgets import DataTable, Input, Label, Static

from officeconsole.models.enums import Role
from officeconsole.services.staffing.credentials import CredentialService, CredentialView
from officeconsole.services.staffing.staff import StaffRow, StaffService
from officeconsole.services.staffing.time_off import TimeOffView
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.modals.credential_form import CredentialFormModal
from officeconsole.tui.modals.staff_form import StaffFormModal
from officeconsole.tui.modals.time_off_form import TimeOffFormModal
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar

ALERT_STYLES = {"expired": "bold red", "30 days": "bold dark_orange", "60 days": "yellow", "90 days": "cyan"}
WIDE = 140  # room for the e-mail column
BOOKED_SHOWN = 6  # appointments listed by name in the time-off warning


def alert_text(alert: str) -> Text:
    """An alert in words and colour ("⚠ expired", "30 days"): never colour alone."""
    if not alert:
        return Text("")
    return Text(f"⚠ {alert}" if alert in ("expired", "30 days") else alert, style=ALERT_STYLES.get(alert, ""))


def _date(value) -> str:
    return f"{value:%m/%d/%Y}" if value else ""


class StaffScreen(ServiceScreen):
    CSS_PATH = "staff.tcss"
    AUTO_FOCUS = "#staff"
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("e", "edit", "Edit"),
        Binding("n", "add_credential", "Add credential"),
        Binding("x", "remove_credential", "Remove credential"),
        Binding("o", "time_off", "Ask time off"),
        Binding("f", "toggle_former", "Former staff"),
        Binding("u", "unlock", "Unlock sign-in"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[StaffRow] = []
        self.shown: list[StaffRow] = []
        self.credentials: list[CredentialView] = []
        self.credentials_owner: int | None = None
        self.person: StaffRow | None = None
        self.include_former = False

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Label("Staff", id="staff-title", markup=False)
        yield Static("", id="alerts", markup=False)
        yield Input(placeholder="Filter by name (/)", id="filter", compact=True)
        yield DataTable(id="staff", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="person"):
            yield Static("", id="details", markup=False)
            with Vertical(id="credentials-box"):
                yield Label("", id="credentials-title", markup=False)
                yield DataTable(id="credentials", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self._set_columns()
        for name in ("Kind", "Number", "Expires", "Alert", "Issuer", "Name"):  # as wide as what is on file
            self.query_one("#credentials", DataTable).add_column(name)

    def on_resize(self, event: Resize) -> None:
        wide = event.size.width >= WIDE
        if wide != self.has_class("-wide"):
            self.set_class(wide, "-wide")
            self._set_columns()
            self._fill()

    def _set_columns(self) -> None:
        """The e-mail column only when there is room (the details show it anyway)."""
        staff = self.query_one("#staff", DataTable)
        staff.clear(columns=True)
        for name, width in (("Name", 22), ("Role", 10), ("Job title", 18), ("Phone", 14), ("E-mail", 24),
                            ("Hired", 10), ("NPI", 10), ("Credentials", 11)):
            if name != "E-mail" or self.has_class("-wide"):
                staff.add_column(name, width=width, key=name)

    def on_screen_resume(self) -> None:
        self.app.refresh_header(self)
        self.load()

    # ----- loading -------------------------------------------------------------------
    def load(self) -> None:
        self.call_service(self._fetch, self.include_former, then=self._show, group="load", exclusive=True)

    def _fetch(self, include_former: bool) -> tuple[list[StaffRow], list[CredentialView]]:
        return StaffService(self.app.ctx).directory(include_former), CredentialService(self.app.ctx).alerts()

    def _show(self, found: tuple[list[StaffRow], list[CredentialView]]) -> None:
        self.rows, alerts = found
        self._show_alerts(alerts)
        self._fill()

    def _show_alerts(self, alerts: list[CredentialView]) -> None:
        strip = self.query_one("#alerts", Static)
        strip.set_class(bool(alerts), "-alerting")
        if not alerts:
            strip.update(Text("✓ No credential has expired or expires in the next 90 days."))
            return
        line = Text("⚠ Credentials: ", style="bold")
        for n, view in enumerate(alerts):
            if n:
                line.append(" · ")
            line.append(view.describe, style=ALERT_STYLES.get(view.alert, ""))
        strip.update(line)

    def _fill(self) -> None:
        wanted = self.query_one("#filter", Input).value.strip().lower()
        self.shown = [r for r in self.rows if not wanted or wanted in r.name.lower() or wanted in r.username.lower()]
        former = " including former staff" if self.include_former else ""
        self.query_one("#staff-title", Label).update(
            f"Staff · {len(self.shown)} of {len(self.rows)}{former} · Enter opens the person's credentials",
            layout=False)
        table = self.query_one("#staff", DataTable)
        keep = self.person.user_id if self.person else None
        wide = self.has_class("-wide")
        table.clear()
        for r in self.shown:
            name = Text(r.name, style="dim" if self._status(r).startswith(("former", "left ")) else "")
            cells = [name, r.role_label, Text(r.job_title), Text(r.phone), Text(r.email), _date(r.hired_on),
                     Text(r.npi), alert_text(r.alert)]
            if not wide:
                del cells[4]
            table.add_row(*cells, key=str(r.user_id))
        index = next((i for i, r in enumerate(self.shown) if r.user_id == keep), 0)
        if self.shown:
            table.move_cursor(row=index, animate=False)
        self._show_person(self.shown[index] if self.shown else None)

    @on(DataTable.RowHighlighted, "#staff")
    def _highlighted(self) -> None:
        """The cursor as it is now, not as the event saw it: a refill posts several."""
        table = self.query_one("#staff", DataTable)
        if not self.shown:
            return
        row = self.shown[min(table.cursor_row, len(self.shown) - 1)]
        if self.person is None or row.user_id != self.person.user_id:
            self._show_person(row)

    def _show_person(self, row: StaffRow | None) -> None:
        self.person = row
        details = self.query_one("#details", Static)
        if row is None:
            details.update("Nobody matches the filter." if self.rows else "")
            self.query_one("#credentials-title", Label).update("")
            self._fill_credentials([], None)
            return
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        status = self._status(row)
        fields = [("Name", row.name), ("Role", f"{row.role_label} ({row.username})"), ("Job title", row.job_title),
                  ("Phone", row.phone), ("E-mail", row.email), ("Hired", _date(row.hired_on)),
                  ("Left", _date(row.left_on)), ("Status", status)]
        if row.role == Role.PROVIDER:
            fields += [("NPI", row.npi), ("Credentials", row.provider_credentials), ("Specialty", row.specialty)]
        for label, value in fields:
            grid.add_row(label, Text(value or "—"))
        details.update(grid)
        manager = self._may_manage()
        self.query_one("#credentials-title", Label).update(
            f"Credentials of {row.name}" + (" · n adds · Enter or e edits · x removes" if manager else ""))
        self.call_service(CredentialService(self.app.ctx).for_user, row.user_id,
                          then=lambda views: self._fill_credentials(views, row.user_id), group="credentials",
                          exclusive=True)

    def _fill_credentials(self, views: list[CredentialView], owner: int | None) -> None:
        if owner is not None and (self.person is None or owner != self.person.user_id):
            return  # an answer for someone no longer shown
        table = self.query_one("#credentials", DataTable)
        keep = table.cursor_row if owner == self.credentials_owner else 0
        self.credentials, self.credentials_owner = views, owner
        table.clear()
        for c in views:
            table.add_row(c.kind_label, Text(c.number), _date(c.expires_on), alert_text(c.alert), Text(c.issuer),
                          Text(c.name), key=str(c.id))
        if views:
            table.move_cursor(row=min(keep, len(views) - 1), animate=False)

    def _status(self, row: StaffRow) -> str:
        if not row.active:
            return "former (account closed)"
        if row.left_on is None:
            return "current"
        verb = "left" if row.left_on < self.app.ctx.today() else "leaves"
        return f"{verb} {row.left_on:%m/%d/%Y}"

    def _may_manage(self) -> bool:
        from officeconsole.services.common import permissions

        actor = self.app.ctx.actor
        return actor is not None and permissions.allowed(actor.role, "staff.manage")

    # ----- moving about --------------------------------------------------------------
    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    @on(Input.Changed, "#filter")
    def _filtered(self) -> None:
        self._fill()

    @on(Input.Submitted, "#filter")
    def _to_list(self) -> None:
        self.query_one("#staff", DataTable).focus()

    @on(DataTable.RowSelected, "#staff")
    def _open_person(self) -> None:
        """Enter on a person: into their credentials (the details are shown already)."""
        if self.person is not None:
            self.query_one("#credentials", DataTable).focus()
            if not self.credentials:
                hint = " n adds one." if self._may_manage() else ""
                self.app.notify(f"{self.person.name} has no credentials on file.{hint}", markup=False)

    def action_toggle_former(self) -> None:
        self.include_former = not self.include_former
        self.load()

    def action_back(self) -> None:
        search = self.query_one("#filter", Input)
        if self.focused is self.query_one("#credentials", DataTable):
            self.query_one("#staff", DataTable).focus()
        elif self.focused is search and search.value:
            search.value = ""
            self.query_one("#staff", DataTable).focus()
        else:
            self.dismiss()

    # ----- editing (managers) ----------------------------------------------------------
    def _credential(self) -> CredentialView | None:
        table = self.query_one("#credentials", DataTable)
        if not self.credentials or self.person is None or self.credentials_owner != self.person.user_id:
            return None
        return self.credentials[min(table.cursor_row, len(self.credentials) - 1)]

    def action_edit(self) -> None:
        if self.focused is self.query_one("#credentials", DataTable):
            self._edit_credential()
        elif self.person is not None and self.allowed("staff.manage"):
            self.app.push_screen(StaffFormModal(self.person), self._saved_person)

    def _saved_person(self, row: StaffRow | None) -> None:
        if row is not None:
            self.app.notify(f"Saved {row.name}'s details.", markup=False)

    @on(DataTable.RowSelected, "#credentials")
    def _edit_credential(self) -> None:
        if self.person is None or not self.allowed("staff.manage"):
            return
        credential = self._credential()
        if credential is None:
            self.app.notify(f"{self.person.name} has no credentials on file: n adds one.", markup=False)
            return
        self.app.push_screen(CredentialFormModal(self.person, credential), self._saved_credential)

    def action_add_credential(self) -> None:
        if self.person is not None and self.allowed("staff.manage"):
            self.app.push_screen(CredentialFormModal(self.person, None), self._saved_credential)

    def _saved_credential(self, view: CredentialView | None) -> None:
        if view is not None:
            when = f", expires {view.expires_on:%m/%d/%Y}" if view.expires_on else ""
            self.app.notify(f"Saved {view.person}'s {view.name or view.kind_label}{when}.", markup=False)

    def action_remove_credential(self) -> None:
        if not self.allowed("staff.manage"):
            return
        credential = self._credential()
        if self.focused is not self.query_one("#credentials", DataTable) or credential is None:
            self.app.notify("Put the cursor on a credential to remove it (Enter on a person opens theirs).",
                            markup=False)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(CredentialService(self.app.ctx).remove_credential, credential.id,
                                  then=lambda _none: self._removed(credential), group="move", exclusive=True)
        what = " ".join(p for p in (credential.kind_label, credential.number) if p)
        self.app.push_screen(ConfirmModal("Remove credential", f"Remove {credential.person}'s {what}? The audit log "
                                          "keeps a record of it.", "Remove", "Keep"), answered)

    def _removed(self, credential: CredentialView) -> None:
        self.app.notify(f"Removed {credential.person}'s {credential.name or credential.kind_label}.", markup=False)
        self.load()

    def action_unlock(self) -> None:
        """End the highlighted person's lockout after too many failed sign-ins (managers)."""
        from officeconsole.services.security.auth import UserService

        if self.allowed("user.manage") and self.person is not None:  # a refusal is said at once
            self.call_service(UserService(self.app.ctx).unlock, self.person.username, group="move", exclusive=True,
                              then=lambda message: self.app.notify(message, markup=False))

    # ----- time off ------------------------------------------------------------------
    def action_time_off(self) -> None:
        """One's own time off; a manager may ask for the highlighted person."""
        from officeconsole.services.common import permissions

        actor = self.app.ctx.actor
        if actor is None or not self.allowed("timeoff.request"):
            return
        if self.person is not None and permissions.allowed(actor.role, "timeoff.decide"):
            who, name = self.person.user_id, self.person.name
        else:
            who, name = actor.user_id, actor.full_name
        self.app.push_screen(TimeOffFormModal(who, name), self._asked)

    def _asked(self, view: TimeOffView | None) -> None:
        if view is None:
            return
        self.app.notify(f"Time off asked for {view.person}: {view.days} ({view.kind}). The manager approves or "
                        "denies it on the roster.", markup=False, timeout=8)
        if view.booked:
            count = len(view.booked)
            listed = "; ".join(f"{b.start:%a %m/%d %H:%M} {b.patient}" for b in view.booked[:BOOKED_SHOWN])
            more = f"; and {count - BOOKED_SHOWN} more" if count > BOOKED_SHOWN else ""
            verb = "1 appointment is" if count == 1 else f"{count} appointments are"
            self.app.notify(f"{verb} booked in those days: they will need moving if approved. {listed}{more}.",
                            title="Booked appointments", severity="warning", markup=False, timeout=20)
