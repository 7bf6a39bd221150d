"""Office Console: a keyboard-first terminal console for a small medical practice."""

__version__ = "0.1.0"
