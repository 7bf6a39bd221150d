"""People's names as claims need them: in Latin letters, and split into last, first, middle, suffix.

Names are typed in any script. An X12 claim carries plain ASCII, so a name is transliterated
(anyascii: 'Łukasz Grøß' -> 'Lukasz Gross') rather than stripped of the letters it cannot
carry; a name with no Latin letters at all needs its Latin-letter form typed (the one on the
insurance card), since a transliteration of it is only a guess.

A whole name typed in one field ("John Smith Jr.", "Smith, John A") is split only when the split
is sure; "Mary Ann Smith" could be a double first name or a middle name, so it is left for a
person to split.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from anyascii import anyascii

# Generational suffixes (NM107); written without the dot.
SUFFIXES = {"JR": "JR", "SR": "SR", "II": "II", "III": "III", "IV": "IV", "V": "V"}
# Words that start a surname: "Juan de la Cruz", "Anna van der Berg", "Omar bin Laden".
PARTICLES = frozenset({"de", "del", "della", "der", "den", "di", "da", "das", "do", "dos", "du", "la", "le",
                       "van", "von", "ten", "ter", "bin", "ibn", "al", "el", "st", "st."})


def latin(text: str) -> str:
    """The name in ASCII letters: 'Wałęsa' -> 'Walesa', 'Иван' -> 'Ivan'."""
    return anyascii(text or "")


def has_latin_letters(text: str) -> bool:
    """Whether the text has a letter of the Latin script ('Łukasz' has, 'Иван' and '王' have not)."""
    return any(ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN") for ch in text or "")


def has_letters(text: str) -> bool:
    """A letter of any script."""
    return any(ch.isalpha() for ch in text or "")


def suffix_of(word: str) -> str:
    """'Jr.' -> 'JR', 'iii' -> 'III'; '' when the word is not a generational suffix."""
    return SUFFIXES.get(word.strip().rstrip(".").upper(), "")


@dataclass(frozen=True)
class NameParts:
    last: str = ""
    first: str = ""
    middle: str = ""
    suffix: str = ""

    @property
    def full(self) -> str:
        """'John A Smith Jr' (how the name is shown in one line)."""
        return " ".join(part for part in (self.first, self.middle, self.last, self.suffix.title() + "."
                                          if self.suffix in ("JR", "SR") else self.suffix) if part)


def split_name(full_name: str) -> NameParts | None:
    """The parts of a name typed as one line, or None when the split is not sure.

    Sure: "Last, First [Middle]", "First Last", "First M. Last", "First de la Last", each with an
    optional "Jr."/"III" at the end. Not sure: one word, or three words and more otherwise.
    """
    text = " ".join((full_name or "").split())
    if not text:
        return NameParts()
    if "," in text:
        pieces = [p.strip() for p in text.split(",")]
        suffix = ""
        if len(pieces) > 2 and suffix_of(pieces[-1]):
            suffix = suffix_of(pieces.pop())
        if len(pieces) != 2:
            return None
        last_words, given = pieces[0].split(), pieces[1].split()
        if len(last_words) > 1 and suffix_of(last_words[-1]) and not suffix:  # "Smith Jr., John"
            suffix = suffix_of(last_words.pop())
        if given and suffix_of(given[-1]) and not suffix and len(given) > 1:  # "Smith, John Jr."
            suffix = suffix_of(given.pop())
        if not last_words or not given:
            return None
        return NameParts(" ".join(last_words), given[0], " ".join(given[1:]), suffix)
    words = text.split()
    suffix = ""
    if len(words) > 2 and suffix_of(words[-1]):
        suffix = suffix_of(words.pop())
    if len(words) == 2:
        return NameParts(words[1], words[0], "", suffix)
    if len(words) < 2:
        return None
    if words[1].lower() in PARTICLES and all(w.lower() in PARTICLES for w in words[1:-1]):
        return NameParts(" ".join(words[1:]), words[0], "", suffix)
    if len(words) == 3 and len(words[1].rstrip(".")) == 1:  # a middle initial
        return NameParts(words[2], words[0], words[1].rstrip("."), suffix)
    return None
