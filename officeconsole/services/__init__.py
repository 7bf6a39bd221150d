"""Every rule and every transaction, grouped by the area of the practice it serves.

common      what every service shares: context, clock, errors, money, permissions, lookups
security    accounts, sign-in, the audit trail, encryption at rest
practice    the clinic's settings, providers, rooms, appointment types, the setup checklist
scheduling  working hours, booking, free slots, the waitlist, recalls, reminders
frontdesk   patients and their search, insurance, eligibility, check-in, flow, desk payments
billing     coding, the scrubber, claims, remittances, acknowledgements, A/R, statements
staffing    the staff directory, credentials, the rota, time off
stock       inventory
reporting   reports, the day sheet, the manager's dashboard
operations  the nightly close, backups, moving in (import) and out (export), db copy
formats     file formats as pure functions: X12, PDF, CSV

A module sits in one area; an area may use `common`, `formats` and another area's services.
"""
