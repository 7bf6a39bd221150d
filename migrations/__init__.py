"""Alembic revisions for Office Console.

HEAD_REVISION names the newest script in versions/: the app compares it with the database
without loading Alembic. Change it with every new revision (a test checks they agree).
"""

HEAD_REVISION = "0022"
