"""Running the clinic's data: the nightly close, closed days, backups, moving in, taking the data out, copying between engines."""
