"""Shell completion: `officeconsole --install-completion` is Typer's, and a shell asking for
completions gets commands, never the console opening."""

from __future__ import annotations

import os
import subprocess
import sys


def test_the_shell_gets_commands_to_complete():
    env = {**os.environ, "_OFFICECONSOLE_COMPLETE": "complete_bash", "COMP_WORDS": "officeconsole sche",
           "COMP_CWORD": "1"}
    done = subprocess.run([sys.executable, "-m", "officeconsole"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["schedule"]


def test_install_completion_is_offered(cli):
    shown = cli("--help")
    assert "--install-completion" in shown.stdout and "--show-completion" in shown.stdout
