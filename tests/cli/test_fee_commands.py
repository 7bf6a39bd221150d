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
    assert missing.exit_code == 1 and "cannot read" in missing.stderr.lower() and "Traceback" not in missing.text


def test_add_set_retire_and_reinstate_a_code(cli, db_url, clinic):
    def run(*args: str, who: str = "biller"):
        return cli("--db", db_url, "fees", *args, "--as", who)

    added = run("add", "99213", "Office visit, low", "$1,250.00")
    assert added.exit_code == 0 and added.stdout.strip() == "Added 99213 Office visit, low: 1,250.00."
    assert run("set", "99213", "--fee", "125").stdout.strip() == "99213 Office visit, low: 125.00."
    assert run("set", "99213", "--description", "Office visit, est. low").exit_code == 0
    assert run("list", "--format", "csv").stdout.splitlines()[1] == "99213,CPT,\"Office visit, est. low\",125.00"
    assert run("retire", "99213").exit_code == 0
    assert run("list", "--format", "csv").stdout.splitlines() == ["Code,Kind,Description,Fee"]
    assert run("list", "--all", "--format", "csv").stdout.splitlines()[1] == (
        "99213,CPT,\"Office visit, est. low\",125.00,retired")
    assert run("reinstate", "99213").stdout.strip() == "Reinstated 99213 Office visit, est. low: 125.00."


def test_bad_fees_and_codes_are_one_error_line(cli, db_url, clinic):
    def run(*args: str, who: str = "biller"):
        return cli("--db", db_url, "fees", *args, "--as", who)

    run("add", "99213", "Office visit", "125")
    for args, message in (
        (("add", "99214", "Visit", "12,50"), "error: Fee 12,50: write cents after a point (12.50)"),
        (("set", "99213", "--fee=-5"), "error: Fee -5: cannot be negative."),
        (("set", "99213", "--fee", "1.234"), "error: Fee 1.234: at most two decimals (cents)"),
        (("add", "9921", "Visit", "10"), "error: '9921' is neither a CPT code"),
        (("add", "99213", "Again", "10"), "error: 99213 is on the fee schedule already"),
        (("set", "99213"), "error: Give --fee and/or --description to change."),
        (("retire", "99999"), "error: 99999 is not on the fee schedule."),
    ):
        result = run(*args)
        assert result.exit_code == 1 and result.stderr.startswith(message), (args, result.text)
    denied = run("add", "99214", "Visit", "10", who="desk")
    assert denied.exit_code == 1 and "Permission denied" in denied.stderr
    assert run("list", "--format", "csv").stdout.splitlines() == ["Code,Kind,Description,Fee",
                                                                 "99213,CPT,Office visit,125.00"]


def test_an_exponent_or_a_fee_too_large_for_the_column_imports_nothing(cli, db_url, clinic, tmp_path):
    """`1e2` is not read as $100, and 999999999999.99 (too large for the fee column: PostgreSQL
    overflows, SQLite would keep it) is refused with the same words on both engines; one bad row
    and no row is imported."""
    def run(*args: str):
        return cli("--db", db_url, "fees", *args, "--as", "biller")

    def listed() -> list[str]:
        return run("list", "--format", "csv").stdout.splitlines()

    exponent = tmp_path / "exponent.csv"
    exponent.write_text("code,description,fee\n99213,Office visit low,125.00\n99214,Office visit moderate,1e2\n")
    refused = run("import", str(exponent))
    assert refused.exit_code == 1 and " ".join(refused.stderr.split()) == (
        "error: Nothing was imported: line 3: 99214 fee 1e2 is not an amount: type an amount like 20.00 or 1,250.50.")
    assert listed() == ["Code,Kind,Description,Fee"]

    too_large = tmp_path / "too_large.csv"
    too_large.write_text("99213,Office visit low,125.00\n99214,Office visit moderate,999999999999.99\n")
    refused = run("import", str(too_large))
    assert refused.exit_code == 1 and " ".join(refused.stderr.split()) == (
        "error: Nothing was imported: line 2: 99214 fee 999999999999.99: more than $99,999.99 is surely a typing "
        "slip; check the figure.")
    assert listed() == ["Code,Kind,Description,Fee"]

    for args in (("add", "99214", "Visit", "999999999999.99"), ("add", "99214", "Visit", "1e2")):
        result = run(*args)
        assert result.exit_code == 1 and result.stderr.startswith(f"error: Fee {args[-1]}"), result.text
        assert "Traceback" not in result.text
    assert run("add", "99213", "Office visit low", "125").exit_code == 0
    result = run("set", "99213", "--fee", "999999999999.99")
    assert result.exit_code == 1 and "more than $99,999.99" in result.stderr and "Traceback" not in result.text
    assert listed() == ["Code,Kind,Description,Fee", "99213,CPT,Office visit low,125.00"]
