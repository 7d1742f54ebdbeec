"""Making widgets the same way on every Panel 1.x.

Panel 1.9 renamed a widget's ``name`` to ``label``, a button's
``button_type`` to ``color`` and ``button_style`` to ``variant`` (the old
names warn).  :func:`widget` takes the old names and passes whichever the
installed Panel knows, so the UI runs on any Panel from 1.5 on.
"""
from __future__ import annotations

from typing import Any

RENAMED = (("name", "label"), ("button_type", "color"), ("button_style", "variant"))


def widget(cls, *args: Any, **kwargs: Any):
    """``cls(*args, **kwargs)``, with the old parameter names mapped to the new ones
    where the installed Panel has them."""
    for old, new in RENAMED:
        if old in kwargs and new in cls.param and new not in kwargs:
            kwargs[new] = kwargs.pop(old)
    return cls(*args, **kwargs)
