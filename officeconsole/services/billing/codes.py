"""Code sets: ICD-10-CM diagnoses (from simple-icd-10-cm) and the shapes of procedure codes.

A diagnosis is accepted with or without its dot and stored with it (E11.9); it must be a
real ICD-10-CM code and billable (a leaf: a category such as E11 is refused, with the codes
under it suggested). Procedure codes come from the clinic's fee schedule: CPT is five digits
(or four and F/T/U for category II/III codes), HCPCS Level II a letter and four digits.

simple-icd-10-cm parses its 10 MB XML file when imported: seconds of CPU (3-4 s measured in the
console, 7-9 s on a busy machine). The few facts the console needs (each code, its description,
whether it is billable, the first billable codes under a category) are saved once per library
version as a text file in the user's cache folder and read from there afterwards, in about an
eighth of that time. `code_set()` is the one loader; the console calls `warm_icd10` in the
worker of a coder's login, so a first scrub or search finds the set loaded.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from officeconsole.services.common.errors import ValidationError

CPT = re.compile(r"^\d{4}[0-9FTU]$")
HCPCS = re.compile(r"^[A-V]\d{4}$")
MODIFIER = re.compile(r"^[0-9A-Z]{2}$")

CACHE_FORMAT = "1"  # bump when the file's columns change


# description, billable, and for a category its first billable codes (suggested when it is typed)
CodeEntry = tuple[str, bool, tuple[str, ...]]


@dataclass(frozen=True)
class CodeSet:
    """ICD-10-CM as the console uses it: every item by code, and the billable ones in code order."""

    entries: dict[str, CodeEntry]  # "E11.9" -> entry (chapters and blocks included, as the library has them)
    undotted: dict[str, str]  # "E119" -> "E11.9"
    billable: tuple[tuple[str, str, str], ...]  # (code, description, lower-case description)

    def find(self, raw: str) -> str | None:
        """The code as stored ("E11.9") for an upper-case code typed with or without its dot."""
        if raw in self.entries:
            return raw
        return None if "." in raw else self.undotted.get(raw)


_LOADING = threading.Lock()
_loaded: CodeSet | None = None


def code_set() -> CodeSet:
    """The ICD-10-CM set, loaded once per process: from the cache file, else from the library
    (then written to the cache file for the next process). The lock keeps a burst of callers
    (a search per keystroke, each in its own worker) from loading it several times over."""
    global _loaded
    if _loaded is None:
        with _LOADING:
            if _loaded is None:
                _loaded = load_code_set(cache_file())
    return _loaded


def cache_file() -> Path:
    import platformdirs

    from officeconsole.config import APP_NAME

    version = metadata.version("simple_icd_10_cm")
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / f"icd10cm-{version}-v{CACHE_FORMAT}.tsv"


def load_code_set(path: Path) -> CodeSet:
    """Read `path`; if it is missing or unreadable, build the set from the library and save it there."""
    rows = _read(path)
    if rows is None:
        rows = _from_library()
        _write(path, rows)
    return _index(rows)


Row = tuple[str, bool, str, tuple[str, ...]]  # code, billable, description, examples


def _from_library() -> list[Row]:
    import simple_icd_10_cm as cm  # parses its XML on import (see the module's docstring)

    codes = cm.get_all_codes(True)
    rows: list[Row] = []
    for code in codes:
        leaf = cm.is_leaf(code)
        examples = () if leaf else tuple([c for c in cm.get_descendants(code) if cm.is_leaf(c)][:3])
        rows.append((code, leaf, cm.get_description(code), examples))
    return rows


def _write(path: Path, rows: list[Row]) -> None:
    """Written whole to a temporary file and renamed into place, so a reader (another console, a
    test worker) never sees half a file; a folder that cannot be written only costs the next start."""
    lines = [f"{CACHE_FORMAT}\t{len(rows)}\n"]
    lines += [f"{code}\t{int(leaf)}\t{_escape(description)}\t{','.join(examples)}\n"
              for code, leaf, description, examples in rows]
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.writelines(lines)
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


def _read(path: Path) -> list[Row] | None:
    """The rows saved in `path`, or None when it is missing, of another format, or cut short."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    lines = text.split("\n")
    header = lines[0].split("\t")
    if len(header) != 2 or header[0] != CACHE_FORMAT or not header[1].isdigit() or len(lines) != int(header[1]) + 2:
        return None
    rows: list[Row] = []
    for line in lines[1:-1]:
        parts = line.split("\t")
        if len(parts) != 4:
            return None
        code, leaf, description, examples = parts
        if "\\" in description:
            description = _unescape(description)
        rows.append((code, leaf == "1", description, tuple(examples.split(",")) if examples else ()))
    return rows


