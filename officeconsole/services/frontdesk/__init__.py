"""The desk's work with patients: the registry and its search, alerts, insurance, eligibility, check-in, the flow board, payments, receipts, balances, refunds."""
