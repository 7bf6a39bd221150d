"""The people who work here: the staff directory, credentials, the rota and time off."""