_ESCAPED = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNESCAPED = {value: key for key, value in _ESCAPED.items()}


def _escape(text: str) -> str:
    """A few descriptions hold a tab (H35.3113's "involvement/<tab>advanced"): kept as they are."""
    return re.sub(r"[\\\t\n\r]", lambda m: _ESCAPED[m.group()], text)


def _unescape(text: str) -> str:
    return re.sub(r"\\[\\tnr]", lambda m: _UNESCAPED[m.group()], text)


def _index(rows: list[Row]) -> CodeSet:
    entries: dict[str, CodeEntry] = {}
    billable: list[tuple[str, str, str]] = []
    for code, leaf, description, examples in rows:
        if code in entries:
            continue  # a block named as its only category (B10): the library lists it twice
        entries[code] = (description, leaf, examples)
        if leaf:
            billable.append((code, description, description.lower()))
    undotted = {code.replace(".", ""): code for code in entries if "." in code}
    return CodeSet(entries, undotted, tuple(billable))


def icd10(text: str, field: str = "diagnosis") -> tuple[str, str]:
    """'e119', 'E11.9' -> ('E11.9', 'Type 2 diabetes mellitus without complications')."""
    raw = (text or "").strip().upper().replace(" ", "")
    if not raw:
        raise ValidationError({field: "Type a diagnosis code, e.g. E11.9."})
    codes = code_set()
    code = codes.find(raw)
    if code is None:
        raise ValidationError({field: f"{text.strip()} is not an ICD-10-CM code."})
    description, billable, examples = codes.entries[code]
    if not billable:
        hint = f" (for example {', '.join(examples)})" if examples else ""
        raise ValidationError({field: f"{code} is a category, not billable: choose a more specific code{hint}."})
    return code, description


def icd10_description(code: str) -> str:
    entry = code_set().entries.get(code)
    return entry[0] if entry is not None else ""


def warm_icd10() -> None:
    """Load the code set ahead of the first search or scrub (call it in a worker)."""
    code_set()


def search_icd10(text: str, limit: int = 20) -> list[tuple[str, str]]:
    """Billable codes whose code starts with `text` (dot optional), else whose description
    holds every word typed: 'e11' or 'diabetes type 2'."""
    query = (text or "").strip()
    if not query:
        return []
    codes = code_set().billable
    key = query.upper().replace(".", "")
    found = [(c, d) for c, d, _ in codes if c.replace(".", "").startswith(key)]
    if not found:
        words = query.lower().split()
        found = [(c, d) for c, d, low in codes if all(w in low for w in words)]
    return found[:limit]


def procedure_kind(code: str) -> str:
    """'cpt' or 'hcpcs'; ValidationError for anything else."""
    value = (code or "").strip().upper()
    if CPT.match(value):
        return "cpt"
    if HCPCS.match(value):
        return "hcpcs"
    raise ValidationError({"code": f"{code!r} is neither a CPT code (5 digits, e.g. 99213) nor a HCPCS code "
                                   "(a letter and 4 digits, e.g. J1100)."})


def parse_modifiers(text: str) -> list[str]:
    """'25, 59' -> ['25', '59']: up to four two-character modifiers."""
    mods = [m for m in re.split(r"[\s,;]+", (text or "").strip().upper()) if m]
    bad = [m for m in mods if not MODIFIER.match(m)]
    if bad:
        raise ValidationError({"modifiers": f"Modifiers are two letters or digits (e.g. 25): not {', '.join(bad)}."})
    if len(mods) > 4:
        raise ValidationError({"modifiers": "A line takes at most four modifiers."})
    if len(set(mods)) != len(mods):
        raise ValidationError({"modifiers": "A modifier is repeated."})
    return mods
