"""Who may do what, and the proof of what was done: accounts, sign-in, the audit trail, encryption at rest."""
