"""`x` on a patient's record saves a copy (PDF and FHIR Bundle) into the reports folder and says where;
the key is offered to managers only."""

from __future__ import annotations

from officeconsole.config import Paths
from officeconsole.services.security.audit import AuditService
from officeconsole.tui.app import OfficeApp
from officeconsole.tui.screens.patient_record import PatientRecordScreen
from officeconsole.tui.widgets.key_bar import KeyBar

from tests.factories import register
from tests.tui.conftest import login, open_record, settle


def _paths(tmp_path) -> Paths:
    return Paths(tmp_path / "data", tmp_path / "config", tmp_path / "reports", tmp_path / "backups")


async def test_the_manager_exports_a_record_from_its_screen(ctx, desk_ctx, manager_ctx, tmp_path):
    patient = register(desk_ctx, first_name="Xena", last_name="Keyexport")
    app = OfficeApp(ctx, _paths(tmp_path))
    async with app.run_test(size=(130, 36)) as pilot:
        await login(pilot, "manager")
        await open_record(pilot, "keyexport")
        assert isinstance(app.screen, PatientRecordScreen)
        assert "Export record" in str(app.screen.query_one(KeyBar).render())
        await pilot.press("x")
        await settle(pilot)
        folder = tmp_path / "reports" / "records"
        files = sorted(folder.iterdir())
        assert [p.suffix for p in files] == [".json", ".pdf"]
        assert files[1].read_bytes().startswith(b"%PDF")
        message = [n.message for n in app._notifications][-1]
        assert message == f"Record of Keyexport, Xena saved: {files[1]} and {files[0]}"
    disclosures = [r for r in AuditService(manager_ctx).list(patient_mrn=patient.mrn) if r.action == "patient.disclose"]
    assert len(disclosures) == 1 and disclosures[0].username == "manager"


async def test_the_desk_is_not_offered_the_export(ctx, desk_ctx, tmp_path):
    register(desk_ctx, first_name="Yuri", last_name="Keyexport")
    app = OfficeApp(ctx, _paths(tmp_path))
    async with app.run_test(size=(130, 36)) as pilot:
        await login(pilot, "desk")
        await open_record(pilot, "keyexport")
        assert isinstance(app.screen, PatientRecordScreen)
        assert "Export record" not in str(app.screen.query_one(KeyBar).render())
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, PatientRecordScreen)
    assert not (tmp_path / "reports").exists()
