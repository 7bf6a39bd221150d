"""Which column of the file feeds which field: the header matched by name and synonyms, then the
person's own `--map "Their Column=field"` lines (typed, or saved in a mapping file).

A map line of the form `payer:Their Value=Ours` (also `provider:` and `type:`) translates a value
instead: "BCBS IL" in the file is the clinic's payer "Blue Cross Blue Shield of Illinois".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from officeconsole.models.imports import ImportKind
from officeconsole.services.common.errors import OfficeError
from officeconsole.services.formats.csv_text import read_csv_text
from officeconsole.services.operations.importing.fields import FIELDS, LOOKUPS, ONE_OF, fields_of, header_key


class ImportFileError(OfficeError):
    """The file or the mapping cannot be imported at all (nothing was read into the clinic)."""


@dataclass
class Mapping:
    """Typed or saved map lines, before they meet a header."""

    columns: dict[str, str] = field(default_factory=dict)  # header key -> field
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {their value (folded): ours}
    titles: dict[str, str] = field(default_factory=dict)  # header key -> as they typed it
    typed: set[str] = field(default_factory=set)  # header keys from --map (a file's may be for another file)

    def add(self, line: str, kind: ImportKind, where: str = "--map", shared: bool = False) -> None:
        """One map line. A saved file (`shared`) serves every kind of file from one system: lines
        about another kind's fields are skipped there; anything naming no field at all is refused."""
        text = line.strip()
        if not text or text.startswith("#"):
            return
        theirs, sep, ours = text.rpartition("=")
        theirs, ours = theirs.strip(), ours.strip()
        if not sep or not theirs or not ours:
            raise ImportFileError(f"{where}: {text!r} is not a mapping: write \"Their Column=field\" "
                                  f"(or \"payer:Their Value=Our payer\").")
        prefix, colon, value = theirs.partition(":")
        lookups = LOOKUPS.get(kind, ())
        every_lookup = {name for names in LOOKUPS.values() for name in names}
        if colon and prefix.strip().lower() in (every_lookup if shared else lookups):
            self.values.setdefault(prefix.strip().lower(), {})[value.strip().casefold()] = ours
            return
        known = fields_of(kind)
        name = ours.lower()
        if shared and name not in known and any(name in fields_of(other) for other in ImportKind):
            return
        if name not in known:
            raise ImportFileError(
                f"{where}: {ours!r} is not a field of a {kind.value} import. The fields are: "
                f"{', '.join(known)}." + (f" Values of {', '.join(lookups)} are mapped with "
                                          f"\"{lookups[0]}:Their Value=Ours\"." if lookups else ""))
        self.columns[header_key(theirs)] = name
        self.titles[header_key(theirs)] = theirs
        if not shared:
            self.typed.add(header_key(theirs))

    @classmethod
    def build(cls, kind: ImportKind, lines: Iterable[str] = (), mapping_file: str | Path | None = None) -> Mapping:
        mapping = cls()
        if mapping_file is not None:
            path = Path(mapping_file)
            text = read_csv_text(path, ImportFileError, f"The mapping file {path.name}")
            for number, line in enumerate(text.splitlines(), 1):
                mapping.add(line, kind, f"{path.name} line {number}", shared=True)
        for line in lines:
            mapping.add(line, kind)
        return mapping


@dataclass(frozen=True)
class Columns:
    """Field -> position in each row, and what the header held."""

    positions: dict[str, int]
    header: list[str]
    ignored: list[str]  # headers no field takes

    def describe(self) -> list[tuple[str, str]]:
        return [(name, self.header[index]) for name, index in self.positions.items()]


def match_columns(kind: ImportKind, header: list[str], mapping: Mapping, file_name: str) -> Columns:
    """Each field's column, or ImportFileError naming what is missing or claimed twice."""
    known = fields_of(kind)
    names = {header_key(f.name): f.name for f in FIELDS[kind]}
    synonyms = {header_key(s): f.name for f in FIELDS[kind] for s in f.synonyms}
    positions: dict[str, int] = {}
    ignored: list[str] = []
    claimed_by: dict[str, str] = {}
    for rank in ("mapped", "name", "synonym"):
        for index, title in enumerate(header):
            key = header_key(title)
            if index in positions.values() or title in claimed_by:
                continue
            name = {"mapped": mapping.columns, "name": names, "synonym": synonyms}[rank].get(key)
            if name is None:
                continue
            if name in positions:
                if rank == "mapped":
                    raise ImportFileError(f"Two columns are mapped to {name}: {header[positions[name]]!r} and "
                                          f"{title!r}. Map only one.")
                continue  # a mapped or exactly named column already took the field
            positions[name] = index
            claimed_by[title] = name
    unused_maps = [k for k in mapping.typed if k not in {header_key(h) for h in header}]
    if unused_maps:
        raise ImportFileError(f"The mapping names a column {file_name} does not have: "
                              f"{', '.join(repr(mapping.titles[k]) for k in unused_maps)}. Its columns are: "
                              f"{', '.join(repr(h) for h in header)}.")
    missing = [name for name, f in known.items() if f.required and name not in positions]
    if missing:
        lines = ", ".join(f"{name} (also read from: {', '.join(known[name].synonyms[:4])})" if known[name].synonyms
                          else name for name in missing)
        raise ImportFileError(
            f"{file_name} has no column for the required field(s) {lines}. Its columns are: "
            f"{', '.join(repr(h) for h in header)}. Map one with --map \"Their Column={missing[0]}\".")
    groups = ONE_OF.get(kind, ())
    if groups and not any(all(name in positions for name in group) for group in groups):
        wanted = " or ".join(" and ".join(group) for group in groups)
        raise ImportFileError(f"{file_name} needs columns for {wanted}. Its columns are: "
                              f"{', '.join(repr(h) for h in header)}.")
    ignored = [title for index, title in enumerate(header) if index not in positions.values()]
    return Columns(dict(sorted(positions.items(), key=lambda item: item[1])), header, ignored)
