"""When a provider works: weekly templates, their blocks, one-day exceptions, holidays and time off,
read for some providers over a range of days in a few queries.

`HoursCalendar` (and `working_intervals` for one day) is the single answer to "when does this
provider work", read by booking, the slot finder, the schedule grid, the waitlist and the rota.
The rules are in services/scheduling/hours.py's docstring; the changes are made by `HoursService` there.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from officeconsole.models import Holiday, Provider, ScheduleException, TimeOff, WorkingHours
from officeconsole.models.roster import TimeOffStatus

Interval = tuple[dt.time, dt.time]
Block = tuple[dt.time, dt.time, str]


class HoursCalendar:
    """Working hours of some providers over a date range, read in a few queries.

    The slot finder asks about hundreds of provider-days; this answers them from memory.
    """

    def __init__(self, session: Session, provider_ids: list[int], first: dt.date, last: dt.date) -> None:
        self.holiday_names: dict[dt.date, str] = dict(session.execute(select(Holiday.day, Holiday.name).where(
            Holiday.day >= first, Holiday.day <= last, Holiday.confirmed.is_(True))).all())
        self.holidays = set(self.holiday_names)
        self.exceptions: dict[tuple[int, dt.date], list[Interval]] = {}
        self.notes: dict[tuple[int, dt.date], str] = {}
        for provider_id, day, start, end, note in session.execute(
                select(ScheduleException.provider_id, ScheduleException.day, ScheduleException.start_time,
                       ScheduleException.end_time, ScheduleException.note)
                .where(ScheduleException.provider_id.in_(provider_ids),
                       ScheduleException.day >= first, ScheduleException.day <= last)):
            intervals = self.exceptions.setdefault((provider_id, day), [])
            if start is not None:
                intervals.append((start, end))
            if note:
                self.notes[provider_id, day] = note
        # Approved time off empties a provider's day (the slot finder skips it; booking refuses).
        self.away: dict[tuple[int, dt.date], str] = {}
        for provider_id, start, end, kind in session.execute(
                select(Provider.id, TimeOff.first_day, TimeOff.last_day, TimeOff.kind)
                .join(TimeOff, TimeOff.user_id == Provider.user_id)
                .where(Provider.id.in_(provider_ids), TimeOff.status == TimeOffStatus.APPROVED,
                       TimeOff.first_day <= last, TimeOff.last_day >= first)):
            day = max(start, first)
            while day <= min(end, last):
                self.away[provider_id, day] = kind
                day += dt.timedelta(days=1)
        # Templates: every one that starts on or before `last` (the one in force on `first` among them).
        self.starts: dict[int, list[dt.date]] = {}
        self.work: dict[tuple[int, dt.date, int], list[Interval]] = {}
        self.block_rows: dict[tuple[int, dt.date, int], list[Block]] = {}
        for provider_id, effective, kind, weekday, start, end, label in session.execute(
                select(WorkingHours.provider_id, WorkingHours.effective_from, WorkingHours.kind,
                       WorkingHours.weekday, WorkingHours.start_time, WorkingHours.end_time, WorkingHours.label)
                .where(WorkingHours.provider_id.in_(provider_ids), WorkingHours.effective_from <= last)
                .order_by(WorkingHours.start_time)):
            starts = self.starts.setdefault(provider_id, [])
            if effective not in starts:
                bisect.insort(starts, effective)
            if kind == "block":
                self.block_rows.setdefault((provider_id, effective, weekday), []).append((start, end, label))
            else:
                self.work.setdefault((provider_id, effective, weekday), []).append((start, end))

    def template_start(self, provider_id: int, day: dt.date) -> dt.date | None:
        """The effective date of the template in force on `day` (None before the first one)."""
        starts = self.starts.get(provider_id, [])
        index = bisect.bisect_right(starts, day)
        return starts[index - 1] if index else None

    def source(self, provider_id: int, day: dt.date) -> str:
        """Where the day's hours come from: "holiday", "time off", "exception", "template" or ""."""
        if day in self.holidays:
            return "holiday"
        if (provider_id, day) in self.away:
            return "time off"
        if (provider_id, day) in self.exceptions:
            return "exception"
        start = self.template_start(provider_id, day)
        return "template" if start is not None and self.work.get((provider_id, start, day.weekday())) else ""

    def intervals(self, provider_id: int, day: dt.date) -> list[Interval]:
        """The bookable intervals: the template's working time minus its blocks, or the exception."""
        if day in self.holidays or (provider_id, day) in self.away:
            return []
        if (provider_id, day) in self.exceptions:
            return sorted(self.exceptions[provider_id, day])
        start = self.template_start(provider_id, day)
        if start is None:
            return []
        work = self.work.get((provider_id, start, day.weekday()), [])
        return subtract(work, self.block_rows.get((provider_id, start, day.weekday()), []))

    def blocks(self, provider_id: int, day: dt.date) -> list[Block]:
        """The template's recurring blocks that day (none on an exception, holiday or time off)."""
        if day in self.holidays or (provider_id, day) in self.away or (provider_id, day) in self.exceptions:
            return []
        start = self.template_start(provider_id, day)
        return sorted(self.block_rows.get((provider_id, start, day.weekday()), [])) if start else []


def subtract(work: list[Interval], blocks: list[Block] | list[Interval]) -> list[Interval]:
    """Working intervals with the blocks cut out, in order."""
    pieces = sorted(work)
    for block in sorted(blocks):
        start, end = block[0], block[1]
        cut: list[Interval] = []
        for a, b in pieces:
            if end <= a or start >= b:
                cut.append((a, b))
                continue
            if a < start:
                cut.append((a, start))
            if end < b:
                cut.append((end, b))
        pieces = cut
    return pieces


def working_intervals(session: Session, provider_id: int, day: dt.date) -> list[Interval]:
    """The provider's bookable intervals on `day`, in order; [] on a day off or a holiday."""
    return HoursCalendar(session, [provider_id], day, day).intervals(provider_id, day)


@dataclass(frozen=True)
class DayHours:
    """A provider's day as the hours give it: bookable intervals, blocks, and where they come from."""

    day: dt.date
    intervals: tuple[Interval, ...]
    blocks: tuple[Block, ...]
    source: str  # "template", "exception", "holiday", "time off" or "" (no hours that weekday)
    note: str  # the exception's note, the holiday's name or the kind of time off


def day_hours(calendar: HoursCalendar, provider_id: int, day: dt.date) -> DayHours:
    source = calendar.source(provider_id, day)
    note = {"holiday": calendar.holiday_names.get(day, ""), "time off": calendar.away.get((provider_id, day), ""),
            "exception": calendar.notes.get((provider_id, day), "")}.get(source, "")
    return DayHours(day, tuple(calendar.intervals(provider_id, day)), tuple(calendar.blocks(provider_id, day)),
                    source, note)
