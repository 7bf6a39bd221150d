"""Reading an X12 277CA (005010X214) claim acknowledgement: did the payer take each claim in for
adjudication, or reject it, and why?

The envelopes are checked as for every file we read (x12_envelope). The hierarchy is walked by
its HL levels: 20 the payer (NM1*PR), 21 the receiver (NM1*41: us), 19 the billing provider,
PT each claim: TRN*2 echoes our claim ID (CLM01), STC gives the status (category:status:entity,
plus the payer's free text in STC12), REF*1K the payer's claim number. A service line's STC (after
SVC) that rejects the line rejects the claim too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from officeconsole.services.formats.x12_999 import AckFileError
from officeconsole.services.formats.x12_envelope import Envelopes, X12Fail, read_segments

ACCEPTED = frozenset({"A2", "A5"})  # accepted for adjudication (A5: split)
REJECTED = frozenset({"A3", "A4", "A6", "A7", "A8"})  # returned unprocessable, not found, rejected
ENTITIES = {"85": "billing provider", "82": "rendering provider", "IL": "subscriber", "QC": "patient",
            "PR": "payer", "41": "submitter", "40": "receiver", "77": "service location", "DN": "referring provider"}
# Claim status codes (code list 508) a biller meets most; others are shown by number.
STATUSES = {"0": "cannot provide further status electronically", "3": "claim has been adjudicated",
            "16": "claim/encounter has been rejected and has not been entered into the adjudication system",
            "19": "entity acknowledges receipt of claim/encounter", "20": "accepted for processing",
            "21": "missing or invalid information", "33": "subscriber and subscriber ID not found",
            "35": "claim/encounter not found", "97": "patient eligibility not found with entity",
            "145": "entity's Medicare provider ID", "153": "entity's ID number",
            "158": "entity's date of birth", "164": "entity's contract/member number",
            "187": "date(s) of service", "189": "facility type code",
            "247": "line information", "454": "procedure code for services rendered",
            "455": "revenue code for services rendered", "562": "entity's National Provider Identifier (NPI)",
            "583": "diagnosis code", "672": "the number of digits is invalid",
            "732": "information submitted inconsistent with billing guidelines"}


@dataclass
class ClaimStatus:
    """One STC: category (A2, A7...), status code, entity, and the payer's words."""

    category: str
    status: str
    entity: str
    text: str = ""

    @property
    def code(self) -> str:
        return ":".join(p for p in (self.category, self.status, self.entity) if p)

    def describe(self) -> str:
        what = STATUSES.get(self.status, f"status {self.status}") if self.status else ""
        whose = ENTITIES.get(self.entity, "")
        words = f"{what} ({whose})" if what and whose else what or whose
        return "; ".join(p for p in (f"{self.code} {words}".strip(), self.text) if p)


@dataclass
class ClaimAnswer:
    claim_id: str  # TRN02 at the claim level: our CLM01
    statuses: list[ClaimStatus] = field(default_factory=list)  # the claim's own STCs, then rejecting line STCs
    payer_claim_number: str = ""  # REF*1K
    patient_name: str = ""  # NM1*QC as the payer has it
    segment: int = 0

    @property
    def outcome(self) -> str:
        """'rejected', 'accepted', or '' when the payer only says it received the claim."""
        categories = {s.category for s in self.statuses}
        if categories & REJECTED:
            return "rejected"
        return "accepted" if categories & ACCEPTED else ""

    @property
    def codes(self) -> str:
        return ", ".join(s.code for s in self.statuses)[:100]

    def describe(self) -> str:
        chosen = [s for s in self.statuses if s.category in REJECTED] or self.statuses
        return " | ".join(s.describe() for s in chosen)


@dataclass
class Parsed277:
    sender: str  # ISA06
    receiver: str  # ISA08: us
    receiver_ids: list[str]  # NM109 of each NM1*41 (the information receiver: our submitter ID)
    interchange: str
    digest: str
    claims: list[ClaimAnswer]


def read_277ca(text: str) -> Parsed277:
    """The whole interchange, checked; AckFileError (naming the segment) when any of it is wrong."""
    segments, _term, digest = read_segments(text, AckFileError)
    envelopes = Envelopes("HN", "277", "a 277CA claim acknowledgement")
    claims: list[ClaimAnswer] = []
    receivers: list[str] = []
    level = ""
    claim: ClaimAnswer | None = None
    in_line = False
    try:
        for n, seg in enumerate(segments, start=1):
            sid = seg.get_seg_id()
            v: Callable[[str], str] = lambda ref: (seg.get_value(ref) or "").strip()  # noqa: E731
            where = envelopes.step(n, seg)
            if where == "SE":
                _finish(claim, n)
                claim, level = None, ""
            if where != "body":
                continue
            if sid == "HL":
                _finish(claim, n)
                level, claim, in_line = v("HL03"), None, False
                if level == "PT":
                    claim = ClaimAnswer("", segment=n)
                    claims.append(claim)
            elif sid == "NM1" and v("NM101") == "41" and level == "21":
                receivers.append(v("NM109"))
            elif sid == "NM1" and v("NM101") == "QC" and claim is not None:
                claim.patient_name = " ".join(p for p in (v("NM104"), v("NM103")) if p)
            elif sid == "TRN" and claim is not None and not in_line:
                claim.claim_id = v("TRN02")
            elif sid == "SVC" and claim is not None:
                in_line = True
            elif sid == "STC" and claim is not None:
                status = ClaimStatus(v("STC01-1"), v("STC01-2"), v("STC01-3"), v("STC12"))
                if not status.category:
                    raise X12Fail(n, sid, "STC01 has no status category (A2 accepted, A7 rejected...).")
                if not in_line or status.category in REJECTED:
                    if in_line:
                        status.text = ("a service line: " + status.text).strip(": ")
                    claim.statuses.append(status)
            elif sid == "REF" and v("REF01") == "1K" and claim is not None and not in_line:
                claim.payer_claim_number = v("REF02")
        envelopes.finish(segments[-1].get_seg_id())
    except X12Fail as exc:
        raise AckFileError(f"Nothing was posted: {exc}") from None
    if not claims:
        raise AckFileError("Nothing was posted: the 277CA speaks of no claim (no HL of level PT).")
    return Parsed277(envelopes.sender, envelopes.receiver, receivers, envelopes.interchange, digest, claims)


def _finish(claim: ClaimAnswer | None, n: int) -> None:
    if claim is None:
        return
    if not claim.claim_id:
        raise X12Fail(n, "HL", f"the claim at segment {claim.segment} has no claim ID (TRN02).")
    if not claim.statuses:
        raise X12Fail(n, "HL", f"the claim at segment {claim.segment} ({claim.claim_id}) has no status (STC).")
