"""The errors Tongchou raises.  Every message is a single line a user can act on."""
from __future__ import annotations

from collections.abc import Sequence

from .vocabulary import Refusal


class TongchouError(Exception):
    """Base of all errors the platform raises on purpose."""


class ConfigurationError(TongchouError):
    """The plugins or the jurisdiction cannot be put together as asked."""


class PluginConflict(ConfigurationError):
    """Two plugins claim the same name (action, status, field, parameter ...)."""

    def __init__(self, kind: str, name: str, first: str, second: str):
        self.kind, self.name, self.first, self.second = kind, name, first, second
        super().__init__(
            f"plugin conflict: {kind} {name!r} is contributed by both {first!r} and "
            f"{second!r}; disable one, or mark one with replaces={first!r}")


class InvalidInput(TongchouError):
    """A value given by a user (or a file) is malformed.  ``field`` names it."""

    def __init__(self, field: str, message: str, label: str = ""):
        self.field, self.label, self.detail = field, label, message
        # Staff read the field's label; the internal key stays on ``.field`` for programs.
        named = f"“{label}”" if label else f"“{field}”"
        super().__init__(f"{named}：{message}")

    @property
    def with_key(self) -> str:
        """The message naming the field's key too, for administrators at the
        command line and in scripts (``“项目类别”（category）：…``)."""
        if self.label and self.label != self.field:
            return f"“{self.label}”（{self.field}）：{self.detail}"
        return str(self)


class NotFound(TongchouError):
    """No such project, user, unit, action or plugin (or not one the user may see)."""


class PermissionDenied(TongchouError):
    """The user may not read or do this."""


class Conflict(TongchouError):
    """Someone else changed the project first (optimistic locking)."""


class Refused(TongchouError):
    """A rule refused the step; the ledger is unchanged but for the audit log."""

    def __init__(self, refusals: Sequence[Refusal]):
        self.refusals = tuple(refusals)
        super().__init__("；".join(r.label for r in self.refusals) or "refused")

    @property
    def is_permission(self) -> bool:
        return any(r.code == "permission" for r in self.refusals)

    def cites(self, article: int) -> bool:
        return any(r.citation is not None and r.citation.cites(article) for r in self.refusals)


class AuditKeyMissing(TongchouError):
    """The ledger has an audit chain but its key file cannot be found."""
