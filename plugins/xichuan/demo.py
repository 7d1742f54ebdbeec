"""The demo county: units, a user for each role, and projects in every status."""
from __future__ import annotations

from .common import hookimpl

TITLE = "演示县数据"
ARTICLES: tuple[int, ...] = ()


@hookimpl
def tongchou_seed_demo(ledger, today):
    from .demo_data import seed
    return seed(ledger, today)
