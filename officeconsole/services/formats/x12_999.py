"""Reading an X12 999 (005010X231A1) implementation acknowledgement: did the clearinghouse
accept the 837 files we sent, as X12?

The envelopes are checked as for every file we read (x12_envelope). Each functional group
response (AK1) names the group control number (GS06) of one of our files, each transaction
response (AK2 ... IK5) the transaction set (ST02) in it, with the errors found (IK3 segment,
IK4 element) and the verdict: A accepted, E accepted with errors, R/M/W/X rejected. AK9 gives the
group's verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from officeconsole.services.common.errors import OfficeError
from officeconsole.services.formats.x12_envelope import Envelopes, X12Fail, read_segments

ACCEPTED = ("A", "E")
# IK304 / IK403: why a segment or element was refused (the common ones; others are shown by code).
SEGMENT_ERRORS = {"1": "unrecognized segment", "2": "unexpected segment", "3": "required segment missing",
                  "4": "loop occurs over maximum times", "5": "segment exceeds maximum use",
                  "6": "segment not in defined transaction set", "7": "segment not in proper sequence",
                  "8": "segment has data element errors", "I4": "implementation 'not used' segment present",
                  "I6": "implementation dependent segment missing", "I9": "implementation dependent 'not used' "
                  "segment present"}
ELEMENT_ERRORS = {"1": "required data element missing", "2": "conditional required data element missing",
                  "3": "too many data elements", "4": "data element too short", "5": "data element too long",
                  "6": "invalid character in data element", "7": "invalid code value", "8": "invalid date",
                  "9": "invalid time", "10": "exclusion condition violated", "I10": "implementation 'not used' "
                  "data element present", "I12": "implementation pattern match failure",
                  "I13": "implementation dependent 'not used' data element present"}
VERDICTS = {"A": "accepted", "E": "accepted with errors", "M": "rejected (message authentication failed)",
            "P": "partially accepted", "R": "rejected", "W": "rejected (assurance failed)",
            "X": "rejected (content could not be analysed)"}


class AckFileError(OfficeError):
    """The acknowledgement is not one we can read, or not a whole one: nothing was posted."""


@dataclass
class TransactionAck:
    """What the 999 says of one of our 837 transaction sets (or, with no AK2, of the whole group)."""

    group_control: str  # AK102: our GS06 (the batch's control number)
    transaction_control: str  # AK202: our ST02; empty when the group was answered as a whole
    code: str  # IK501 (or AK901)
    errors: list[str] = field(default_factory=list)
    segment: int = 0

    @property
    def accepted(self) -> bool:
        return self.code in ACCEPTED

    @property
    def codes(self) -> str:
        return f"IK5 {self.code}" if self.transaction_control else f"AK9 {self.code}"

    def describe(self) -> str:
        verdict = VERDICTS.get(self.code, f"code {self.code}")
        return verdict + (": " + "; ".join(self.errors) if self.errors else "")


@dataclass
class Parsed999:
    sender: str  # ISA06: the clearinghouse
    receiver: str  # ISA08: us
    interchange: str  # ISA13
    digest: str
    answers: list[TransactionAck]


def read_999(text: str) -> Parsed999:
    """The whole interchange, checked; AckFileError (naming the segment) when any of it is wrong."""
    segments, _term, digest = read_segments(text, AckFileError)
    envelopes = Envelopes("FA", "999", "a 999 acknowledgement")
    answers: list[TransactionAck] = []
    group: str | None = None
    group_answers: list[TransactionAck] = []
    current: TransactionAck | None = None
    where_segment = ""
    try:
        for n, seg in enumerate(segments, start=1):
            sid = seg.get_seg_id()
            v: Callable[[str], str] = lambda ref: (seg.get_value(ref) or "").strip()  # noqa: E731
            if envelopes.step(n, seg) != "body":
                continue
            if sid == "AK1":
                group, group_answers, current = v("AK102"), [], None
                if not group:
                    raise X12Fail(n, sid, "AK102 (the group control number acknowledged) is empty.")
            elif sid == "AK2":
                if group is None:
                    raise X12Fail(n, sid, "a transaction response before its group response (AK1).")
                current = TransactionAck(group, v("AK202"), "", segment=n)
            elif sid == "IK3" and current is not None:
                where_segment = f"{v('IK301')} segment {v('IK302')}"
                reason = v("IK304")
                current.errors.append(f"{where_segment}: {SEGMENT_ERRORS.get(reason, 'error ' + reason)}"
                                      if reason else where_segment)
            elif sid == "IK4" and current is not None:
                reason = v("IK403")
                position = v("IK401-1")
                current.errors.append(f"{where_segment}, element {position}: "
                                      f"{ELEMENT_ERRORS.get(reason, 'error ' + reason)}"
                                      + (f" ({v('IK404')!r})" if v("IK404") else ""))
            elif sid == "IK5":
                if current is None:
                    raise X12Fail(n, sid, "a transaction verdict (IK5) with no transaction response (AK2).")
                current.code = v("IK501")
                if current.code not in VERDICTS:
                    raise X12Fail(n, sid, f"IK501 {current.code!r} is not a verdict (A, E, M, R, W or X).")
                group_answers.append(current)
                current = None
            elif sid == "AK9":
                if group is None:
                    raise X12Fail(n, sid, "a group verdict (AK9) with no group response (AK1).")
                if current is not None:
                    raise X12Fail(n, sid, f"the transaction response at segment {current.segment} has no "
                                          "verdict (IK5).")
                code = v("AK901")
                if code not in VERDICTS:
                    raise X12Fail(n, sid, f"AK901 {code!r} is not a verdict (A, E, P, R, M, W or X).")
                answers.extend(group_answers or [TransactionAck(group, "", code, segment=n)])
                group = None
        envelopes.finish(segments[-1].get_seg_id())
        if group is not None:
            raise X12Fail(len(segments), "AK9", "missing: the group response has no verdict (AK9).")
    except X12Fail as exc:
        raise AckFileError(f"Nothing was posted: {exc}") from None
    if not answers:
        raise AckFileError("Nothing was posted: the 999 acknowledges no file (no AK1).")
    return Parsed999(envelopes.sender, envelopes.receiver, envelopes.interchange, digest, answers)
