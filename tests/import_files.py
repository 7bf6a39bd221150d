"""Generated import files (never real people): another system's layout, odd headers and all."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from faker import Faker

# Another system's patient export: its own header names, some only our synonyms know.
PATIENT_HEADER = ["Chart No", "Pt Last Name", "First Name", "MI", "Birth Date", "Gender", "Home Phone",
                  "E-Mail Address", "Street", "City", "ST", "Zip Code", "Balance Due"]
PATIENT_MAP = ("Pt Last Name=last_name",)
ACCENTED = ["Muñoz", "Brontë", "Peña", "Dvořák", "Núñez", "Zoë", "Señor", "Gödel", "Renée", "Françoise"]
LATIN1_SAFE = ["Muñoz", "Brontë", "Peña", "Núñez", "Zoë", "Gödel", "Renée", "Françoise", "Ångström", "Øster"]

BAD_KINDS = ("ambiguous date", "future birth", "year 0001", "no last name", "bad phone", "no first name",
             "not a date", "repeated id", "bad sex", "bad email")


def patient_rows(count: int, *, seed: int = 21, bad_every: int = 20) -> tuple[list[list[str]], dict[int, str]]:
    """`count` rows, one in `bad_every` broken in one of BAD_KINDS; returns the rows and {row index: kind}."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rnd = random.Random(seed)
    rows, bad = [], {}
    for i in range(count):
        first = fake.first_name()
        last = fake.last_name() + ("-" + rnd.choice(LATIN1_SAFE) if i % 7 == 0 else "")
        dob = fake.date_of_birth(minimum_age=1, maximum_age=95)
        row = [f"A{i:06d}", last, first, rnd.choice("ABCDEFGH"), f"{dob:%m/%d/%Y}",
               rnd.choice(["Female", "Male", "F", "M"]),
               f"(217) 555-{i % 10000:04d}", f"p{i}@example.org", fake.street_address(), fake.city(),
               "IL", f"627{i % 100:02d}", f"{rnd.randint(0, 300)}.{rnd.randint(0, 99):02d}"]
        if i % bad_every == bad_every - 1:
            kind = BAD_KINDS[(i // bad_every) % len(BAD_KINDS)]
            bad[i] = kind
            if kind == "ambiguous date":
                row[4] = "03/04/05"
            elif kind == "future birth":
                row[4] = "2031-01-01"
            elif kind == "year 0001":
                row[4] = "0001-01-01"
            elif kind == "no last name":
                row[1] = ""
            elif kind == "bad phone":
                row[6] = "555-12"
            elif kind == "no first name":
                row[2] = "  "
            elif kind == "not a date":
                row[4] = "next tuesday"
            elif kind == "repeated id":
                row[0] = f"A{i - 1:06d}"
            elif kind == "bad sex":
                row[5] = "Q"
            elif kind == "bad email":
                row[7] = "not an address"
        rows.append(row)
    return rows, bad


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)  # a file from another system: plain csv, not our escaped writer
        writer.writerow(header)
        writer.writerows(rows)
    return path
