"""Moving in: another system's patients, policies, appointments and balances from CSV files."""

from officeconsole.models.imports import ImportKind
from officeconsole.services.operations.importing.mapping import ImportFileError
from officeconsole.services.operations.importing.service import ImportReport, ImportRequest, ImportService, RefusedRow

__all__ = ["ImportFileError", "ImportKind", "ImportReport", "ImportRequest", "ImportService", "RefusedRow"]
