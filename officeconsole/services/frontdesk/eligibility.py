"""Electronic eligibility: ask the payers (270) about the day's patients, post their answers (271).

`write_270(day, folder)` asks, in one file, about every policy in force on `day` of every patient
booked that day (not cancelled); a patient with no such policy, or whose payer has no electronic
payer ID, is listed as skipped with the reason. Each inquiry carries a trace naming the policy.

`post_271(path)` reads the answer file whole first (x12_271): one that is cut off, malformed, for
another submitter, or that speaks of a member or policy this clinic does not have is refused with
its reason and nothing is kept. Then, in one transaction, one `eligibility_check` per policy:
active or not, plan dates, copay, deductible and what remains of it, the day it was checked, each
audited. The same file twice changes nothing (the file's digest is kept with each answer).
The desk's own typed-in verification (check-in) is separate and stays as it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from officeconsole.models import (
    Appointment,
    EligibilityCheck,
    InsurancePolicy,
    Patient,
    Payer,
)
from officeconsole.models.enums import AppointmentStatus
from officeconsole.services.billing.acknowledgements import sender_id
from officeconsole.services.billing.claim_data import (
    ClaimPatient,
    billing_provider,
    claim_policy,
)
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.folders import writable_folder
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.money import money
from officeconsole.services.common.permissions import requires
from officeconsole.services.formats.x12_270 import EligibilityAsk, policy_of_trace, write_270
from officeconsole.services.formats.x12_271 import (
    EligibilityAnswer,
    EligibilityFileError,
    read_271,
)
from officeconsole.services.formats.x12_837 import patient_name, subscriber_name, x12_text
from officeconsole.services.formats.x12_envelope import read_x12_file
from officeconsole.services.operations.export_files import write_atomically
from officeconsole.services.practice.clinic import next_number
from officeconsole.services.scheduling.schedule import day_bounds
from officeconsole.services.security import audit


@dataclass(frozen=True)
class Skipped:
    patient: str  # 'Doe, Jane (MRN 000123)'
    reason: str


@dataclass(frozen=True)
class InquiryResult:
    day: dt.date
    path: Path | None  # None when there was no one to ask about
    control_number: int | None
    asked: list[str] = field(default_factory=list)  # 'Doe, Jane: Acme Health member M123'
    skipped: list[Skipped] = field(default_factory=list)

    def summary(self) -> str:
        if self.path is None and not self.skipped:
            return f"No 270 written for {self.day:%m/%d/%Y}: nobody is booked that day."
        if self.path is None:
            return f"No 270 written for {self.day:%m/%d/%Y}: no booked patient has a policy to ask about."
        return (f"270 for {self.day:%m/%d/%Y} written to {self.path}: {len(self.asked)} policies asked about"
                + (f", {len(self.skipped)} patients skipped." if self.skipped else "."))


@dataclass(frozen=True)
class EligibilityView:
    """The latest answer about one policy."""

    policy_id: int
    patient_id: int
    payer_name: str
    checked_on: dt.date
    active: bool
    plan_begin: dt.date | None
    plan_end: dt.date | None
    copay: Decimal | None
    deductible: Decimal | None
    deductible_remaining: Decimal | None
    plan_name: str = ""
    message: str = ""

    def describe(self) -> str:
        """'Eligibility 12/05: active, copay $25.00, deductible $300.00 of $1,000.00 left' or
        'Eligibility 12/05: inactive since 11/30/2025'."""
        head = f"Eligibility {self.checked_on:%m/%d}: "
        if not self.active:
            since = f" since {self.plan_end:%m/%d/%Y}" if self.plan_end else ""
            return head + f"inactive{since}" + (f" ({self.message})" if self.message else "")
        parts = ["active"]
        if self.copay is not None:
            parts.append(f"copay {money(self.copay)}")
        if self.deductible_remaining is not None and self.deductible is not None:
            parts.append(f"deductible {money(self.deductible_remaining)} of {money(self.deductible)} left")
        elif self.deductible is not None:
            parts.append(f"deductible {money(self.deductible)}")
        elif self.deductible_remaining is not None:
            parts.append(f"deductible {money(self.deductible_remaining)} left")
        if self.plan_end is not None:
            parts.append(f"plan ends {self.plan_end:%m/%d/%Y}")
        return head + ", ".join(parts)


@dataclass(frozen=True)
class PostedLine:
    patient: str
    payer: str
    member_id: str
    active: bool
    said: str  # EligibilityView.describe()


@dataclass(frozen=True)
class PostResult:
    file_name: str
    lines: list[PostedLine] = field(default_factory=list)
    posted_before: dt.datetime | None = None

    def summary(self) -> str:
        if self.posted_before is not None:
            return f"This 271 was posted before ({self.posted_before:%Y-%m-%d %H:%M}): nothing changed."
        active = sum(1 for line in self.lines if line.active)
        return f"271 {self.file_name}: {len(self.lines)} policies, {active} active, {len(self.lines) - active} inactive."


def _who(patient: Patient) -> str:
    return f"{patient.last_name}, {patient.first_name} (MRN {patient.mrn})"


def _in_force(day: dt.date) -> ColumnElement[bool]:
    return (InsurancePolicy.effective_from <= day) & (
        InsurancePolicy.effective_to.is_(None) | (InsurancePolicy.effective_to >= day))


def _view(check: EligibilityCheck, payer_name: str) -> EligibilityView:
    return EligibilityView(check.policy_id, check.patient_id, payer_name, check.checked_on, check.active,
                           check.plan_begin, check.plan_end, check.copay, check.deductible,
                           check.deductible_remaining, check.plan_name, check.message)


def _member(text: str) -> str:
    return x12_text(text, 80).replace(" ", "")


class EligibilityService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # ----- 270 -----------------------------------------------------------------------
    @requires("eligibility.check")
    def write_270(self, day: dt.date, folder: Path | str) -> InquiryResult:
        """One 270 asking about every policy in force on `day` of the patients booked that day."""
        out = writable_folder(folder, EligibilityFileError, "the eligibility inquiry")
        with self.ctx.db.write() as session:
            asks, asked, skipped = self._asks(session, day)
            if not asks:
                return InquiryResult(day, None, None, [], skipped)
            control = next_number(session, "x12_interchange", start=1)
            now = self.ctx.now()
            text = write_270(asks, control, now.astimezone(self.ctx.timezone), day, billing_provider(session))
            name = f"270-{control:09d}-{day:%Y%m%d}.x12"
            audit.record(session, now, self.ctx.actor, "eligibility.inquiry", entity="x12_interchange",
                         entity_id=control, summary=f"{name}: {len(asks)} policies for {day:%Y-%m-%d}, "
                                                    f"{len(skipped)} patients skipped")
            path = write_atomically(out / name, text.encode("ascii"))
        return InquiryResult(day, path, control, asked, skipped)

    def _asks(self, session: Session, day: dt.date) -> tuple[list[EligibilityAsk], list[str], list[Skipped]]:
        start, end = day_bounds(day, self.ctx)
        patient_ids = list(dict.fromkeys(session.scalars(
            select(Appointment.patient_id).where(Appointment.start_at >= start, Appointment.start_at < end,
                                                 Appointment.status != AppointmentStatus.CANCELLED)
            .order_by(Appointment.start_at, Appointment.id))))
        asks, asked, skipped = [], [], []
        for patient_id in patient_ids:
            patient = get_or_fail(session, Patient, patient_id, "patient")
            policies = list(session.scalars(select(InsurancePolicy).where(
                InsurancePolicy.patient_id == patient_id, _in_force(day)).order_by(InsurancePolicy.rank)))
            if not policies:
                skipped.append(Skipped(_who(patient), f"no insurance policy in force on {day:%m/%d/%Y}"))
                continue
            if patient.dob is None:
                skipped.append(Skipped(_who(patient), "no date of birth on file (the payer needs it)"))
                continue
            person = ClaimPatient(patient.id, patient.mrn, patient.first_name, patient.middle_name,
                                  patient.last_name, patient.dob, patient.sex, "", "", "", "", "",
                                  patient.latin_first_name, patient.latin_last_name)
            for row in policies:
                policy = claim_policy(session, row)
                if not _member(policy.member_id):
                    skipped.append(Skipped(_who(patient), f"{policy.payer_name}: no member ID on the policy"))
                    continue
                if not x12_text(policy.payer_code, 80):
                    skipped.append(Skipped(_who(patient), f"{policy.payer_name} has no electronic payer ID "
                                                          "(set it under Payers)"))
                    continue
                if policy.relationship != "self" and policy.subscriber_dob is None:
                    skipped.append(Skipped(_who(patient), f"{policy.payer_name}: the subscriber's date of "
                                                          "birth is missing"))
                    continue
                asks.append(EligibilityAsk(row.id, policy.payer_name, policy.payer_code, policy.member_id,
                                           subscriber_name(policy, person), policy.subscriber_dob,
                                           policy.relationship, patient_name(person), patient.dob, patient.sex,
                                           policy.group_number))
                asked.append(f"{patient.last_name}, {patient.first_name}: {policy.payer_name} member "
                             f"{policy.member_id}")
        return asks, asked, skipped

    # ----- 271 -----------------------------------------------------------------------
    @requires("eligibility.check")
    def post_271(self, path: Path | str) -> PostResult:
        """Read and post a 271 file: all of it, or nothing."""
        return self.post_text(*read_x12_file(path, EligibilityFileError))

    @requires("eligibility.check")
    def post_text(self, text: str, file_name: str = "") -> PostResult:
        parsed = read_271(text)
        name = file_name or f"271-{parsed.interchange}"
        try:
            with self.ctx.db.write() as session:
                earlier = session.scalar(select(func.min(EligibilityCheck.posted_at))
                                         .where(EligibilityCheck.file_digest == parsed.digest))
                if earlier is not None:
                    return PostResult(name, posted_before=earlier.astimezone(self.ctx.timezone))
                ours = sender_id(session)
                if parsed.receiver and ours and parsed.receiver.upper() != ours.upper():
                    raise EligibilityFileError(
                        f"Nothing was posted: this 271 is for submitter {parsed.receiver!r}, not this clinic "
                        f"({ours}). Check that the clearinghouse sent the right file.")
                matched = self._match(session, parsed.answers)
                now = self.ctx.now()
                user_id = self.ctx.actor_or_fail().user_id
                default_day = parsed.created_on or self.ctx.today()
                lines = []
                for answer, policy in matched:
                    patient = get_or_fail(session, Patient, policy.patient_id, "patient")
                    payer = get_or_fail(session, Payer, policy.payer_id, "payer")
                    check = EligibilityCheck(
                        policy_id=policy.id, patient_id=policy.patient_id,
                        checked_on=answer.asked_on or default_day, active=answer.active,
                        plan_begin=answer.plan_begin, plan_end=answer.plan_end, copay=answer.copay,
                        deductible=answer.deductible, deductible_remaining=answer.deductible_remaining,
                        plan_name=answer.plan_name[:60], message=answer.message[:200], trace=answer.trace[:50],
                        file_digest=parsed.digest, posted_at=now, posted_by_id=user_id)
                    session.add(check)
                    session.flush()
                    said = _view(check, payer.name).describe()
                    audit.record(session, now, self.ctx.actor, "eligibility.posted", entity="eligibility_check",
                                 entity_id=check.id, patient_id=policy.patient_id,
                                 summary=f"{name}: {payer.name} member {policy.member_id}: {said}")
                    lines.append(PostedLine(f"{patient.last_name}, {patient.first_name}", payer.name,
                                            policy.member_id, answer.active, said))
                return PostResult(name, lines)
        except IntegrityError:  # the same file posted at the same moment by another console
            with self.ctx.db.read() as session:
                earlier = session.scalar(select(func.min(EligibilityCheck.posted_at))
                                         .where(EligibilityCheck.file_digest == parsed.digest))
            if earlier is None:
                raise
            return PostResult(name, posted_before=earlier.astimezone(self.ctx.timezone))

    def _match(self, session: Session,
               answers: list[EligibilityAnswer]) -> list[tuple[EligibilityAnswer, InsurancePolicy]]:
        """Each answer's policy: the one our trace names (its member ID must agree), or else the only
        policy with that member ID. Any answer that matches nothing refuses the whole file."""
        matched: dict[int, tuple[EligibilityAnswer, InsurancePolicy]] = {}
        problems = []
        for answer in answers:
            policy, why = None, ""
            policy_id = policy_of_trace(answer.trace)
            member = _member(answer.member_id)
            if policy_id is not None:
                policy = session.get(InsurancePolicy, policy_id)
                if policy is None:
                    why = f"trace {answer.trace} names no policy of this clinic"
                elif member and _member(policy.member_id) != member:
                    why = (f"trace {answer.trace} names a policy whose member ID is not {answer.member_id}")
                    policy = None
            else:
                found = [p for p in session.scalars(select(InsurancePolicy).where(
                    func.upper(InsurancePolicy.member_id) == answer.member_id.upper()))] if member else []
                if not found and member:
                    found = [p for p in session.scalars(select(InsurancePolicy)) if _member(p.member_id) == member]
                if len(found) == 1:
                    policy = found[0]
                else:
                    why = (f"member ID {answer.member_id!r} is on no policy of this clinic" if not found else
                           f"member ID {answer.member_id!r} is on {len(found)} policies: the answer cannot be placed")
            if policy is None:
                problems.append(f"segment {answer.segment} ({answer.name or answer.member_id}): {why}")
                continue
            matched[policy.id] = (answer, policy)  # a policy answered twice: the last answer stands
        if problems:
            raise EligibilityFileError("Nothing was posted: " + "; ".join(problems[:5])
                                       + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
                                       + ". Check that the file is this clinic's and that the patients are here.")
        return list(matched.values())

    # ----- reading -------------------------------------------------------------------
    @requires("eligibility.check")
    def latest(self, patient_id: int) -> list[EligibilityView]:
        """The latest answer about each of the patient's policies, in the policies' rank order."""
        with self.ctx.db.read() as session:
            return latest_answers(session, [patient_id]).get(patient_id, [])

    @requires("eligibility.check")
    def inactive_on(self, day: dt.date, patient_ids: list[int]) -> dict[int, list[str]]:
        """Of these patients, those with a policy in force on `day` whose latest answer said inactive
        (patient id -> those policies' payers): the visits the schedule and the desk's lists mark."""
        with self.ctx.db.read() as session:
            return inactive_on(session, patient_ids, day)


def latest_answers(session: Session, patient_ids: list[int]) -> dict[int, list[EligibilityView]]:
    """patient id -> the latest answer of each policy (newest checked, then newest posted)."""
    if not patient_ids:
        return {}
    rows = session.execute(
        select(EligibilityCheck, Payer.name, InsurancePolicy.rank)
        .join(InsurancePolicy, InsurancePolicy.id == EligibilityCheck.policy_id)
        .join(Payer, Payer.id == InsurancePolicy.payer_id)
        .where(EligibilityCheck.patient_id.in_(patient_ids))
        .order_by(InsurancePolicy.rank, EligibilityCheck.policy_id, EligibilityCheck.checked_on.desc(),
                  EligibilityCheck.id.desc())).all()
    seen: set[int] = set()
    out: dict[int, list[EligibilityView]] = {}
    for check, payer_name, _rank in rows:
        if check.policy_id in seen:
            continue
        seen.add(check.policy_id)
        out.setdefault(check.patient_id, []).append(_view(check, payer_name))
    return out


def inactive_on(session: Session, patient_ids: list[int], day: dt.date) -> dict[int, list[str]]:
    """patient id -> the payers of the patient's policies in force on `day` (by the policy's own
    dates) whose latest 271 answer said inactive. A policy ended on file, or answered active since,
    is no longer counted."""
    found = latest_answers(session, list(dict.fromkeys(patient_ids)))
    inactive = {v.policy_id: v for views in found.values() for v in views if not v.active}
    if not inactive:
        return {}
    in_force = set(session.scalars(select(InsurancePolicy.id).where(
        InsurancePolicy.id.in_(list(inactive)), _in_force(day))))
    out: dict[int, list[str]] = {}
    for policy_id, view in inactive.items():
        if policy_id in in_force:
            out.setdefault(view.patient_id, []).append(view.payer_name)
    return out
