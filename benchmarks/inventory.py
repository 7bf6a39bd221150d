"""Inventory at scale: the stock screen (F9) with 5,000 items and 50,000 stock movements.

`ensure_inventory` adds the shelves to a generated clinic once (Core inserts, a few seconds):
items across the four categories with 1-4 lots each (lot numbers and expiries for vaccines,
medicines and some supplies; some lots expired, some expiring within 30 days, some used up,
about one item in eight at or below its reorder point), and a year of movements (receive, use,
adjust, waste, transfers between locations as pairs) that add up to every lot's on-hand.

The screen is timed in the real console under Pilot, from the F9 keypress to the items table
and the highlighted item's lots table both filled (every worker settled) and the next frame
drawn, opened and closed again and again; likewise a keystroke in its search box. Each query
the screen makes is timed at the service, beside the same SQL run on the driver.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import time
from decimal import Decimal

from sqlalchemy import event, func, select

from benchmarks import clinic_day
from benchmarks.generate import BENCH_PASSWORD
from benchmarks.report import Figure, judge, load_average, machine_info, markdown, save
from benchmarks.settle import workers_done
from officeconsole.config import describe_url, normalize_db_url
from officeconsole.db import migrate
from officeconsole.db.bulk import insert_rows, sync_sequences
from officeconsole.db.database import Database
from officeconsole.demo.clinic import TIMEZONE
from officeconsole.models import (
    InventoryItem,
    InventoryLot,
    Patient,
    StockMovement,
    User,
)
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import OfficeError
from officeconsole.services.common.text import search_key
from officeconsole.services.security import auth
from officeconsole.services.stock.inventory import InventoryService

ITEMS = 5_000
MOVEMENTS = 50_000
SOON = 30  # the screen's strip: lots expiring within 30 days
WORDS = ("syr", "nitrile", "influ", "amox")  # search-as-you-type in the screen, a key at a time
LOCATIONS = ("Main", "Exam 1", "Exam 2", "Lab", "Procedure room")
BATCH = 20_000

# Name parts per category: an item is a stem, a variant (size, strength, presentation) and often its vendor.
SUPPLIES = (
    ("Nitrile exam gloves", ("XS", "S", "M", "L", "XL"), "box"), ("Vinyl exam gloves", ("S", "M", "L", "XL"), "box"),
    ("Sterile surgical gloves", ("6", "6.5", "7", "7.5", "8", "8.5"), "pair"),
    ("Syringe Luer-Lok", ("1 mL", "3 mL", "5 mL", "10 mL", "20 mL"), "box"),
    ("Syringe with needle", ("1 mL 25G", "3 mL 23G", "3 mL 25G", "1 mL 27G"), "box"),
    ("Hypodermic needle", ("18G", "20G", "21G", "22G", "23G", "25G", "27G", "30G"), "box"),
    ("Gauze sponges", ("2x2", "3x3", "4x4"), "pack"), ("Alcohol prep pads", ("medium", "large"), "box"),
    ("Adhesive bandages", ("spot", "strip 1in", "strip 3/4in", "assorted", "knuckle"), "box"),
    ("Exam table paper", ("18in", "21in", "24in"), "roll"), ("Urine specimen cups", ("sterile", "non-sterile"), "case"),
    ("Tongue depressors", ("adult", "junior"), "box"), ("Cotton-tipped applicators", ("3in", "6in"), "box"),
    ("Suture kit", ("laceration", "removal"), "kit"), ("Nylon suture", ("3-0", "4-0", "5-0", "6-0"), "box"),
    ("Sterile drape", ("fenestrated", "plain"), "each"), ("Face masks", ("ear-loop", "tie-on", "N95"), "box"),
    ("Isolation gowns", ("level 1", "level 2"), "case"), ("Sharps container", ("1 qt", "2 gal", "5 qt"), "each"),
    ("Blood collection tubes", ("lavender EDTA", "red", "gold SST", "light blue", "green"), "rack"),
    ("Urinalysis dipsticks", ("10SG", "4SG"), "bottle"), ("Rapid strep test kit", ("25 tests",), "kit"),
    ("Rapid influenza A+B test", ("25 tests",), "kit"), ("Pregnancy test cassettes", ("hCG",), "box"),
    ("Glucose test strips", ("50 ct", "100 ct"), "box"), ("Safety lancets", ("21G", "23G", "28G"), "box"),
    ("Elastic bandage", ("2in", "3in", "4in", "6in"), "each"), ("Finger splint", ("small", "medium", "large"), "each"),
    ("Otoscope specula", ("2.5 mm", "4 mm"), "box"), ("Thermometer probe covers", ("oral", "rectal"), "box"),
    ("ECG electrodes", ("tab", "foam"), "pack"), ("Ultrasound gel", ("250 mL", "5 L"), "bottle"),
    ("Hand sanitizer", ("500 mL", "1 L"), "bottle"), ("Disinfectant wipes", ("canister", "large"), "each"),
    ("Biohazard bags", ("small", "large"), "box"), ("Tourniquet", ("latex-free",), "box"),
    ("Nebulizer kit", ("adult", "pediatric"), "each"), ("Disposable specula", ("small", "medium", "large"), "box"),
)
VACCINES = (
    "Influenza vaccine, quadrivalent", "Influenza vaccine, high-dose", "Tdap vaccine", "Td vaccine", "DTaP vaccine",
    "Hepatitis A vaccine", "Hepatitis B vaccine", "Pneumococcal conjugate vaccine (PCV20)",
    "Pneumococcal polysaccharide vaccine", "MMR vaccine", "Varicella vaccine", "Zoster vaccine, recombinant",
    "HPV 9-valent vaccine", "Meningococcal ACWY vaccine", "Meningococcal B vaccine", "IPV vaccine", "Hib vaccine",
    "Rotavirus vaccine", "COVID-19 vaccine", "RSV vaccine",
)
VACCINE_FORMS = ("single-dose vial", "prefilled syringe", "10-dose vial", "pediatric syringe", "adult syringe")
DRUGS = (
    "Acetaminophen", "Amoxicillin", "Azithromycin", "Ceftriaxone", "Dexamethasone", "Diphenhydramine", "Epinephrine",
    "Furosemide", "Ibuprofen", "Ketorolac", "Lidocaine", "Methylprednisolone", "Ondansetron", "Promethazine",
    "Triamcinolone", "Albuterol", "Ipratropium", "Cephalexin", "Prednisone", "Medroxyprogesterone", "Naloxone",
    "Nitroglycerin", "Aspirin", "Glucagon", "Insulin regular", "Heparin", "Enoxaparin", "Vitamin B12 (cyanocobalamin)",
    "Penicillin G benzathine", "Metoclopramide", "Famotidine", "Hydrocortisone", "Ketamine", "Atropine",
    "Magnesium sulfate", "Sodium chloride 0.9%", "Sterile water", "Bupivacaine", "Testosterone cypionate",
    "Tetanus immune globulin",
)
STRENGTHS = ("low strength", "standard strength", "high strength")
DRUG_FORMS = ("1 mL vial", "10 mL vial", "ampule", "tablets 100 ct", "oral suspension", "prefilled syringe",
              "nebulizer solution", "multi-dose vial")
EQUIPMENT = (
    "Pulse oximeter", "Blood pressure cuff", "Stethoscope", "Otoscope head", "Ophthalmoscope head",
    "Digital thermometer",
    "Glucometer", "Peak flow meter", "Reflex hammer", "Tuning fork", "Exam light", "Sharps cabinet", "Scale battery",
    "AED pads", "Oxygen mask", "Suction canister", "Cast cutter blade", "Wheelchair", "Crutches", "Walker",
)
EQUIPMENT_MODELS = ("adult", "pediatric", "large adult", "thigh", "wall-mount", "portable", "model A", "model B",
                    "model C", "replacement")
VENDORS = ("Medline", "Henry Schein", "McKesson", "Cardinal Health", "Owens & Minor", "Sanofi Pasteur", "GSK",
           "Merck", "Pfizer", "Seqirus")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(round(0.95 * (len(ordered) - 1)))]


# ----- the shelves ------------------------------------------------------------------------
def ensure_inventory(database: Database, manager: ServiceContext, items: int = ITEMS,
                     movements: int = MOVEMENTS) -> dict:
    """Generate the stock once (skipped when the clinic already holds `items` items); describe it."""
    with database.read() as session:
        held = session.scalar(select(func.count()).select_from(InventoryItem))
    if held < items:
        tick = time.perf_counter()
        _generate(database, manager, items - held, movements)
        _log(f"  {items - held:,} items and {movements:,} movements in {time.perf_counter() - tick:.1f}s")
    return describe(database, manager.today())


def describe(database: Database, today: dt.date) -> dict:
    soon = today + dt.timedelta(days=SOON)
    with database.read() as session:
        totals = (select(InventoryLot.item_id, func.sum(InventoryLot.on_hand).label("on_hand"))
                  .group_by(InventoryLot.item_id).subquery())
        return {
            "items": session.scalar(select(func.count()).select_from(InventoryItem)),
            "lots": session.scalar(select(func.count()).select_from(InventoryLot)),
            "lots_in_stock": session.scalar(select(func.count()).where(InventoryLot.on_hand > 0)),
            "movements": session.scalar(select(func.count()).select_from(StockMovement)),
            "expired_in_stock": session.scalar(select(func.count()).where(
                InventoryLot.on_hand > 0, InventoryLot.expires_on < today)),
            "expiring_30_days": session.scalar(select(func.count()).where(
                InventoryLot.on_hand > 0, InventoryLot.expires_on <= soon)),
            "low_items": session.scalar(select(func.count()).select_from(InventoryItem).outerjoin(
                totals, totals.c.item_id == InventoryItem.id).where(
                func.coalesce(totals.c.on_hand, 0) <= InventoryItem.reorder_point)),
            "unbalanced_lots": session.scalar(select(func.count()).select_from(InventoryLot).where(
                InventoryLot.on_hand != select(func.coalesce(func.sum(StockMovement.quantity), 0))
                .where(StockMovement.lot_id == InventoryLot.id).scalar_subquery())),
        }


def _catalogue(rng: random.Random, count: int) -> list[tuple[str, str, str, str]]:
    """(name, category, unit, vendor) for `count` distinct items: 55 % supplies, 25 % medicines,
    10 % vaccines, 10 % equipment."""
    pools: dict[str, list[tuple[str, str, str]]] = {"supply": [], "medication": [], "vaccine": [], "equipment": []}
    for stem, variants, unit in SUPPLIES:  # the same glove from several distributors is several items
        for variant in variants:
            for pack in ("", ", bulk", ", sterile", ", latex-free", ", pediatric", ", value pack"):
                for vendor in VENDORS[:5]:
                    pools["supply"].append((f"{stem}, {variant}{pack} ({vendor})", unit, vendor))
    for drug in DRUGS:
        for strength in STRENGTHS:
            for form in DRUG_FORMS:
                for vendor in VENDORS[:5]:
                    pools["medication"].append((f"{drug} {strength}, {form} ({vendor})",
                                                "vial" if "vial" in form else "each", vendor))
    for vaccine in VACCINES:
        for form in VACCINE_FORMS:
            for maker in VENDORS[5:]:
                pools["vaccine"].append((f"{vaccine}, {form} ({maker})", "dose", maker))
    for kind in EQUIPMENT:
        for model in EQUIPMENT_MODELS:
            for extra in ("", " II", " III"):
                pools["equipment"].append((f"{kind}, {model}{extra}", "each", rng.choice(VENDORS[:5])))
    wanted = {"supply": 0.55, "medication": 0.25, "vaccine": 0.10, "equipment": 0.10}
    chosen = []
    for category, share in wanted.items():
        pool = pools[category]
        n = min(len(pool), round(count * share)) if category != "equipment" else count - len(chosen)
        for name, unit, vendor in rng.sample(pool, min(n, len(pool))):
            chosen.append((name, category, unit, vendor))
    base = list(chosen)
    for n in range(count - len(chosen)):  # more than the pools hold: number the repeats
        name, category, unit, vendor = base[n % len(base)]
        chosen.append((f"{name} #{n // len(base) + 2}", category, unit, vendor))
    return chosen[:count]


def _generate(database: Database, manager: ServiceContext, count: int, movements: int) -> None:
    rng = random.Random(9)
    now, today = manager.now(), manager.today()
    with database.read() as session:
        item_id = session.scalar(select(func.max(InventoryItem.id))) or 0
        lot_id = session.scalar(select(func.max(InventoryLot.id))) or 0
        move_id = session.scalar(select(func.max(StockMovement.id))) or 0
        users = list(session.scalars(select(User.id).where(User.active.is_(True)).order_by(User.id)))
        patients = session.scalar(select(func.max(Patient.id))) or 0
    manager_id = manager.actor_or_fail().user_id
    witnesses = [u for u in users if u != manager_id] or [manager_id]

    item_rows, lots = [], []  # lots: dicts with the plan for their movements
    for name, category, unit, vendor in _catalogue(rng, count):
        item_id += 1
        tracked = category in ("vaccine", "medication") or (category == "supply" and rng.random() < 0.2)
        reorder = rng.randint(1, 3) if category == "equipment" else rng.randint(4, 40)
        par = reorder * rng.randint(2, 5)
        cost = Decimal(rng.randint(50, 30_000)) / 100
        item_rows.append({"id": item_id, "name": name, "name_key": search_key(name), "category": category, "unit": unit,
                          "code": f"{vendor[:3].upper()}{rng.randint(10_000, 999_999)}", "vendor": vendor,
                          "unit_cost": cost, "reorder_point": reorder, "par_level": par,
                          "storage": "refrigerated 2-8 C" if category == "vaccine" else "",
                          "billing_code": "", "active": True, "updated_at": now})
        low = rng.random() < 0.12  # at or below the reorder point
        total = rng.randint(0, reorder) if low else rng.randint(reorder + 1, par)
        shelves = rng.choices((1, 2, 3, 4), weights=(30, 35, 22, 13))[0]
        item_lots = []
        for n in range(shelves):
            lot_id += 1
            roll = rng.random()
            if not tracked:
                expires, state = None, "normal"
            elif roll < 0.07:
                expires, state = today - dt.timedelta(days=rng.randint(1, 120)), "expired"
            elif roll < 0.15:
                expires, state = today + dt.timedelta(days=rng.randint(0, SOON)), "near"
            elif roll < 0.25:
                expires, state = today + dt.timedelta(days=rng.randint(SOON + 1, 90)), "normal"
            else:
                expires, state = today + dt.timedelta(days=rng.randint(91, 900)), "normal"
            if state == "normal" and n and rng.random() < 0.2:
                state = "used_up"  # an older lot emptied, kept for its history
            number = f"{name[:2].upper()}{rng.randint(1000, 99_999)}{chr(65 + n)}" if tracked else ""
            item_lots.append({"id": lot_id, "item_id": item_id, "unit_cost": cost, "category": category, "low": low,
                              "lot_number": number, "expires_on": expires,
                              "location": "Main" if tracked else LOCATIONS[n],
                              "state": state, "source": None, "final": 0, "count": 1})
        # Tracked lots sometimes move part of their stock to an exam room: a sibling lot (same number
        # and expiry, another location) whose first movement is the transfer in.
        for lot in list(item_lots):
            if lot["lot_number"] and lot["state"] in ("normal", "near") and rng.random() < 0.15:
                lot_id += 1
                item_lots.append({**lot, "id": lot_id, "location": rng.choice(LOCATIONS[1:]), "source": lot["id"],
                                  "count": 1})
                lot["count"] = 2
            if lot["state"] == "expired" and rng.random() < 0.5:
                lot["state"], lot["count"] = "wasted", 2  # received, then wasted after expiry (witnessed)
        keeping = [lot for lot in item_lots if lot["state"] in ("normal", "near", "expired")]
        for share, lot in zip(_split(rng, total, len(keeping)), keeping, strict=False):
            lot["final"] = share
        for lot in item_lots:
            if lot["state"] == "wasted":
                lot["final"] = rng.randint(1, 6)  # what is left to waste when it expires
        lots.extend(item_lots)

    # Spread the rest of the movements over the lots, busier categories more often.
    sources = {lot["source"]: lot for lot in lots if lot["source"] is not None}  # source lot id -> sibling
    extra = movements - sum(lot["count"] for lot in lots)
    if extra > 0:
        weights = [3 if lot["category"] == "supply" else 1 if lot["category"] == "equipment" else 2 for lot in lots]
        for index in rng.choices(range(len(lots)), weights=weights, k=extra):
            lots[index]["count"] += 1

    start = now - dt.timedelta(days=365)
    for lot in lots:
        lot["first"] = _first_day(rng, lot, start, now)
    by_id = {lot["id"]: lot for lot in lots}
    for lot in lots:
        if lot["source"] is not None:  # moved to the room after the lot came in
            came = by_id[lot["source"]]["first"]
            lot["first"] = _between(rng, came + dt.timedelta(hours=1), now - dt.timedelta(days=1))
    # Each lot's own movements after its first; the first (receipt, or transfer in) is made just
    # large enough that stock never goes below zero and the lot ends holding its share.
    for lot in sorted(lots, key=lambda lot: lot["source"] is None):  # siblings first: their need is the transfer
        own = lot["count"] - 1 - (lot["id"] in sources) - (lot["state"] == "wasted")
        steps = _steps(rng, lot, own)
        running = lowest = 0
        for _, delta, _ in steps:
            running += delta
            lowest = min(lowest, running)
        inflow = max(lot["final"] - running, -lowest, 1)
        times = sorted(_between(rng, lot["first"], _last_use(lot, now)) for _ in steps)
        lot["sequence"] = [("transfer" if lot["source"] is not None else "receive", inflow, lot["first"], "")]
        lot["sequence"] += [(kind, delta, at, reason) for (kind, delta, reason), at in zip(steps, times, strict=False)]
    for lot in lots:
        sibling = sources.get(lot["id"])
        if sibling is not None:  # received enough for the room as well; moved out as the room took it in
            kind, quantity, at, reason = sibling["sequence"][0]
            received = lot["sequence"][0]
            lot["sequence"][0] = (received[0], received[1] + quantity, received[2], "")
            lot["sequence"].append(("transfer", -quantity, at - dt.timedelta(seconds=30),
                                    f"to {sibling['location']}"))
            sibling["sequence"][0] = (kind, quantity, at, f"from {lot['location']}")
    lot_rows, move_rows = [], []
    for lot in lots:
        balance = sum(delta for _, delta, _, _ in lot["sequence"])
        if lot["state"] == "wasted":
            expired = dt.datetime.combine(lot["expires_on"], dt.time(17), dt.UTC)
            lot["sequence"].append(("waste", -balance, _between(rng, expired, now), "expired"))
            balance = 0
        lot_rows.append({"id": lot["id"], "item_id": lot["item_id"], "lot_number": lot["lot_number"],
                         "expires_on": lot["expires_on"], "location": lot["location"], "on_hand": balance})
        for kind, delta, at, reason in sorted(lot["sequence"], key=lambda step: step[2]):
            move_id += 1
            for_patient = kind == "use" and lot["category"] == "vaccine" and patients
            move_rows.append({
                "id": move_id, "item_id": lot["item_id"], "lot_id": lot["id"], "kind": kind, "quantity": delta,
                "reason": reason, "witness_id": rng.choice(witnesses) if reason == "expired" else None,
                "patient_id": rng.randint(1, patients) if for_patient else None, "encounter_id": None,
                "unit_cost": lot["unit_cost"], "user_id": rng.choice(users) if kind == "use" else manager_id,
                "at": at, "request_key": f"bench-inv-{move_id}:1"})
    with database.write() as session:
        insert_rows(session, InventoryItem, item_rows)
        insert_rows(session, InventoryLot, lot_rows)
        for first in range(0, len(move_rows), BATCH):
            insert_rows(session, StockMovement, move_rows[first:first + BATCH])
        sync_sequences(session, (InventoryItem, InventoryLot, StockMovement))


def _steps(rng: random.Random, lot: dict, count: int) -> list[tuple[str, int, str]]:
    """`count` movements after a lot's first: (kind, quantity, reason); mostly uses."""
    most = {"vaccine": 1, "medication": 2, "supply": 3, "equipment": 1}[lot["category"]]
    steps = []
    for _ in range(max(0, count)):
        roll = rng.random()
        if roll < 0.86:
            steps.append(("use", -rng.randint(1, most), ""))
        elif roll < 0.96:
            up = not lot["low"] and rng.random() < 0.3  # a low item's counts only ever find less
            amount = rng.randint(1, 3)
            steps.append(("adjust", amount if up else -amount, "count: found more" if up else "count: found less"))
        else:
            steps.append(("waste", -rng.randint(1, 2), rng.choice(("broken", "contaminated", "dropped"))))
    return steps


