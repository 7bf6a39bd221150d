"""Formula escaping: the one rule every CSV the product writes follows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest

from officeconsole.services.formats import csv_safe
from officeconsole.services.reporting.report_files import report_csv
from officeconsole.services.reporting.report_model import MONEY, TEXT, Column, Report, Section

CASES = [
    # (what is written, what the cell holds)
    ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
    ("+1+2", "'+1+2"),
    ("-2+3", "'-2+3"),
    ("@SUM(1)", "'@SUM(1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("-", "'-"),
    ("=HYPERLINK(\"http://x.invalid\")", "'=HYPERLINK(\"http://x.invalid\")"),
    ("'=1", "''=1"),  # an apostrophe already there before a trigger gets another: unescaping is exact
    ("'hello", "'hello"),  # an apostrophe before plain text is left alone
    ("-5.00", "-5.00"),  # text that is only a number stays a number
    ("+12", "+12"),
    ("-.5", "-.5"),
    ("+13125550100", "+13125550100"),  # an E.164 phone number is a number to a spreadsheet, not a formula
    ("Smith, John", "Smith, John"),
    ("a=b", "a=b"),
    ("", ""),
    (Decimal("-5.00"), "-5.00"),
    (-3, "-3"),
    (True, "true"),
    (None, ""),
    (dt.date(2026, 11, 23), "2026-11-23"),
    (dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC), "2026-11-23T15:00:00+00:00"),
    ({"mon": ["08:00", "17:00"]}, '{"mon": ["08:00", "17:00"]}'),
]


@pytest.mark.parametrize(("value", "cell"), CASES)
def test_cells_are_escaped_only_when_a_spreadsheet_would_run_them(value, cell):
    assert csv_safe.plain(value) == cell
    if isinstance(value, str):
        assert csv_safe.unescape_cell(cell) == value


def test_the_writer_escapes_every_cell_and_quotes_as_csv_does():
    buffer = io.StringIO()
    csv_safe.writer(buffer).writerows([["name", "balance"], ["=cmd|' /C calc'!A0", Decimal("-5.00")],
                                       ["Doe, Jane", "-12.50"]])
    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == [
        ["name", "balance"], ["'=cmd|' /C calc'!A0", "-5.00"], ["Doe, Jane", "-12.50"]]


def test_report_csv_uses_the_same_escaping():
    day = dt.date(2026, 11, 23)
    section = Section("By provider", (Column("Provider", TEXT), Column("Charges", MONEY)),
                      (("=Dr Evil", Decimal("-5.00")),))
    text = report_csv(Report("production", "Production", day, day, "", (section,)))
    assert text.splitlines()[1] == "'=Dr Evil,-5.00"


def test_the_dict_writer_escapes_the_same_way():
    buffer = io.StringIO()
    out = csv_safe.dict_writer(buffer, ["name", "amount"])
    out.writeheader()
    out.writerow({"name": "+cmd", "amount": Decimal("-1.50")})
    assert buffer.getvalue().splitlines() == ["name,amount", "'+cmd,-1.50"]


def test_no_module_writes_csv_around_the_shared_writer():
    """Reports, reminder lists, rota and list output, day sheets, exports, reject files: all through csv_safe."""
    package = Path(csv_safe.__file__).parents[1]
    offenders = [str(path.relative_to(package)) for path in sorted(package.rglob("*.py"))
                 if path.name != "csv_safe.py" and re.search(r"csv\.(writer|DictWriter)\(", path.read_text())]
    assert offenders == []
