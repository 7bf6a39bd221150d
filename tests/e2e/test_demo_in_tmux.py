"""The whole product as a person meets it: `officeconsole demo` in a real terminal (tmux).

It builds the demo clinic, logs in as the front desk, finds a patient, opens the record,
quits, and then reads the audit trail with `officeconsole audit list`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from officeconsole.db.database import Database
from officeconsole.demo import DEMO_PASSWORD
from officeconsole.models import Patient

pytestmark = pytest.mark.e2e


class Terminal:
    """A tmux session on its own socket, so tests never touch anyone's tmux."""

    def __init__(self, command: str, env: dict[str, str], width: int = 120, height: int = 36) -> None:
        self.socket = f"oc-e2e-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        self._tmux("new-session", "-d", "-x", str(width), "-y", str(height),
                   f"env -u COLUMNS -u LINES {exports} {command}; sleep 30")

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True,
                              capture_output=True, text=True, timeout=30).stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p")

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.25)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def type(self, text: str) -> None:
        for char in text:
            self._tmux("send-keys", "-l", char)
            time.sleep(0.03)

    def press(self, key: str) -> None:
        self._tmux("send-keys", key)
        time.sleep(0.2)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30)


@pytest.fixture
def terminal_env(tmp_path):
    if shutil.which("tmux") is None:
        pytest.fail("tmux is needed for the end-to-end test (apt-get install tmux)")
    officeconsole = Path(sys.executable).with_name("officeconsole")
    assert officeconsole.exists(), "install the package first: pip install -e '.[test]'"
    env = {"OFFICECONSOLE_HOME": str(tmp_path / "home"), "TERM": "xterm-256color",
           "PATH": os.environ.get("PATH", "")}
    return str(officeconsole), env


def test_demo_login_find_open_and_audit(terminal_env, empty_db_url):
    officeconsole, env = terminal_env
    terminal = Terminal(f"{officeconsole} demo --patients 300 --db {shlex.quote(empty_db_url)}", env)
    try:
        terminal.wait_for("Log in")
        terminal.wait_for("Demo clinic: log in as desk")
        database = Database.from_url(empty_db_url)
        with database.read() as session:
            patient = session.execute(select(Patient.id, Patient.mrn, Patient.first_name, Patient.last_name,
                                             Patient.dob).where(Patient.mrn == "0001042")).one()
        database.dispose()
        terminal.type("desk")
        terminal.press("Enter")
        terminal.type(DEMO_PASSWORD)
        terminal.press("Enter")
        # The front desk's home: today's schedule ("N booked · M free 15-min slots", or on a day
        # nobody works, a weekend when the test runs, "Nobody works this day · N booked").
        screen = terminal.wait_for(" booked · ")
        assert "Front Desk" in screen and "booked" in screen
        terminal.press("Escape")
        terminal.wait_for("Find")
        terminal.type(f"{patient.last_name}, {patient.first_name}")
        terminal.wait_for(patient.mrn)
        terminal.press("Enter")
        screen = terminal.wait_for(f"born {patient.dob:%m/%d/%Y}")  # the record has loaded
        assert f"{patient.last_name}, {patient.first_name}" in screen and "Insurance" in screen
        terminal.press("C-q")
        time.sleep(1)
    finally:
        terminal.close()
    audit = subprocess.run(
        [officeconsole, "--db", empty_db_url, "audit", "list", "--as", "manager", "--patient", patient.mrn,
         "--format", "csv"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, **env, "OFFICECONSOLE_PASSWORD": DEMO_PASSWORD},
    )
    assert audit.returncode == 0, audit.stderr
    assert f"desk,patient.view,patient {patient.id},{patient.mrn}" in audit.stdout

    # The next morning: plain `officeconsole --db ...` opens the same clinic at the login screen.
    terminal = Terminal(f"{officeconsole} --db {shlex.quote(empty_db_url)}", env)
    try:
        terminal.wait_for("Prairie View Family Medicine")
        screen = terminal.wait_for("Log in")
        assert "Demo clinic:" not in screen  # the demo notice is only for `officeconsole demo`
        terminal.press("C-q")
    finally:
        terminal.close()
