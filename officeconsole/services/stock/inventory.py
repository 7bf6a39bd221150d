"""Stock: receiving deliveries, using items first-expiry-first-out, waste, counts, and what to order.

Every change is a movement and moves a lot's `on_hand` in the same transaction with a
conditional UPDATE (`on_hand >= n`), so the last unit cannot be used twice by two consoles
and stock never goes negative (the CHECK constraint is the floor under it). A use larger
than the first lot draws the rest from the next lots in expiry order. Forms hand in a
request key: a second press of "save" finds the first movements instead of repeating them.

Beside it: the forms' inputs (stock_inputs.py), the rows it returns (stock_rows.py, importable
from here too), its queries (stock_queries.py) and what a use bills on the visit (stock_charges.py).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from officeconsole.models import (
    Appointment,
    Encounter,
    InventoryItem,
    InventoryLot,
    Patient,
    Provider,
    StockMovement,
    User,
)
from officeconsole.models.inventory import MovementKind
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text, search_key
from officeconsole.services.reporting.day_sheet import served_on
from officeconsole.services.security import audit
from officeconsole.services.stock.stock_charges import charge_from_stock
from officeconsole.services.stock.stock_inputs import (
    TRACKED,
    CountLine,
    ItemInput,
    ReceiveLine,
    item_fields,
    parse_expiry,
    parse_quantity,
    unit_cost,
)
from officeconsole.services.stock.stock_queries import item_columns, lots_on_hand, next_expiry, stock_by_item
from officeconsole.services.stock.stock_rows import (
    CountResult,
    ItemRow,
    LotRow,
    Suggestion,
    Taken,
    UseResult,
    VisitChoice,
    item_row,
)


class InventoryService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # ----- reading -------------------------------------------------------------------
    @requires("inventory.view")
    def items(self, search: str = "", category: str | None = None, low_only: bool = False,
              limit: int = 500) -> list[ItemRow]:
        # On hand and next expiry are correlated subqueries on the (item_id, expires_on) index,
        # worked out only for the rows the page shows (a grouped subquery over every lot read the
        # whole lot table on each call: benchmarks/inventory.py). Which items are low needs every
        # item's total: PostgreSQL sums all lots in one hashed pass, twice as fast there as a
        # look-up per item; SQLite, which groups by sorting, is faster with the look-ups.
        # Plain columns, not entities: no ORM object per row.
        today = self.ctx.today()
        if low_only and self.ctx.db.dialect == "postgresql":
            stock = stock_by_item(today)
            on_hand = func.coalesce(stock.c.on_hand, 0)
            query = (select(*item_columns(), on_hand, stock.c.next_expiry)
                     .outerjoin(stock, stock.c.item_id == InventoryItem.id))
        else:
            on_hand = lots_on_hand()
            query = select(*item_columns(), on_hand, next_expiry(today))
        query = query.where(InventoryItem.active.is_(True)).order_by(InventoryItem.name_key).limit(limit)
        key = search_key(search)
        if key:
            query = query.where(InventoryItem.name_key >= key, InventoryItem.name_key < key + "\uffff")
        if category:
            query = query.where(InventoryItem.category == category)
        if low_only:
            query = query.where(on_hand <= InventoryItem.reorder_point)
        with self.ctx.db.read() as session:
            return [ItemRow(*row[:-2], int(row[-2]), row[-1]) for row in session.execute(query)]

    @requires("inventory.view")
    def lots(self, item_id: int | None = None, within_days: int | None = None) -> list[LotRow]:
        """Lots in stock, first expiry first: one item's, or every lot expiring within `within_days`
        (expired ones included)."""
        today = self.ctx.today()
        query = (select(InventoryLot.id, InventoryLot.item_id, InventoryItem.name, InventoryLot.lot_number,
                        InventoryLot.expires_on, InventoryLot.location, InventoryLot.on_hand)
                 .join(InventoryItem, InventoryItem.id == InventoryLot.item_id)
                 .where(InventoryLot.on_hand > 0)
                 .order_by(InventoryLot.expires_on.is_(None), InventoryLot.expires_on, InventoryLot.id))
        if item_id is not None:
            query = query.where(InventoryLot.item_id == item_id)
        if within_days is not None:
            query = query.where(InventoryLot.expires_on <= today + dt.timedelta(days=within_days))
        with self.ctx.db.read() as session:  # plain columns, not entities: no ORM object per lot
            return [LotRow(*row, None if row.expires_on is None else (row.expires_on - today).days)
                    for row in session.execute(query)]

    @requires("inventory.view")
    def alert_counts(self, within_days: int = 30) -> tuple[int, int]:
        """(lots expiring within `within_days`, expired included; items at or below their reorder
        point): the screen's strip, counted in the database rather than listed and measured."""
        today = self.ctx.today()
        expiring = (select(func.count()).select_from(InventoryLot)
                    .where(InventoryLot.on_hand > 0,
                           InventoryLot.expires_on <= today + dt.timedelta(days=within_days)))
        if self.ctx.db.dialect == "postgresql":
            stock = stock_by_item(today)
            low = (select(func.count()).select_from(InventoryItem).outerjoin(stock, stock.c.item_id == InventoryItem.id)
                   .where(InventoryItem.active.is_(True),
                          func.coalesce(stock.c.on_hand, 0) <= InventoryItem.reorder_point))
        else:
            low = (select(func.count()).select_from(InventoryItem)
                   .where(InventoryItem.active.is_(True), lots_on_hand() <= InventoryItem.reorder_point))
        with self.ctx.db.read() as session:
            return session.scalar(expiring) or 0, session.scalar(low) or 0

    @requires("inventory.view")
    def suggestions(self) -> list[Suggestion]:
        """Items at or below their reorder point, ordered up to par, grouped by vendor."""
        rows = [Suggestion(i.vendor or "(no vendor)", i.id, i.name, i.code, i.on_hand, i.reorder_point, i.par_level,
                           i.par_level - i.on_hand, i.unit_cost)
                for i in self.items(low_only=True, limit=100_000) if i.par_level > i.on_hand]
        return sorted(rows, key=lambda s: (s.vendor, s.item))

    @requires("inventory.view")
    def valuation(self) -> dict[str, Decimal]:
        """Stock value (on hand x unit cost) by category."""
        with self.ctx.db.read() as session:
            rows = session.execute(select(InventoryItem.category,
                                          func.sum(InventoryLot.on_hand * InventoryItem.unit_cost))
                                   .join(InventoryLot, InventoryLot.item_id == InventoryItem.id)
                                   .group_by(InventoryItem.category)).all()
        return {category: Decimal(total or 0).quantize(Decimal("0.01")) for category, total in rows}

    @requires("inventory.use")
    def visits_today(self) -> list[VisitChoice]:
        """Today's visits with an encounter, in appointment order: what a use can be recorded against."""
        today = self.ctx.today()
        query = (select(Encounter.id, Patient.id, Appointment.id, Patient.last_name, Patient.first_name, Patient.mrn,
                        Appointment.start_at, User.full_name)
                 .join(Appointment, Appointment.id == Encounter.appointment_id)
                 .join(Patient, Patient.id == Encounter.patient_id)
                 .join(Provider, Provider.id == Encounter.provider_id).join(User, User.id == Provider.user_id)
                 .where(served_on(today)).order_by(Appointment.start_at, Patient.last_name))
        zone = self.ctx.timezone
        with self.ctx.db.read() as session:
            return [VisitChoice(encounter, patient, visit,
                                f"{start.astimezone(zone):%H:%M} {last}, {first} (MRN {mrn}) · {provider}")
                    for encounter, patient, visit, last, first, mrn, start, provider in session.execute(query)]

    @requires("inventory.manage")
    def witnesses(self) -> list[tuple[int, str]]:
        """Active staff other than the person asking: who can witness the waste of an expired lot."""
        me = self.ctx.actor_or_fail().user_id
        with self.ctx.db.read() as session:
            return [tuple(row) for row in session.execute(
                select(User.id, User.full_name).where(User.active.is_(True), User.id != me).order_by(User.full_name))]

    @requires("inventory.view")
    def locations(self) -> list[str]:
        """Where stock is kept: every location a lot has been in, "Main" first."""
        with self.ctx.db.read() as session:
            found = set(session.scalars(select(InventoryLot.location).distinct()))
        return ["Main", *sorted(found - {"Main"})]

    # ----- changing ------------------------------------------------------------------
    @requires("inventory.manage")
    def add_item(self, data: ItemInput) -> ItemRow:
        fields = item_fields(data)
        with self.ctx.db.write() as session:
            item = InventoryItem(updated_at=self.ctx.now(), **fields)
            session.add(item)
            session.flush()
            audit.record(session, self.ctx.now(), self.ctx.actor, "inventory.item", entity="inventory_item",
                         entity_id=item.id, summary=f"{item.name} ({item.category})")
            return item_row(item, 0, None)

    @requires("inventory.manage")
    def receive(self, lines: list[ReceiveLine], request_key: str) -> int:
        """A delivery of several lines, all or nothing; returns the units received."""
        if not lines:
            raise ValidationError({"lines": "A delivery has at least one line."})
        today, total = self.ctx.today(), 0
        with self.ctx.db.write() as session:
            if _done(session, request_key):
                return sum(int(line.quantity) for line in lines)
            for n, line in enumerate(lines, start=1):
                item = get_or_fail(session, InventoryItem, line.item_id, "item")
                quantity = parse_quantity(line.quantity, f"line {n}")
                lot_number = clean_text(line.lot_number, 40).upper()
                expires = parse_expiry(line.expires_on, f"line {n}")
                problem = ""
                if item.category in TRACKED and (not lot_number or expires is None):
                    problem = f"{item.name}: a {item.category} needs its lot number and expiry date."
                elif expires is not None and expires < today:
                    problem = f"{item.name} lot {lot_number}: expired {expires:%m/%d/%Y}; do not receive it."
                if problem:
                    raise ValidationError({f"line_{n}": f"Line {n}: {problem}"})
                lot = _lot(session, item, lot_number, expires, clean_text(line.location, 40) or "Main", n)
                cost = (unit_cost(line.unit_cost, f"Line {n} unit cost") if line.unit_cost not in (None, "")
                        else item.unit_cost)
                self._move(session, item, lot, MovementKind.RECEIVE, quantity, f"{request_key}:{n}", unit_cost=cost)
                total += quantity
            audit.record(session, self.ctx.now(), self.ctx.actor, "inventory.receive", entity="inventory_item",
                         summary=f"{len(lines)} lines, {total} units")
        return total

    @requires("inventory.use")
    def use(self, item_id: int, quantity: int | str, request_key: str, *, patient_id: int | None = None,
            encounter_id: int | None = None, reason: str = "") -> UseResult:
        """Take `quantity` first-expiry-first-out across lots (expired lots are never used). For a
        patient, the movements name them, and an item with a billing code adds its charge line to
        the visit's encounter while that is still being coded."""
        amount = parse_quantity(quantity, "quantity")
        with self.ctx.db.write() as session:
            item = get_or_fail(session, InventoryItem, item_id, "item")
            if _done(session, request_key):
                return self._repeat(session, item, request_key)
            encounter = get_or_fail(session, Encounter, encounter_id, "encounter") if encounter_id else None
            if encounter is not None and patient_id and patient_id != encounter.patient_id:
                raise ValidationError({"visit": "That visit is another patient's."})
            patient_id = patient_id or (encounter.patient_id if encounter else None)
            patient = get_or_fail(session, Patient, patient_id, "patient") if patient_id else None
            lots = session.scalars(select(InventoryLot).where(
                InventoryLot.item_id == item.id, InventoryLot.on_hand > 0,
                (InventoryLot.expires_on.is_(None)) | (InventoryLot.expires_on >= self.ctx.today()))
                .order_by(InventoryLot.expires_on.is_(None), InventoryLot.expires_on, InventoryLot.id)).all()
            available = sum(lot.on_hand for lot in lots)
            if amount > available:
                raise ValidationError({"quantity": f"Only {available} {item.unit} of {item.name} in stock that has "
                                                   f"not expired; {amount} asked for. Nothing was taken."})
            taken, left = [], amount
            for n, lot in enumerate(lots, start=1):
                part = min(left, lot.on_hand)
                self._move(session, item, lot, MovementKind.USE, -part, f"{request_key}:{n}",
                           reason=clean_text(reason, 200),
                           patient_id=patient.id if patient else None, encounter_id=encounter.id if encounter else None)
                taken.append(Taken(lot.lot_number, lot.expires_on, part))
                left -= part
                if not left:
                    break
            charge = charge_from_stock(session, self.ctx, item, encounter, amount) if encounter else ""
            audit.record(session, self.ctx.now(), self.ctx.actor, "inventory.use", entity="inventory_item",
                         entity_id=item.id, patient_id=patient.id if patient else None,
                         summary=f"{amount} {item.unit} " + ", ".join(f"lot {t.lot_number} x{t.quantity}" for t in taken))
            return UseResult(item.name, taken, charge)

    @requires("inventory.manage")
    def waste(self, lot_id: int, quantity: int | str, reason: str, request_key: str,
              witness_id: int | None = None) -> int:
        """Take stock out as waste. An expired lot can leave stock only this way, with a reason and a
        witness (another member of staff)."""
        amount = parse_quantity(quantity, "quantity")
        why = clean_text(reason, 200)
        if not why:
            raise ValidationError({"reason": "Say why it is wasted (expired, broken, contaminated...)."})
        with self.ctx.db.write() as session:
            lot = get_or_fail(session, InventoryLot, lot_id, "lot")
            item = session.get(InventoryItem, lot.item_id)
            if _done(session, request_key):
                return amount
            expired = lot.expires_on is not None and lot.expires_on < self.ctx.today()
            if expired:
                witness = session.get(User, witness_id) if witness_id else None
                if witness is None or not witness.active or witness.id == self.ctx.actor_or_fail().user_id:
                    raise ValidationError({"witness": "An expired lot leaves stock with a witness: another member "
                                                      "of staff."})
            self._move(session, item, lot, MovementKind.WASTE, -amount, f"{request_key}:1", reason=why,
                       witness_id=witness_id if expired else None)
            audit.record(session, self.ctx.now(), self.ctx.actor, "inventory.waste", entity="inventory_lot",
                         entity_id=lot.id, summary=f"{item.name} lot {lot.lot_number} x{amount}: {why}")
        return amount

    @requires("inventory.use")
    def transfer(self, lot_id: int, quantity: int | str, to_location: str, request_key: str) -> str:
        """Move part of a lot to another location (the same lot and expiry there): two movements,
        out and in, in one transaction."""
        amount = parse_quantity(quantity, "quantity")
        where = clean_text(to_location, 40)
        if not where:
            raise ValidationError({"to_location": "Say where it goes (a room, the vaccine fridge...)."})
        with self.ctx.db.write() as session:
            lot = get_or_fail(session, InventoryLot, lot_id, "lot")
            item = session.get(InventoryItem, lot.item_id)
            moved = f"{item.name} lot {lot.lot_number or '(no lot)'} x{amount}: {lot.location} -> {where}"
            if _done(session, request_key):
                return moved
            if where.casefold() == lot.location.casefold():
                raise ValidationError({"to_location": f"It is already in {lot.location}."})
            if amount > lot.on_hand:
                raise ValidationError({"quantity": f"Only {lot.on_hand} {item.unit} in lot {lot.lot_number or '(no lot)'}"
                                                   f" at {lot.location}; {amount} asked for. Nothing was moved."})
            target = _lot(session, item, lot.lot_number, lot.expires_on, where, 1)
            self._move(session, item, lot, MovementKind.TRANSFER, -amount, f"{request_key}:1", reason=f"to {where}")
            self._move(session, item, target, MovementKind.TRANSFER, amount, f"{request_key}:2",
                       reason=f"from {lot.location}")
            audit.record(session, self.ctx.now(), self.ctx.actor, "inventory.transfer", entity="inventory_lot",
                         entity_id=lot.id, summary=moved)
        return moved

    @requires("inventory.manage")
    def count(self, lines: list[CountLine], request_key: str) -> CountResult:
        """A cycle count: each lot counted; the differences posted as adjustments, in one transaction."""
        result = CountResult()
        with self.ctx.db.write() as session:
            if _done(session, request_key):
                return result
            for n, line in enumerate(lines, start=1):
                counted = parse_quantity(line.counted, f"line {n}", allow_zero=True)
                lot = get_or_fail(session, InventoryLot, line.lot_id, "lot")
                difference = counted - lot.on_hand
                if difference:
                    item = session.get(InventoryItem, lot.item_id)
                    self._move(session, item, lot, MovementKind.ADJUST, difference, f"{request_key}:{n}",
                               reason=f"count: {counted} on the shelf, {lot.on_hand} expected")
                    result.adjusted.append((item.name, lot.lot_number, difference))
            audit.record(session, self.ctx.now(), self.ctx.actor, "inventory.count", entity="inventory_lot",
                         summary=f"{len(lines)} lots counted, {len(result.adjusted)} adjusted")
        return result

    # ----- helpers -------------------------------------------------------------------
    def _move(self, session: Session, item: InventoryItem, lot: InventoryLot, kind: str, quantity: int,
              key: str, **extra) -> None:
        """One movement and its lot's on-hand, changed together; the UPDATE only goes through while
        the lot holds enough, whoever else is taking from it at the same moment."""
        changed = session.execute(update(InventoryLot).where(
            InventoryLot.id == lot.id, InventoryLot.on_hand + quantity >= 0)
            .values(on_hand=InventoryLot.on_hand + quantity).execution_options(synchronize_session=False)).rowcount
        if changed != 1:
            raise ValidationError({"quantity": f"{item.name} lot {lot.lot_number}: someone else took from it a "
                                               "moment ago and there is not enough left. Nothing was taken."})
        session.expire(lot, ["on_hand"])
        extra.setdefault("unit_cost", item.unit_cost)
        session.add(StockMovement(item_id=item.id, lot_id=lot.id, kind=kind, quantity=quantity,
                                  user_id=self.ctx.actor_or_fail().user_id, at=self.ctx.now(),
                                  request_key=key[:40], **extra))
        session.flush()

    def _repeat(self, session: Session, item: InventoryItem, request_key: str) -> UseResult:
        rows = session.execute(select(StockMovement.quantity, InventoryLot.lot_number, InventoryLot.expires_on)
                               .join(InventoryLot, InventoryLot.id == StockMovement.lot_id)
                               .where(StockMovement.request_key.like(f"{request_key}:%"))
                               .order_by(StockMovement.id)).all()
        return UseResult(item.name, [Taken(lot, expires, -qty) for qty, lot, expires in rows], "")


