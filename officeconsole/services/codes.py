"""Code sets: ICD-10-CM diagnoses (from simple-icd-10-cm) and the shapes of procedure codes.

A diagnosis is accepted with or without its dot and stored with it (E11.9); it must be a
real ICD-10-CM code and billable (a leaf: a category such as E11 is refused, with the codes
under it suggested). Procedure codes come from the clinic's fee schedule: CPT is five digits
(or four and F/T/U for category II/III codes), HCPCS Level II a letter and four digits.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from officeconsole.services.errors import ValidationError

CPT = re.compile(r"^\d{4}[0-9FTU]$")
HCPCS = re.compile(r"^[A-V]\d{4}$")
MODIFIER = re.compile(r"^[0-9A-Z]{2}$")


def _cm():
    import simple_icd_10_cm as cm  # loaded on first use: about 1.5 s and 98k codes (the console loads it after a coder logs in)

    return cm


def icd10(text: str, field: str = "diagnosis") -> tuple[str, str]:
    """'e119', 'E11.9' -> ('E11.9', 'Type 2 diabetes mellitus without complications')."""
    cm = _cm()
    raw = (text or "").strip().upper().replace(" ", "")
    if not raw:
        raise ValidationError({field: "Type a diagnosis code, e.g. E11.9."})
    if not cm.is_valid_item(raw):
        raise ValidationError({field: f"{text.strip()} is not an ICD-10-CM code."})
    code = cm.add_dot(raw) if "." not in raw and len(raw) > 3 else raw
    if not cm.is_leaf(code):
        below = [c for c in cm.get_descendants(code) if cm.is_leaf(c)][:3]
        hint = f" (for example {', '.join(below)})" if below else ""
        raise ValidationError({field: f"{code} is a category, not billable: choose a more specific code{hint}."})
    return code, cm.get_description(code)


def icd10_description(code: str) -> str:
    cm = _cm()
    return cm.get_description(code) if cm.is_valid_item(code) else ""


_LOADING = threading.Lock()


def _billable() -> tuple[tuple[str, str, str], ...]:
    """(code, description, lower-case description) for every billable code, in code order.

    Built once (about 0.3 s); the lock keeps a burst of searches (one per keystroke, each in
    its own worker) from building it several times over.
    """
    with _LOADING:
        return _build_billable()


@lru_cache(maxsize=1)
def _build_billable() -> tuple[tuple[str, str, str], ...]:
    cm = _cm()
    return tuple((c, d, d.lower()) for c in cm.get_all_codes(True) if cm.is_leaf(c)
                 for d in (cm.get_description(c),))


def warm_icd10() -> None:
    """Load the code set ahead of the first search (call it in a worker when a form opens)."""
    _billable()


def search_icd10(text: str, limit: int = 20) -> list[tuple[str, str]]:
    """Billable codes whose code starts with `text` (dot optional), else whose description
    holds every word typed: 'e11' or 'diabetes type 2'."""
    query = (text or "").strip()
    if not query:
        return []
    codes = _billable()
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
