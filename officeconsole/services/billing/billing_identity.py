"""The identifiers every claim carries: the clinic's NPI, tax ID and ZIP+4, its
clearinghouse, and each provider's NPI. Check digits are verified before anything is saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from officeconsole.models import Provider, User
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.identifiers import parse_ein, valid_npi
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text
from officeconsole.services.practice.clinic import clinic_row
from officeconsole.services.security import audit

_ZIP9 = re.compile(r"^(\d{5})-?(\d{4})$")
_INTERCHANGE_ID = re.compile(r"^[A-Z0-9]{2,15}$")


@dataclass
class Identities:
    npi: str = ""
    tax_id: str = ""
    postal_code: str = ""
    clearinghouse_id: str = ""
    clearinghouse_name: str = ""
    provider_npis: dict[int, str] | None = None  # provider id -> NPI


@dataclass(frozen=True)
class ProviderNpi:
    provider_id: int
    name: str
    npi: str


class BillingIdentityService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("billing.view")
    def identities(self) -> tuple[Identities, list[ProviderNpi]]:
        with self.ctx.db.read() as session:
            c = clinic_row(session)
            providers = [ProviderNpi(p_id, name, npi) for p_id, name, npi in session.execute(
                select(Provider.id, User.full_name, Provider.npi).join(User, User.id == Provider.user_id)
                .where(Provider.active.is_(True)).order_by(User.full_name))]
            return (Identities(c.npi, c.tax_id, c.postal_code, c.clearinghouse_id, c.clearinghouse_name,
                               {p.provider_id: p.npi for p in providers}), providers)

    @requires("clinic.manage")
    def set_identities(self, data: Identities) -> Identities:
        errors: dict[str, str] = {}
        npi = clean_text(data.npi)
        if not valid_npi(npi):
            errors["npi"] = f"{npi or 'The NPI'} is not a valid NPI (10 digits, the last a check digit)."
        try:
            tax_id = parse_ein(clean_text(data.tax_id))
        except ValueError:
            errors["tax_id"] = "Tax ID: an EIN such as 37-1234567."
            tax_id = ""
        match = _ZIP9.match(clean_text(data.postal_code))
        if not match:
            errors["postal_code"] = "ZIP+4: nine digits such as 62704-1234 (claims need all nine)."
        clearinghouse = clean_text(data.clearinghouse_id).upper()
        if not _INTERCHANGE_ID.match(clearinghouse):
            errors["clearinghouse_id"] = "Clearinghouse ID: 2-15 letters or digits, as the clearinghouse gave it."
        providers = {}
        for provider_id, value in (data.provider_npis or {}).items():
            if not valid_npi(clean_text(value)):
                errors[f"provider_{provider_id}"] = f"{value or 'The NPI'} is not a valid NPI."
            providers[provider_id] = clean_text(value)
        if errors or match is None:  # no match always names the ZIP in errors
            raise ValidationError(errors)
        now = self.ctx.now()
        try:
            with self.ctx.db.write() as session:
                c = clinic_row(session)
                before = (c.npi, c.tax_id, c.postal_code, c.clearinghouse_id)
                c.npi, c.tax_id = npi, tax_id
                c.postal_code = f"{match.group(1)}-{match.group(2)}"
                c.clearinghouse_id = clearinghouse
                c.clearinghouse_name = clean_text(data.clearinghouse_name, 60)
                for provider_id, value in providers.items():
                    provider = session.get(Provider, provider_id)
                    if provider is None:
                        raise ValidationError({f"provider_{provider_id}": "No such provider."})
                    provider.npi = value
                session.flush()
                audit.record(session, now, self.ctx.actor, "clinic.billing_ids", entity="clinic", entity_id=1,
                             summary=f"NPI/tax ID/ZIP/clearinghouse {before} -> "
                                     f"{(c.npi, c.tax_id, c.postal_code, c.clearinghouse_id)}; "
                                     f"provider NPIs {providers or 'unchanged'}")
        except IntegrityError:
            raise ValidationError({"provider": "Two providers cannot share one NPI."}) from None
        return self.identities()[0]
