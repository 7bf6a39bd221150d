"""The domain errors, under the name the services and their callers import them by
(they live in `officeconsole.errors`, below the database layer)."""

from officeconsole.errors import (
    AuthError,
    ConcurrentEdit,
    ConfigError,
    DatabaseLocked,
    DatabaseUnavailable,
    NeedsConfirmation,
    NeedsOverride,
    NotFound,
    OfficeError,
    PermissionDenied,
    PossibleDuplicate,
    SchemaTooNew,
    SeriesConflicts,
    SetupError,
    SlotTaken,
    ValidationError,
    WrongDatabaseKey,
)

__all__ = [
    "OfficeError",
    "ConfigError",
    "DatabaseUnavailable",
    "DatabaseLocked",
    "WrongDatabaseKey",
    "SchemaTooNew",
    "AuthError",
    "PermissionDenied",
    "NotFound",
    "ConcurrentEdit",
    "ValidationError",
    "PossibleDuplicate",
    "SetupError",
    "SlotTaken",
    "NeedsOverride",
    "SeriesConflicts",
    "NeedsConfirmation",
]
