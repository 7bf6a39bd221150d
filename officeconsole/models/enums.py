"""Closed vocabularies, kept as plain strings in the database with CHECK constraints."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    FRONT_DESK = "front_desk"
    BILLING = "billing"
    MANAGER = "manager"
    PROVIDER = "provider"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").title()


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    OTHER = "X"
    UNKNOWN = "U"


class ContactPreference(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    MAIL = "mail"


class PatientStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    MERGED = "merged"


class Relationship(StrEnum):
    SELF = "self"
    SPOUSE = "spouse"
    CHILD = "child"
    OTHER = "other"


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    ARRIVED = "arrived"
    ROOMED = "roomed"
    WITH_PROVIDER = "with_provider"
    CHECKED_OUT = "checked_out"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


def check_in(column: str, enum: type[StrEnum]) -> str:
    """SQL for a CHECK that `column` holds one of the enum's values."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"