def _done(session: Session, request_key: str) -> bool:
    key = clean_text(request_key, 36)
    if not key:
        raise ValidationError({"request_key": "Missing request key."})
    return session.scalar(select(StockMovement.id).where(StockMovement.request_key == f"{key}:1")) is not None


def _lot(session: Session, item: InventoryItem, lot_number: str, expires: dt.date | None, location: str,
         n: int) -> InventoryLot:
    """The item's lot by number (and location), created on first receipt; the same lot number
    with another expiry is refused: it is a typing mistake or a different lot."""
    if lot_number:
        other = session.scalar(select(InventoryLot.expires_on).where(
            InventoryLot.item_id == item.id, InventoryLot.lot_number == lot_number).limit(1))
        if other is not None and other != expires:
            raise ValidationError({f"line_{n}": f"Line {n}: {item.name} lot {lot_number} is on record with expiry "
                                                f"{other:%m/%d/%Y}, not {expires:%m/%d/%Y}: check the box."})
    lot = session.scalar(select(InventoryLot).where(InventoryLot.item_id == item.id, InventoryLot.lot_number == lot_number,
                                                    InventoryLot.location == location))
    if lot is None:
        lot = InventoryLot(item_id=item.id, lot_number=lot_number, expires_on=expires, location=location, on_hand=0)
        session.add(lot)
        session.flush()
    return lot
