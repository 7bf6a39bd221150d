"""The schedule: working hours, booking, free slots, the waitlist, recalls, reminders and printable day lists."""
