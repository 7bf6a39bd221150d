"""What `pip install` puts in site-packages: every package of the source tree, and the Alembic
scripts under `officeconsole.migrations` (no bare `migrations` package to collide with another
project's)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tree_packages(folder: Path, name: str) -> set[str]:
    return {".".join((name, *init.parent.relative_to(folder).parts)) for init in folder.rglob("__init__.py")}


def test_every_package_in_the_tree_is_listed_for_installation():
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    expected = _tree_packages(ROOT / "officeconsole", "officeconsole") | _tree_packages(
        ROOT / "migrations", "officeconsole.migrations") | {"officeconsole.migrations.versions"}  # Alembic's: no __init__
    assert set(settings["packages"]) == expected
    assert settings["package-dir"] == {"officeconsole.migrations": "migrations"}


def test_the_migrations_install_inside_the_package_only(tmp_path):
    probe = ("import importlib.util, officeconsole.migrations as m; "
             "print(importlib.util.find_spec('migrations') is None, m.HEAD_REVISION, "
             "(__import__('pathlib').Path(m.__file__).parent / 'versions').is_dir())")
    found = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, found.stderr
    from officeconsole.migrations import HEAD_REVISION

    assert found.stdout.split() == ["True", HEAD_REVISION, "True"]

