"""Work around a reference-count bug of PySide6 6.12 on Python < 3.12.

PySide6 6.12 is built for the stable ABI and, at least on CPython 3.11, its bindings return
``None`` (every void method: ``update()``, ``setValue()``, ``setFlag()``...) and the
results of signal emits without taking a new reference. Python 3.12+ makes None, True and
False immortal, so nothing happens there; on 3.11 each call drops one reference to the
singleton, and after a few thousand calls the interpreter aborts with
``Fatal Python error: none_dealloc`` / ``bool_dealloc`` -- minutes into a real session.

Raising the reference counts of those singletons by 2**40 at import makes them effectively
immortal, as on 3.12. It only ever adds references to objects that are never freed anyway,
so it is safe; it is skipped where not needed.
"""

from __future__ import annotations

import ctypes
import sys

_PIN = 1 << 40


def pin_singletons() -> bool:
    """Make None, True and False un-freeable on CPython < 3.12; True if anything was done."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    done = False
    for obj in (None, True, False, Ellipsis, NotImplemented):
        refcnt = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is PyObject's first field
        if refcnt.value < _PIN:
            refcnt.value += _PIN
            done = True
    return done


pin_singletons()