def _first_day(rng: random.Random, lot: dict, start: dt.datetime, now: dt.datetime) -> dt.datetime:
    """When the lot came in: within the year, and well before it expired."""
    last = now - dt.timedelta(days=2)
    if lot["expires_on"] is not None and lot["state"] in ("expired", "wasted"):
        last = min(last, dt.datetime.combine(lot["expires_on"], dt.time(9), dt.UTC) - dt.timedelta(days=14))
    return _between(rng, start, max(start + dt.timedelta(hours=1), last))


def _last_use(lot: dict, now: dt.datetime) -> dt.datetime:
    if lot["expires_on"] is not None and lot["state"] in ("expired", "wasted"):
        return min(now, dt.datetime.combine(lot["expires_on"], dt.time(8), dt.UTC))  # expired stock is never used
    return now


def _between(rng: random.Random, first: dt.datetime, last: dt.datetime) -> dt.datetime:
    span = max(60, int((last - first).total_seconds()))
    return first + dt.timedelta(seconds=rng.randint(1, span))


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    if parts <= 0:
        return []
    cuts = sorted(rng.randint(0, total) for _ in range(parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=False)]


# ----- the queries -------------------------------------------------------------------------
def _captured(database: Database, call) -> list[tuple[str, object]]:
    """The SQL statements (and parameters) one service call sends to the driver."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    return seen


def measure_services(viewer: ServiceContext, runs: int) -> dict:
    """p50/p95 ms of each read the screen makes, and of the same SQL on the driver:
    {name: ((service p50, p95), (raw p50, p95), rows)}."""
    stock = InventoryService(viewer)
    first = stock.items(limit=1)
    item_id = first[0].id if first else 0
    busiest = stock.items(limit=ITEMS)
    busy_ids = [i.id for i in busiest if i.on_hand > 0][:: max(1, len(busiest) // 40)] or [item_id]
    calls = {
        "items()": lambda run: stock.items(),
        f"lots(within_days={SOON})": lambda run: stock.lots(within_days=SOON),
        "items(low_only=True)": lambda run: stock.items(low_only=True),
        "lots(item_id)": lambda run: stock.lots(busy_ids[run % len(busy_ids)]),
        "items(search=prefix)": lambda run: stock.items(search=WORDS[run % len(WORDS)][:1 + run % 4]),
    }
    database = viewer.db
    raw = database.engine.raw_connection()
    results = {}
    try:
        for name, call in calls.items():
            service: list[float] = []
            driver: list[float] = []
            rows = 0
            for run in range(runs + 1):  # the first warms the statement cache
                tick = time.perf_counter()
                rows = len(call(run))
                if run:
                    service.append((time.perf_counter() - tick) * 1000)
                statements = _captured(database, lambda: call(run))
                cursor = raw.cursor()
                tick = time.perf_counter()
                for statement, parameters in statements:
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
                raw.rollback()
                if run:
                    driver.append((time.perf_counter() - tick) * 1000)
                cursor.close()
            results[name] = (_percentiles(service), _percentiles(driver), rows)
    finally:
        raw.close()
    return results


# ----- the screen ---------------------------------------------------------------------------
async def _screen(ctx: ServiceContext, username: str, password: str, opens: int,
                  words: tuple[str, ...]) -> tuple[list[tuple[float, float]], list[float], int, int]:
    from textual import events

    from officeconsole.tui.app import OfficeApp
    from officeconsole.tui.screens.inventory import InventoryScreen

    items_shown = asyncio.Event()
    lots_shown = asyncio.Event()
    show, show_lots = InventoryScreen._show, InventoryScreen._show_lots

    def _show(self, data) -> None:  # the screen's own handlers, then wake the timer
        show(self, data)
        items_shown.set()

    def _show_lots(self, item, lots) -> None:
        show_lots(self, item, lots)
        if item is not None or not self.items:
            lots_shown.set()

    async def filled(start: float, cpu: float) -> tuple[float, float]:
        """Both tables filled, every worker settled, the next frame drawn: ms since `start`, and
        the CPU ms the process (UI thread and workers) spent meanwhile, which other load on the
        machine changes far less than the wall-clock time."""
        await items_shown.wait()
        await lots_shown.wait()
        await workers_done(app)
        drawn = asyncio.Event()
        app.call_after_refresh(drawn.set)
        await drawn.wait()
        return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000

    app = OfficeApp(ctx)
    openings: list[tuple[float, float]] = []
    keys: list[float] = []
    items = lots = 0
    try:
        InventoryScreen._show, InventoryScreen._show_lots = _show, _show_lots
        async with app.run_test(size=(160, 48)) as pilot:
            await workers_done(app)
            await pilot.pause()
            app.start_session(auth.login(ctx, username, password))
            await workers_done(app)
            await pilot.pause()
            for run in range(opens + 1):  # the first, unmeasured, loads the screen's modules and CSS
                items_shown.clear()
                lots_shown.clear()
                cpu, start = time.process_time(), time.perf_counter()
                app.post_message(events.Key("f9", None))
                elapsed = await filled(start, cpu)
                if run:
                    openings.append(elapsed)
                screen = app.screen
                assert isinstance(screen, InventoryScreen), "F9 should open the inventory screen"
                items = screen.query_one("#items").row_count
                lots = screen.query_one("#lots").row_count
                if run < opens:  # back to Patients, which refreshes its page: let that settle first
                    app.pop_screen()
                    await workers_done(app)
                    await pilot.pause(0.05)
            await pilot.press("slash")
            for word in words:
                for char in word:
                    items_shown.clear()
                    lots_shown.clear()
                    cpu, start = time.process_time(), time.perf_counter()
                    app.post_message(events.Key(char, char))
                    keys.append((await filled(start, cpu))[0])
                await pilot.press("ctrl+u")  # clear the box for the next word
                await workers_done(app)
                await pilot.pause()
    finally:
        InventoryScreen._show, InventoryScreen._show_lots = show, show_lots
    return openings, keys, items, lots


def measure_screen(ctx: ServiceContext, username: str, password: str, opens: int = 20,
                   words: tuple[str, ...] = WORDS) -> dict:
    """{"open": (p50, p95, max), "open_cpu": (p50, p95, max), "key": (p50, p95, max),
    "items": rows shown, "lots": rows shown, "opens": n, "keys": n}."""
    openings, keys, items, lots = asyncio.run(_screen(ctx, username, password, opens, words))

    def spread(samples: list[float]) -> tuple[float, float, float]:
        return (*_percentiles(samples), max(samples)) if samples else (0.0, 0.0, 0.0)

    return {"open": spread([wall for wall, _ in openings]), "open_cpu": spread([cpu for _, cpu in openings]),
            "key": spread(keys), "items": items, "lots": lots, "opens": len(openings), "keys": len(keys)}


# ----- the figures -------------------------------------------------------------------------
def figures(ctx: ServiceContext, manager: ServiceContext, username: str, password: str, quick: bool) -> list[Figure]:
    """The stock made sure of, then every inventory figure (the target: F9 opens in 150 ms)."""
    stock = ensure_inventory(ctx.db, manager)
    if stock["unbalanced_lots"]:
        raise OfficeError(f"{stock['unbalanced_lots']} lots whose on-hand is not the sum of their movements")
    reads = measure_services(manager, runs=10 if quick else 30)
    screen = measure_screen(ctx, username, password, opens=20 if quick else 40, words=WORDS[:2] if quick else WORDS)
    held = f"{stock['items']:,} items, {stock['lots']:,} lots, {stock['movements']:,} movements"
    o50, o95, slowest = screen["open"]
    found = [
        Figure(f"inventory: F9 → items and lots drawn p50 ({held})", o50, "ms", target=150,
               note=f"{screen['opens']} opens, the screen built each time; {screen['items']} items "
                    f"and {screen['lots']} lots shown; {stock['low_items']} items low, "
                    f"{stock['expiring_30_days']} lots expiring within {SOON} days"),
        Figure("inventory: F9 → items and lots drawn p95", o95, "ms", target=150),
        Figure("inventory: F9 → items and lots drawn, slowest", slowest, "ms", target=150),
        Figure("inventory: F9 → drawn, CPU time of the console (UI thread + workers) p50", screen["open_cpu"][0],
               "ms", note=f"p95 {screen['open_cpu'][1]:.0f} ms; steadier than wall time on a shared machine"),
    ]
    for name, ((r50, r95), (_, d95), rows) in reads.items():
        found.append(Figure(f"inventory {name} p95 (service)", r95, "ms", d95, "the same SQL on the driver",
                            note=f"p50 {r50:.1f} ms; {rows} rows"))
    k50, k95, kmax = screen["key"]
    found.append(Figure("inventory search: keystroke → items and lots drawn p95", k95, "ms",
                        note=f"p50 {k50:.0f} ms, slowest {kmax:.0f} ms over {screen['keys']} keys; each key reads "
                             f"the items, the lots expiring within {SOON} days and the low items, then the lots"))
    return found


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.inventory --db URL [--quick]`: only these figures, on a generated clinic."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inventory", description=main.__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="SQLAlchemy URL or SQLite path of a generated clinic")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (as the CI smoke run)")
    args = parser.parse_args(argv)
    url = normalize_db_url(args.db)
    load_at_start = load_average()
    database = Database.from_url(url)
    try:
        migrate.upgrade(database.engine)
        ctx = ServiceContext(database, clinic_day.clock(database, TIMEZONE))
        manager = ctx.as_actor(auth.login(ctx, "manager", BENCH_PASSWORD))
        found = figures(ctx, manager, "manager", BENCH_PASSWORD, args.quick)
        held = describe(database, manager.today())
    except OfficeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    info = machine_info(describe_url(url), {"engine": database.dialect, "inventory": held})
    judge(found, info, load_at_start)
    info["quick"] = args.quick
    print(markdown(found))
    label = f"{'quick-' if args.quick else ''}inventory-{database.dialect}"  # quick runs stay out of git
    print(f"\nJSON: {save(found, info, label)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
