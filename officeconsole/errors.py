"""Domain errors: what the console shows as a message and the CLI prints as one line.

They sit below every layer (config, db, services, screens and commands all raise or catch them),
so the lower layers never import from services.
"""

from __future__ import annotations

from typing import Any


class OfficeError(Exception):
    """Base for every error a person should read as a message, never as a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(OfficeError):
    """A setting (database URL, config file) is unusable."""


class DatabaseUnavailable(OfficeError):
    """The database cannot be opened: unreachable server, not a SQLite file, and so on."""


class DatabaseLocked(DatabaseUnavailable):
    """The database is encrypted and no key was given (the console asks for the passphrase)."""


class WrongDatabaseKey(DatabaseLocked):
    """The passphrase, recovery code or stored key given does not open the encrypted database."""


class SchemaTooNew(OfficeError):
    """The database was migrated by a newer Office Console than this one."""


class AuthError(OfficeError):
    """Login failed."""


class PermissionDenied(OfficeError):
    """The signed-in role may not do this."""


class NotFound(OfficeError):
    """The record asked for does not exist."""


class ConcurrentEdit(OfficeError):
    """Someone else saved the record after it was opened here."""

    def __init__(self, what: str = "record") -> None:
        super().__init__(
            f"Someone else changed this {what} after you opened it. "
            "Your changes were not saved: reopen it to see theirs, then edit again."
        )


class ValidationError(OfficeError):
    """Input that breaks a rule; `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{msg}" for msg in self.errors.values()))


class PossibleDuplicate(OfficeError):
    """A patient with the same name and date of birth exists already."""

    def __init__(self, matches: list[Any]) -> None:
        self.matches = matches
        mrns = ", ".join(m.mrn for m in matches)
        super().__init__(f"A patient with this name and date of birth exists already (MRN {mrns}).")


class SetupError(OfficeError):
    """First-start setup cannot run (for example, it has been done already)."""


class SlotTaken(OfficeError):
    """The provider already has an appointment in (part of) that time."""


class NeedsOverride(OfficeError):
    """A rule that a person may set aside with a reason (which is then audited)."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = list(reasons)
        super().__init__(" ".join(self.reasons) + " Give a reason to book it anyway.")


class SeriesConflicts(OfficeError):
    """Dates of a recurring booking that cannot be booked; nothing of the series was saved."""

    def __init__(self, conflicts: list[tuple[Any, str]], overridable: bool) -> None:
        self.conflicts = list(conflicts)  # (date, message)
        self.overridable = overridable  # every problem is one a reason may set aside
        lines = "\n".join(f"{day:%a %m/%d/%Y}: {message}" for day, message in self.conflicts)
        dates = len({day for day, _ in self.conflicts})
        tail = " Give a reason to book them anyway." if overridable else " Choose another time or fewer repeats."
        super().__init__(f"{dates} date(s) of the series cannot be booked; nothing was saved.{tail}\n{lines}")


class NeedsConfirmation(OfficeError):
    """The change would affect what is already booked: `items` lists it (one line each), and the
    caller asks the person, then calls again with `confirm=True`. Nothing was saved."""

    def __init__(self, message: str, items: list[str]) -> None:
        self.items = list(items)
        super().__init__(message)
