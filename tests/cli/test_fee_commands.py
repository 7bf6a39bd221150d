"""`officeconsole fees import|list`."""

from __future__ import annotations


def test_import_then_list_and_a_bad_file(cli, db_url, clinic, tmp_path):
    good = tmp_path / "fees.csv"
    good.write_text("code,description,fee\n99213,Office visit est. low,125.00\nJ1100,Dexamethasone 1 mg,12.5\n")
    result = cli("--db", db_url, "fees", "import", str(good), "--as", "biller")
    assert result.exit_code == 0, result.text
    assert "2 added, 0 updated, 0 unchanged" in result.stdout
    again = cli("--db", db_url, "fees", "import", str(good), "--as", "biller")
    assert "0 added, 0 updated, 2 unchanged" in again.stdout
    listed = cli("--db", db_url, "fees", "list", "--as", "biller", "--format", "csv").stdout.splitlines()
    assert listed == ["Code,Kind,Description,Fee", "99213,CPT,Office visit est. low,125.00",
                      "J1100,HCPCS,Dexamethasone 1 mg,12.50"]
    bad = tmp_path / "bad.csv"
    bad.write_text("99214,Office visit,abc\n")
    refused = cli("--db", db_url, "fees", "import", str(bad), "--as", "biller")
    assert refused.exit_code == 1 and refused.stderr.startswith("error: Nothing was imported: line 1")
    missing = cli("--db", db_url, "fees", "import", str(tmp_path / "nope.csv"), "--as", "biller")
    assert missing.exit_code == 1 and "cannot read" in missing.stderr and "Traceback" not in missing.text
