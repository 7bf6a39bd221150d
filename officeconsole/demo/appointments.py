"""Generated appointments: each provider's working days filled the way a busy practice fills them.

Rows are plain dicts for bulk inserts. Past visits are mostly checked out, with the no-shows
and cancellations a real day has; today's visits before the current time are under way;
later ones are booked.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from officeconsole.models.enums import AppointmentStatus

DAY_START = dt.time(8, 0)
LUNCH = (dt.time(12, 0), dt.time(13, 0))
DAY_END = dt.time(17, 0)
SLOT_MINUTES = 10

REASONS = (
    "Follow-up: hypertension", "Annual physical", "Cough and fever", "Diabetes check",
    "Knee pain", "Medication refill", "Rash", "Low back pain", "Well-child visit",
    "Flu-like symptoms", "Blood pressure check", "Sore throat", "Headaches", "Lab results review",
    "Ear pain", "Sports physical", "Anxiety follow-up", "Shoulder pain", "Immunizations",
    "Cholesterol follow-up",
)


@dataclass(frozen=True)
class TypePlan:
    id: int
    minutes: int
    weight: int


@dataclass(frozen=True)
class ProviderPlan:
    id: int
    weekdays: frozenset[int]  # 0 = Monday
    fill: float  # share of the day that gets booked


def _status(rng: random.Random, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> str:
    if start.date() < now.date() or end <= now - dt.timedelta(hours=2):
        roll = rng.random()
        if roll < 0.07:
            return AppointmentStatus.NO_SHOW
        if roll < 0.15:
            return AppointmentStatus.CANCELLED
        return AppointmentStatus.CHECKED_OUT
    if start > now:
        return AppointmentStatus.CANCELLED if rng.random() < 0.03 else AppointmentStatus.SCHEDULED
    # Today, already started: somewhere on its way through the clinic.
    if end <= now:
        return rng.choice((AppointmentStatus.CHECKED_OUT, AppointmentStatus.WITH_PROVIDER))
    return rng.choice((AppointmentStatus.ARRIVED, AppointmentStatus.ROOMED, AppointmentStatus.WITH_PROVIDER))


@dataclass(frozen=True)
class SchedulePlan:
    """Who works, what can be booked, for whom, by whom, and what time it is now."""

    providers: list[ProviderPlan]
    types: list[TypePlan]
    patient_ids: range
    booked_by: list[int]
    tz: ZoneInfo
    now: dt.datetime


def provider_day(rng: random.Random, plan: SchedulePlan, provider: ProviderPlan, day: dt.date) -> Iterator[dict]:
    """One provider's appointments on one day, never overlapping, never over lunch."""
    if day.weekday() not in provider.weekdays:
        return
    tz, now = plan.tz, plan.now
    weights = [t.weight for t in plan.types]
    at = dt.datetime.combine(day, DAY_START, tz)
    lunch_start, lunch_end = (dt.datetime.combine(day, t, tz) for t in LUNCH)
    close = dt.datetime.combine(day, DAY_END, tz)
    while at < close:
        kind = rng.choices(plan.types, weights)[0]
        end = at + dt.timedelta(minutes=kind.minutes)
        if at < lunch_end and end > lunch_start:
            at = lunch_end
            continue
        if end > close:
            break
        if rng.random() < provider.fill:
            start_utc, end_utc = at.astimezone(dt.UTC), end.astimezone(dt.UTC)
            created = start_utc - dt.timedelta(days=rng.randint(1, 40), minutes=rng.randint(0, 480))
            yield {
                "patient_id": rng.choice(plan.patient_ids),
                "provider_id": provider.id,
                "type_id": kind.id,
                "start_at": start_utc,
                "end_at": end_utc,
                "status": _status(rng, start_utc, end_utc, now).value,
                "reason": rng.choice(REASONS),
                "created_by_id": rng.choice(plan.booked_by) if plan.booked_by else None,
                "created_at": min(created, now),
                "version": 1,
            }
            at = end
        else:
            at += dt.timedelta(minutes=SLOT_MINUTES * rng.choice((1, 2, 3)))


def schedule(rng: random.Random, plan: SchedulePlan, first_day: dt.date, last_day: dt.date) -> Iterator[dict]:
    """Every provider's days; a patient comes at most once a day (so never to two providers at once)."""
    day = first_day
    while day <= last_day:
        seen: set[int] = set()
        for provider in plan.providers:
            for row in provider_day(rng, plan, provider, day):
                while row["patient_id"] in seen and len(seen) < len(plan.patient_ids):
                    row["patient_id"] = rng.choice(plan.patient_ids)
                seen.add(row["patient_id"])
                yield row
        day += dt.timedelta(days=1)
