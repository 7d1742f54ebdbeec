"""Which ledger's database the peewee models use, when a process holds several.

The models (:mod:`tongchou.models`) are declared once, bound to one proxy.  A
plain peewee proxy points at one database for the whole process, so with two
ledgers open (a test comparing two counties, a backup into a second file, a
tool that copies between ledgers) the first ledger's model queries ran in the
database opened last: rows written into the wrong file.

Here the proxy resolves per thread: to the ledger whose method the thread
entered last, else to the one opened last.  A method of one ledger called from
inside a method of another gives the database back to the outer one when it
returns.  Every method and property of :class:`~tongchou.ledger.Ledger` whose
name has no leading underscore is wrapped (:func:`bind_methods`); module
functions taking a ledger (imports, official documents, exports) call one of
those first, so they follow it.  Two threads may work with two ledgers at once.
"""
from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from peewee import DatabaseProxy

#: per thread: "db" (the database the thread's model queries use) and "depth"
#: (how many ledger methods the thread is inside)
_LOCAL = threading.local()
#: the proxy's own slot: the database opened last, for threads that have not
#: entered a ledger method yet
_DEFAULT = DatabaseProxy.__dict__["obj"]


class LedgerDatabase(DatabaseProxy):
    """A peewee ``DatabaseProxy`` that resolves per thread (see the module)."""

    __slots__ = ()
    _NAMES = frozenset(("obj", "_callbacks", "_Model"))

    @property  # type: ignore[override]
    def obj(self) -> Any:
        db = _LOCAL.__dict__.get("db")
        return db if db is not None else _DEFAULT.__get__(self)

    @obj.setter
    def obj(self, value: Any) -> None:
        _DEFAULT.__set__(self, value)

    def initialize(self, obj: Any) -> None:
        """Make ``obj`` the database opened last (every thread's, until it
        enters a ledger method) and this thread's from now on."""
        _LOCAL.__dict__["db"] = obj
        super().initialize(obj)

    def release(self, obj: Any) -> None:
        """``obj`` was closed: no thread resolves to it any more (those that
        did fall back to the database opened last, or to none)."""
        if _LOCAL.__dict__.get("db") is obj:
            _LOCAL.__dict__["db"] = None
        if _DEFAULT.__get__(self) is obj:
            super().initialize(None)

    def __setattr__(self, attr: str, value: Any) -> None:
        # peewee's Proxy allows only its own slots; ``obj`` is a property here
        if attr not in self._NAMES:
            raise AttributeError("Cannot set attribute on proxy.")
        object.__setattr__(self, attr, value)


F = TypeVar("F", bound=Callable[..., Any])


def bound(fn: F) -> F:
    """Run the ledger method ``fn`` with the models resolving to its ledger's database."""

    @functools.wraps(fn)
    def method(self, *args, **kwargs):
        state = _LOCAL.__dict__
        prev, depth = state.get("db"), state.get("depth", 0)
        state["db"], state["depth"] = self.db, depth + 1
        try:
            return fn(self, *args, **kwargs)
        finally:
            state["depth"] = depth
            if depth:  # inside another ledger's method: its database again
                state["db"] = prev

    return method  # type: ignore[return-value]


def bind_methods(cls: type) -> type:
    """Wrap with :func:`bound` every public method and property ``cls`` has
    (its own and its mixins'); class and static methods are left alone."""
    for name in dir(cls):
        if name.startswith("_"):
            continue
        for klass in cls.__mro__:
            if name in klass.__dict__:
                attr = klass.__dict__[name]
                break
        else:  # pragma: no cover - dir() lists only what the MRO holds
            continue
        if isinstance(attr, property) and attr.fget is not None:
            setattr(cls, name, property(bound(attr.fget), attr.fset, attr.fdel, attr.__doc__))
        elif callable(attr) and not isinstance(attr, (classmethod, staticmethod, type)):
            setattr(cls, name, bound(attr))
    return cls
