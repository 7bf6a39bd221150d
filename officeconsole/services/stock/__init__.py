"""Inventory: deliveries, use first-expiry-first-out, waste, counts, what to order."""
