"""Taking the clinic's data out: the whole clinic as CSV or FHIR R4, or one patient's record.

Who may: managers (and admins) only, for both (see permissions). Every export is audited:
the whole clinic as one `export.clinic` event with the format, the counts and the manifest's
SHA-256; a patient's record as a `patient.disclose` event on that patient. Whole-clinic
exports read one consistent snapshot (one read transaction; REPEATABLE READ on PostgreSQL)
and are written atomically into an empty folder (see export_files).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from officeconsole.models import ClinicSettings
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.folders import writable_folder
from officeconsole.services.common.permissions import requires
from officeconsole.services.operations import export_csv, export_fhir
from officeconsole.services.operations.export_files import ExportedFile, ExportError, ExportFolder, write_atomically
from officeconsole.services.operations.patient_record_export import gather, record_pdf
from officeconsole.services.security import audit

FORMATS = ("csv", "fhir")
FORMAT_NAMES = {"csv": "officeconsole-csv", "fhir": "fhir-r4-ndjson"}


@dataclass(frozen=True)
class ClinicExport:
    folder: Path
    format: str
    files: tuple[ExportedFile, ...]
    manifest: Path
    manifest_sha256: str

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)


@dataclass(frozen=True)
class RecordExport:
    patient_id: int
    mrn: str
    name: str
    pdf: Path
    bundle: Path
    resources: int


class ExportService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("export.clinic")
    def export_clinic(self, fmt: str, out_dir: Path | str, *, force: bool = False,
                      progress: Callable[[str, int], None] | None = None) -> ClinicExport:
        """Everything the clinic owns into `out_dir`: one CSV per table, or one NDJSON file per FHIR
        resource type; with `manifest.json` (each file's rows and SHA-256) written last."""
        if fmt not in FORMATS:
            raise ExportError(f"Export as csv or fhir, not {fmt!r}.")
        folder = ExportFolder(out_dir, force=force)
        try:
            with self.ctx.db.read() as session:
                if self.ctx.db.dialect == "postgresql":  # every table from the same snapshot
                    session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
                clinic = session.get(ClinicSettings, 1)
                if fmt == "csv":
                    export_csv.write_tables(session, folder, progress)
                else:
                    export_fhir.write_resources(session, folder, progress)
                header = {"format": FORMAT_NAMES[fmt], "clinic": clinic.name if clinic else "",
                          "exported_at": self.ctx.now().isoformat(), "exported_by": self.ctx.actor_or_fail().username,
                          "schema_revision": _revision(session)}
            if fmt == "csv":
                header["csv_escaping"] = CSV_NOTE
            digest = folder.manifest(header)
            rows = sum(f.rows for f in folder.files)
            with self.ctx.db.write() as session:
                audit.record(session, self.ctx.now(), self.ctx.actor, "export.clinic", entity="export", entity_id=fmt,
                             summary=f"{fmt} export to {folder.folder}: {len(folder.files)} files, {rows} rows, "
                                     f"manifest sha256 {digest}")
            manifest = folder.commit()
        except OSError as exc:
            folder.abandon()
            raise ExportError(f"Cannot write the export to {folder.folder}: {exc.strerror or exc}.") from None
        except BaseException:
            folder.abandon()
            raise
        return ClinicExport(folder.folder, fmt, tuple(folder.files), manifest, digest)

    @requires("export.patient")
    def export_record(self, mrn: str, out_dir: Path | str) -> RecordExport:
        """One patient's record as a PDF and a FHIR Bundle (JSON) in `out_dir`, audited as a disclosure."""
        folder = writable_folder(out_dir, ExportError, "the record")
        now = self.ctx.now()
        tz = self.ctx.timezone
        with self.ctx.db.read() as session:
            copy = gather(session, mrn, now, tz)
        pdf = record_pdf(copy, tz)
        bundle = (json.dumps(copy.bundle, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        stem = f"record-{copy.mrn}-{now.astimezone(tz):%Y%m%d-%H%M%S}"
        pdf_path, bundle_path = folder / f"{stem}.pdf", folder / f"{stem}.fhir.json"
        with self.ctx.db.write() as session:
            audit.record(session, now, self.ctx.actor, "patient.disclose", entity="patient", entity_id=copy.patient_id,
                         patient_id=copy.patient_id,
                         summary=f"copy of the record (PDF and FHIR Bundle, {len(copy.bundle['entry'])} resources) "
                                 f"to {folder}")
        try:
            write_atomically(pdf_path, pdf)
            write_atomically(bundle_path, bundle)
        except OSError as exc:
            raise ExportError(f"Cannot write the record to {folder}: {exc.strerror or exc}.") from None
        return RecordExport(copy.patient_id, copy.mrn, copy.name, pdf_path, bundle_path, len(copy.bundle["entry"]))


CSV_NOTE = ("a text cell beginning with = + - @ tab or carriage return has an apostrophe put before it; "
            "numbers are written as they are")


def _revision(session: Session) -> str:
    try:
        return session.execute(text("SELECT version_num FROM alembic_version")).scalar() or ""
    except SQLAlchemyError:
        return ""


__all__ = ["ClinicExport", "ExportError", "ExportService", "RecordExport"]
