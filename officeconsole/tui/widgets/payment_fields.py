"""The payment fields every money form shares (check-in, check-out, payment on account)."""

from __future__ import annotations

from officeconsole.models.ledger import PaymentMethod
from officeconsole.services.frontdesk.ledger import PaymentInput
from officeconsole.tui.widgets.form_field import FormField, select_field, text_field


def payment_fields(amount_label: str, amount_hint: str, memo: str) -> list[FormField]:
    return [
        text_field(amount_label, "amount", "", placeholder=amount_hint, max_length=12),
        select_field("Method", "method", [(m.label, m.value) for m in PaymentMethod], PaymentMethod.CARD.value),
        text_field("Reference", "reference", "", placeholder="card last 4 / check no.", max_length=60),
        text_field("For", "memo", memo, max_length=200),
    ]


def payment_from(typed: dict[str, str], request_key: str, *, patient_id: int | None = None,
                 required: bool = False) -> PaymentInput | None:
    """The typed payment, or None when the amount is blank and a payment is optional."""
    if not required and not typed.get("amount", "").strip():
        return None
    return PaymentInput(patient_id=patient_id, amount=typed.get("amount", ""), method=typed.get("method", "card"),
                        reference=typed.get("reference", ""), memo=typed.get("memo", ""), request_key=request_key)
