"""Every CSV the console reads goes through one reader: UTF-8, or Windows-1252/Latin-1 when that is
certain; anything else is refused with a message that says it is not UTF-8 and how to save it,
never a raw codec error."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from officeconsole.models import FeeScheduleItem
from officeconsole.models.imports import ImportKind
from officeconsole.services.billing.fees import FeeImportError, FeeService
from officeconsole.services.common.errors import OfficeError
from officeconsole.services.formats.csv_text import read_csv_text
from officeconsole.services.operations.importing.mapping import ImportFileError, Mapping

FEES = "code,description,fee\n99213,Visite établie – niveau 3,125.00\n36415,Prélèvement veineux,15.00\n"
CYRILLIC = "code,description,fee\n99213,Прием пациента повторный уровень три,125.00\n"


class Refused(OfficeError):
    pass


@pytest.mark.parametrize(("data", "text"), [
    (FEES.encode("utf-8"), FEES),
    (b"\xef\xbb\xbf" + FEES.encode("utf-8"), FEES),  # the byte-order mark Excel writes is dropped
    (FEES.encode("cp1252"), FEES),  # a Windows spreadsheet's CSV
    ("code,description,fee\n99213,Café visit,125.00\n".encode("latin-1"),
     "code,description,fee\n99213,Café visit,125.00\n"),
])
def test_utf8_and_clean_windows_1252_are_read(tmp_path, data, text):
    path = tmp_path / "fees.csv"
    path.write_bytes(data)
    assert read_csv_text(path, Refused) == text


@pytest.mark.parametrize(("data", "said"), [
    (CYRILLIC.encode("cp1251"), "fees.csv is not UTF-8"),  # another code page: not guessed
    (CYRILLIC.encode("utf-16"), "saved as UTF-16"),
    (b"PK\x03\x04rest of a workbook", "Excel (.xlsx) workbook"),
])
def test_anything_else_is_refused_with_how_to_save_it(tmp_path, data, said):
    path = tmp_path / "fees.csv"
    path.write_bytes(data)
    with pytest.raises(Refused) as refused:
        read_csv_text(path, Refused)
    assert said in refused.value.message
    if "workbook" not in said:
        assert "Save it as UTF-8" in refused.value.message and "codec" not in refused.value.message


def test_the_fee_import_reads_a_windows_file_and_refuses_an_unknown_one(ctx, as_role, tmp_path):
    biller = FeeService(as_role("billing"))
    windows = tmp_path / "fees-windows.csv"
    windows.write_bytes(FEES.encode("cp1252"))
    assert biller.import_csv(windows).added == 2
    with ctx.db.read() as session:
        assert session.scalar(select(FeeScheduleItem.description).where(FeeScheduleItem.code == "36415")) == \
            "Prélèvement veineux"
    unknown = tmp_path / "fees-cyrillic.csv"
    unknown.write_bytes(CYRILLIC.encode("cp1251"))
    with pytest.raises(FeeImportError) as refused:
        biller.import_csv(unknown)
    assert "fees-cyrillic.csv is not UTF-8" in refused.value.message
    assert "CSV UTF-8" in refused.value.message and "can't decode" not in refused.value.message


def test_a_mapping_file_in_windows_1252_is_read_and_an_unknown_one_refused(tmp_path):
    mapping = tmp_path / "oldpms.map"
    mapping.write_bytes("# colonnes de l'ancien système\nN° dossier=patient_id\n".encode("cp1252"))
    assert Mapping.build(ImportKind.PATIENTS, mapping_file=mapping).columns  # "N° dossier" is mapped
    unknown = tmp_path / "cyrillic.map"
    unknown.write_bytes("# старая система, номер карты пациента\nНомер=patient_id\n".encode("cp1251"))
    with pytest.raises(ImportFileError, match="The mapping file cyrillic.map is not UTF-8"):
        Mapping.build(ImportKind.PATIENTS, mapping_file=unknown)
