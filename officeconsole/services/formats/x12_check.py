"""Run the standard X12 validator (pyx12) over a file we made or were given.

pyx12 reports problems through its logger and its return value alone does not always say
"invalid", so the errors it logs are collected and returned as lines. pyx12 parses its XML map
of the transaction again for every file (about 0.2 s, most of a small file's check); the maps
are read-only while a file is walked (pyx12 counts loops and segments apart from them), so each
is parsed once per process.
"""

from __future__ import annotations

import io
import logging
import threading

_lock = threading.Lock()  # pyx12 logs through one shared logger (and the map cache below is shared)
_maps: dict[tuple[str, str | None], object] = {}


def _keep_maps() -> None:
    """Make pyx12's map loader keep each map it parses (the defaults' parameters: ours never change)."""
    import pyx12.map_if

    load = pyx12.map_if.load_map_file
    if getattr(load, "keeps_maps", False):
        return

    def load_once(map_file: str, param: object, map_path: str | None = None) -> object:
        key = (map_file, map_path)
        if key not in _maps:
            _maps[key] = load(map_file, param, map_path)
        return _maps[key]

    load_once.keeps_maps = True  # type: ignore[attr-defined]
    pyx12.map_if.load_map_file = load_once


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
        _keep_maps()
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
