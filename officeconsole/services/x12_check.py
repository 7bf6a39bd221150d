"""Run the standard X12 validator (pyx12) over a file we made or were given.

pyx12 reports problems through its logger and its return value alone does not always say
"invalid", so the errors it logs are collected and returned as lines.
"""

from __future__ import annotations

import io
import logging
import threading

_lock = threading.Lock()  # pyx12 logs through one shared logger


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def x12_errors(text: str) -> list[str]:
    """The validator's complaints about an X12 document; empty when it accepts it."""
    import pyx12.error_handler  # noqa: F401  (loads the submodules x12n_document expects)
    import pyx12.params
    import pyx12.x12n_document

    handler = _Collect()
    logger = logging.getLogger("pyx12")
    with _lock:
        logger.addHandler(handler)
        previous, logger.propagate = logger.propagate, False
        try:
            ok = pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(text), None, None)
        finally:
            logger.removeHandler(handler)
            logger.propagate = previous
    if not ok and not handler.lines:
        handler.lines.append("pyx12 rejected the document")
    return handler.lines
