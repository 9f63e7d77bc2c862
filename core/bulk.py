"""Building many records at once: the cyclic garbage collector held off while they are built.

Python's collector runs a young collection every 700 new container objects and, as the heap
grows, full collections over every object of the process. Building a province's 25,000 records
(rows of a query, named tuples, validated file rows) makes hundreds of young collections and one
or two full ones: measured, a third of the time of a round's results or a registry import, more
in the web app's larger heap. These records hold no reference cycles (plain tuples, strings,
numbers, read-only maps): reference counting frees them, the collector would find nothing.

:func:`collector_paused` holds the collector off for the ``with`` block and gives it back as it
was. Threads (the web app serves every browser from one process) share one count: the collector
comes back when the last block ends, and only if it was on when the first began. A block must
stay bounded (one read or one import), never a loop waiting on something else.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_on = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while the block builds its records."""
    global _depth, _was_on
    with _lock:
        if _depth == 0:
            _was_on = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_on:
                gc.enable()
