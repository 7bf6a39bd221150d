"""Setting the practice up: the clinic's settings, providers, rooms, appointment types, and the checklist of what is still missing."""
