"""One screen per module; each has its .tcss beside it."""
