"""The demo clinic's shelves: supplies, vaccines and medicines received and partly used, with a
few items below their reorder point and some lots close to (or past) their expiry."""

from __future__ import annotations

import datetime as dt
import random

from officeconsole.services.common.context import ServiceContext
from officeconsole.services.frontdesk.ledger import new_request_key
from officeconsole.services.stock.inventory import InventoryService, ItemInput, ReceiveLine

# name, category, unit, NDC/SKU, vendor, unit cost, reorder point, par, storage, billing code
ITEMS = (
    ("Nitrile exam gloves, S", "supply", "box", "MDS192074", "Medline", "7.25", 10, 40, "", ""),
    ("Nitrile exam gloves, M", "supply", "box", "MDS192075", "Medline", "7.25", 15, 60, "", ""),
    ("Nitrile exam gloves, L", "supply", "box", "MDS192076", "Medline", "7.25", 10, 40, "", ""),
    ("Exam table paper 21in", "supply", "roll", "NON23327", "Medline", "4.10", 12, 48, "", ""),
    ("Gauze sponges 4x4", "supply", "pack", "PRM21412", "Medline", "3.00", 10, 40, "", ""),
    ("Alcohol prep pads", "supply", "box", "MDS090735", "Medline", "2.15", 8, 30, "", ""),
    ("Adhesive bandages, assorted", "supply", "box", "NON25650", "Medline", "5.40", 6, 20, "", ""),
    ("Syringe 3 mL with 25G needle", "supply", "box", "BD309570", "Henry Schein", "18.90", 4, 12, "", ""),
    ("Disposable specula, medium", "supply", "box", "WA59000", "Henry Schein", "31.00", 2, 6, "", ""),
    ("Urine specimen cups", "supply", "case", "MDS159939", "Henry Schein", "22.50", 2, 8, "", ""),
    ("Rapid strep test kit", "supply", "kit", "QU20108", "Henry Schein", "84.00", 2, 6, "room temperature", "87880"),
    ("Urinalysis dipsticks", "supply", "bottle", "SI10SG", "Henry Schein", "16.75", 3, 10, "", "81002"),
    ("Influenza vaccine, quadrivalent", "vaccine", "dose", "49281-0421-50", "Sanofi Pasteur", "18.50", 10, 60,
     "refrigerated 2-8 C", "90686"),
    ("Tdap vaccine", "vaccine", "dose", "58160-0842-11", "GSK", "41.20", 5, 20, "refrigerated 2-8 C", "90715"),
    ("Hepatitis B vaccine, adult", "vaccine", "dose", "58160-0821-11", "GSK", "57.80", 4, 15,
     "refrigerated 2-8 C", "90746"),
    ("Pneumococcal conjugate vaccine", "vaccine", "dose", "00005-1971-02", "Pfizer", "236.00", 3, 10,
     "refrigerated 2-8 C", "90677"),
    ("Dexamethasone 4 mg/mL, 1 mL vial", "medication", "vial", "63323-0165-01", "Henry Schein", "1.85", 10, 40,
     "room temperature", "J1100"),
    ("Ceftriaxone 500 mg vial", "medication", "vial", "60505-0750-04", "Henry Schein", "2.60", 5, 20,
     "room temperature", "J0696"),
    ("Epinephrine auto-injector 0.3 mg", "medication", "each", "49502-0102-02", "Henry Schein", "108.00", 2, 4,
     "room temperature", ""),
    ("Lidocaine 1%, 20 mL vial", "medication", "vial", "63323-0485-27", "Henry Schein", "3.40", 5, 20,
     "room temperature", ""),
    ("Pulse oximeter, fingertip", "equipment", "each", "MDS70103", "Medline", "29.00", 1, 3, "", ""),
    ("Digital thermometer probe covers", "supply", "box", "WA05031", "Medline", "9.80", 4, 16, "", ""),
)


def build_inventory(manager: ServiceContext, rng: random.Random) -> dict:
    stock = InventoryService(manager)
    today = manager.today()
    lines, low = [], 0
    ids = {}
    for name, category, unit, code, vendor, cost, reorder, par, storage, billing in ITEMS:
        item = stock.add_item(ItemInput(name, category, unit, code, vendor, cost, reorder, par, storage, billing))
        ids[name] = item.id
        tracked = category in ("vaccine", "medication")
        # Most items sit between reorder point and par; every fifth is short.
        quantity = max(1, reorder - rng.randint(1, max(1, reorder // 2))) if len(ids) % 5 == 0 else \
            rng.randint(reorder + 2, par)
        low += len(ids) % 5 == 0
        if tracked:
            first = max(1, quantity // 3)
            lines.append(ReceiveLine(item.id, first, f"{code[:3]}{rng.randint(1000, 9999)}A",
                                     today + dt.timedelta(days=rng.choice((12, 25, 45, 80)))))
            lines.append(ReceiveLine(item.id, quantity - first or 1, f"{code[:3]}{rng.randint(1000, 9999)}B",
                                     today + dt.timedelta(days=rng.randint(200, 500))))
        else:
            lines.append(ReceiveLine(item.id, quantity))
    stock.receive(lines, new_request_key())
    for name in ("Nitrile exam gloves, M", "Gauze sponges 4x4", "Influenza vaccine, quadrivalent"):
        stock.use(ids[name], 2, new_request_key(), reason="used in clinic")
    return {"items": len(ITEMS), "low": low}
