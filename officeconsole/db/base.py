"""The declarative base, with a constraint naming convention set before revision 1."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import MetaData, Numeric, String
from sqlalchemy.orm import DeclarativeBase

from officeconsole.db.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        str: String(255),
        dt.datetime: UTCDateTime(),
        Decimal: Numeric(12, 2),
    }
