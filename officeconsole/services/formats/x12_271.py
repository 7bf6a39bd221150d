"""Reading an X12 271 eligibility answer (005010X279A1): is each policy asked about active, from
when to when, and what are its copay and deductible?

The envelopes are checked as for every file we read (x12_envelope). The hierarchy is walked by
its HL levels: 20 the payer (NM1*PR), 21 the receiver (NM1*1P: us), 22 the subscriber and 23 a
dependent. Each subscriber or dependent is one answer: TRN*2 echoes our trace (it names the
policy), NM1 the member as the payer has it (NM109 the member ID), AAA the payer's refusal
(subscriber not found...), DTP*291/346/347 the plan's dates (also under an EB), and the benefits
(EB): EB01 1-5 active coverage, 6-8 inactive; EB01 B the copay (EB07), EB01 C the deductible,
EB06 23 (calendar year) for the whole and 29 for what remains. The in-network, individual figure
is taken before the family or out-of-network one. MSG text is kept with the answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from officeconsole.services.common.errors import OfficeError
from officeconsole.services.formats.x12_270 import policy_of_trace
from officeconsole.services.formats.x12_envelope import (
    Envelopes,
    X12Fail,
    read_segments,
    x12_amount_value,
    x12_date,
)

ACTIVE = frozenset({"1", "2", "3", "4", "5"})
INACTIVE = frozenset({"6", "7", "8"})
# AAA03 reject reasons (005010X279A1) a desk meets most.
REJECTS = {"15": "required application data missing", "42": "unable to respond at current time",
           "43": "invalid/missing provider identification", "57": "invalid/missing date(s) of service",
           "58": "invalid/missing date of birth", "62": "date of service not within allowable inquiry period",
           "63": "date of service in future", "64": "invalid/missing patient ID", "65": "invalid/missing patient name",
           "67": "patient not found", "71": "patient birth date does not match that for the patient on the database",
           "72": "invalid/missing subscriber/insured ID", "73": "invalid/missing subscriber/insured name",
           "75": "subscriber/insured not found", "76": "duplicate subscriber/insured ID number"}


class EligibilityFileError(OfficeError):
    """The 271 is not one we can read, or not a whole one: nothing was posted."""


@dataclass
class _Pick:
    """A benefit figure; a better-fitting one (in network, individual) replaces a worse one."""

    value: Decimal | None = None
    rank: int = 99

    def offer(self, value: Decimal, rank: int) -> None:
        if rank < self.rank:
            self.value, self.rank = value, rank


@dataclass
class EligibilityAnswer:
    segment: int  # where the subscriber or dependent starts (its HL)
    trace: str = ""  # TRN02 of the TRN*2 echoing our inquiry
    member_id: str = ""  # NM109
    name: str = ""  # 'JANE DOE' as the payer has it
    dob: dt.date | None = None
    statuses: list[str] = field(default_factory=list)  # the EB01 of each coverage EB
    plan_begin: dt.date | None = None
    plan_end: dt.date | None = None
    asked_on: dt.date | None = None  # DTP*291 D8: the day the answer is about
    plan_name: str = ""
    rejects: list[str] = field(default_factory=list)  # AAA reasons
    messages: list[str] = field(default_factory=list)  # MSG01
    copay_pick: _Pick = field(default_factory=_Pick)
    deductible_pick: _Pick = field(default_factory=_Pick)
    remaining_pick: _Pick = field(default_factory=_Pick)

    @property
    def active(self) -> bool:
        """Active when the payer says so and nothing it says is inactive."""
        return bool(self.statuses) and not any(s in INACTIVE for s in self.statuses) and \
            any(s in ACTIVE for s in self.statuses)

    @property
    def copay(self) -> Decimal | None:
        return self.copay_pick.value

    @property
    def deductible(self) -> Decimal | None:
        return self.deductible_pick.value

    @property
    def deductible_remaining(self) -> Decimal | None:
        return self.remaining_pick.value

    @property
    def message(self) -> str:
        return "; ".join(self.rejects + self.messages)


@dataclass
class Parsed271:
    sender: str  # ISA06
    receiver: str  # ISA08: us
    interchange: str
    digest: str
    created_on: dt.date | None  # BHT04
    answers: list[EligibilityAnswer]


def read_271(text: str) -> Parsed271:
    """The whole interchange, checked; EligibilityFileError (naming the segment) when any of it is wrong."""
    segments, _term, digest = read_segments(text, EligibilityFileError)
    envelopes = Envelopes("HB", "271", "a 271 eligibility answer")
    answers: list[EligibilityAnswer] = []
    answer: EligibilityAnswer | None = None
    created: dt.date | None = None
    benefit: tuple[str, int] | None = None  # (EB01, rank) of the EB the next DTPs belong to
    try:
        for n, seg in enumerate(segments, start=1):
            sid = seg.get_seg_id()
            v: Callable[[str], str] = lambda ref: (seg.get_value(ref) or "").strip()  # noqa: E731
            where = envelopes.step(n, seg)
            if where in ("ST", "SE"):
                _finish(answer, n)
                answer, benefit = None, None
            if where != "body":
                continue
            if sid == "BHT":
                created = x12_date(v("BHT04"), n, sid)
            elif sid == "HL":
                level = v("HL03")
                parent = answer
                if level == "23" and parent is not None and not parent.statuses and not parent.rejects:
                    answers.remove(parent)  # the subscriber only carries the dependent asked about
                else:
                    _finish(parent, n)
                answer, benefit = None, None
                if level in ("22", "23"):
                    answer = EligibilityAnswer(n)
                    if level == "23" and parent is not None:  # the dependent is covered under the subscriber's ID
                        answer.member_id, answer.trace = parent.member_id, parent.trace
                    answers.append(answer)
            elif answer is None:
                continue
            elif sid == "TRN" and v("TRN01") == "2" and (not answer.trace or policy_of_trace(answer.trace) is None):
                answer.trace = v("TRN02")  # ours first, when another's trace comes too
            elif sid == "NM1" and v("NM101") in ("IL", "03") and benefit is None:
                answer.name = " ".join(p for p in (v("NM104"), v("NM103")) if p)
                if v("NM109"):
                    answer.member_id = v("NM109")
            elif sid == "DMG" and benefit is None:
                if v("DMG01") == "D8":
                    answer.dob = x12_date(v("DMG02"), n, sid)
            elif sid == "AAA":
                code = v("AAA03")
                answer.rejects.append(f"AAA {code}: {REJECTS.get(code, 'request rejected')}")
            elif sid == "DTP":
                _date(answer, v("DTP01"), v("DTP02"), v("DTP03"), n, benefit)
            elif sid == "EB":
                benefit = _benefit(answer, v, n)
            elif sid == "MSG" and v("MSG01"):
                answer.messages.append(v("MSG01"))
        envelopes.finish(segments[-1].get_seg_id())
    except X12Fail as exc:
        raise EligibilityFileError(f"Nothing was posted: {exc}") from None
    if not answers:
        raise EligibilityFileError("Nothing was posted: the 271 speaks of no subscriber (no HL of level 22).")
    return Parsed271(envelopes.sender, envelopes.receiver, envelopes.interchange, digest, created, answers)


def _rank(v: Callable[[str], str]) -> int:
    """Lower is better: in network (EB12 Y or not said), individual (EB02 IND or not said)."""
    network = {"Y": 0, "": 1, "W": 1}.get(v("EB12"), 4)
    level = {"IND": 0, "": 1}.get(v("EB02"), 2)
    return network * 3 + level


def _benefit(answer: EligibilityAnswer, v: Callable[[str], str], n: int) -> tuple[str, int]:
    code, rank = v("EB01"), _rank(v)
    if not code:
        raise X12Fail(n, "EB", "EB01 is empty (1 active, 6 inactive, B copay, C deductible...).")
    if code in ACTIVE or code in INACTIVE:
        answer.statuses.append(code)
        if v("EB05") and not answer.plan_name:
            answer.plan_name = v("EB05")
    elif code == "B" and v("EB07"):
        answer.copay_pick.offer(x12_amount_value(v("EB07"), n, "EB", "EB07"), rank)
    elif code == "C" and v("EB07"):
        amount = x12_amount_value(v("EB07"), n, "EB", "EB07")
        if v("EB06") == "29":
            answer.remaining_pick.offer(amount, rank)
        elif v("EB06") in ("23", ""):
            answer.deductible_pick.offer(amount, rank)
    return code, rank


def _date(answer: EligibilityAnswer, qualifier: str, form: str, value: str, n: int,
          benefit: tuple[str, int] | None) -> None:
    if benefit is not None and benefit[0] not in ACTIVE | INACTIVE:
        return  # a date of a copay or deductible, not of the plan
    if form == "RD8":
        begin, _sep, end = value.partition("-")
        first, last = x12_date(begin, n, "DTP"), x12_date(end, n, "DTP")
        if qualifier in ("291", "346", "356"):
            answer.plan_begin, answer.plan_end = answer.plan_begin or first, answer.plan_end or last
        return
    if form != "D8":
        return
    day = x12_date(value, n, "DTP")
    if qualifier in ("346", "356"):
        answer.plan_begin = day
    elif qualifier in ("347", "357"):
        answer.plan_end = day
    elif qualifier == "291" and benefit is None:
        answer.asked_on = day
    elif qualifier == "291":
        answer.plan_begin = answer.plan_begin or day


def _finish(answer: EligibilityAnswer | None, n: int) -> None:
    if answer is None:
        return
    if not answer.member_id and not answer.trace:
        raise X12Fail(n, "HL", f"the subscriber at segment {answer.segment} has neither our trace (TRN*2) "
                               "nor a member ID (NM109).")
    if not answer.statuses and not answer.rejects:
        raise X12Fail(n, "HL", f"the subscriber at segment {answer.segment} ({answer.name or answer.member_id}) "
                               "has no answer: no coverage (EB) and no rejection (AAA).")
