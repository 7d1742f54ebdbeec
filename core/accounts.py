"""Units and user accounts of a ledger: who exists, who belongs where, and
logging in (the lock-out after repeated failures).  Part of :class:`~tongchou.ledger.Ledger`."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import auth
from peewee import SqliteDatabase

from .db import write_transaction
from .errors import InvalidInput, NotFound, PermissionDenied
from .models import Account, Setting, Unit, now
from .values import has_bidi_control
from .vocabulary import Actor

#: Preferences a user may set for themself, and the values each takes.
PREFERENCES: dict[str, tuple[str, ...]] = {"lang": ("zh", "en"), "money_unit": ("yuan", "wan")}
_PREF_PREFIX = "preferences:"

#: the actor of changes the system makes itself (seeding, imports by tools)
SYSTEM = Actor(name="system", role="admin")


def _stored_name(name: str) -> str:
    """``name`` if it could be a user's login name at all; a name with control
    characters (PostgreSQL refuses NUL in text) or too long is no user."""
    if not isinstance(name, str) or len(name) > 64 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise NotFound(f"unknown user {name!r}")
    return name


class AccountsMixin:
    """Units, users and logins."""

    def add_unit(self, name: str, actor: Actor = SYSTEM) -> int:
        name = (name or "").strip()
        if not name or len(name) > 100:
            raise InvalidInput("unit", "单位名称不能为空且不超过100字", "单位")
        if has_bidi_control(name) or not name.isprintable():
            raise InvalidInput("unit", "单位名称含有不允许的控制字符（如从右到左覆盖符）", "单位")
        if actor.role != "admin":
            raise PermissionDenied("只有系统管理员可以添加单位")
        with write_transaction(self.db):
            existing = Unit.get_or_none(Unit.name == name)
            if existing is not None:
                return existing.id
            unit_id = Unit.insert(name=name).execute()
            self.audit.append("unit", actor.name, {"unit": name})
        return unit_id

    def unit_id(self, name: str) -> int:
        # Units are never renamed or deleted, so a name once found stays right.
        for uid, known in self._units.items():
            if known == name:
                return uid
        row = Unit.get_or_none(Unit.name == name)
        if row is None:
            raise InvalidInput("unit", f"未知单位“{name}”", "建设单位")
        self._units[row.id] = row.name
        return row.id

    def unit_name(self, unit_id: int | None) -> str:
        if unit_id is None:
            return ""
        if unit_id not in self._units:
            # A miss reads every unit at once: a province has hundreds, and a
            # listing would otherwise ask for them one by one.
            self._units.update(Unit.select(Unit.id, Unit.name).tuples())
        return self._units.get(unit_id, "")

    def units(self) -> list[tuple[int, str]]:
        return list(Unit.select(Unit.id, Unit.name).order_by(Unit.name).tuples())

    def add_user(self, name: str, role: str, unit: str | None = None, *, display_name: str = "",
                 password: str | None = None, actor: Actor = SYSTEM) -> Actor:
        """Add a user; a unit-scoped role needs a unit, other roles must have none."""
        if actor.role != "admin":
            raise PermissionDenied("只有系统管理员可以添加用户")
        name = (name or "").strip()
        if not name or len(name) > 64 or any(c.isspace() for c in name):
            raise InvalidInput("name", "用户名不能为空、不能含空白且不超过64字符", "用户名")
        for text, fname, label in ((name, "name", "用户名"), (display_name, "display_name", "显示名")):
            if has_bidi_control(text or "") or not (text or "").isprintable() or len(text or "") > 100:
                raise InvalidInput(fname, f"{label}含有不允许的控制字符或过长", label)
        unit_id = self._role_unit(role, unit)
        if password is not None and len(password) < auth.MIN_PASSWORD_LENGTH:
            raise InvalidInput("password", f"密码至少 {auth.MIN_PASSWORD_LENGTH} 位", "密码")
        hashed = auth.hash_password(password) if password is not None else None
        with write_transaction(self.db):
            if Account.get_or_none(Account.name == name) is not None:
                raise InvalidInput("name", f"用户“{name}”已存在", "用户名")
            uid = Account.insert(name=name, role=role, unit=unit_id, display_name=display_name or name,
                                 password_hash=hashed).execute()
            self._seal("account", [uid])
            self.audit.append("user", actor.name, {"op": "add", "user": name, "role": role, "unit": unit})
        return Actor(name=name, role=role, unit_id=unit_id, unit=unit or "", id=uid)

    def actor(self, name: str) -> Actor:
        """The user called ``name``, as actions see them."""
        row = Account.get_or_none(Account.name == _stored_name(name))
        if row is None:
            raise NotFound(f"unknown user {name!r}")
        if row.disabled:
            raise PermissionDenied(f"user {name!r} is disabled")
        if not self._row_sound("account", row):  # tampered outside Tongchou: not used
            raise PermissionDenied(f"用户“{name}”的账号记录封印不符，已拒绝使用；请管理员运行 tongchou audit verify")
        return Actor(name=row.name, role=row.role, unit_id=row.unit_id,
                     unit=self.unit_name(row.unit_id), id=row.id)

    def authenticate(self, name: str, password: str) -> Actor:
        """Check a password; every attempt is logged in the audit chain.

        After ``auth.MAX_FAILURES`` failures in a row the account is locked for
        ``auth.LOCKOUT``; a locked, disabled or unknown account and a wrong
        password all get the same answer after the same work (one scrypt), so
        nothing is learnt by guessing or by timing.

        The lock holds across processes and servers: an attempt is first
        *counted* as a failure in one transaction that locks the account row
        (``SELECT ... FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on
        SQLite) and reads ``locked_until`` inside it; the attempt that reaches
        the limit sets the lock before its password is checked.  So at most
        ``MAX_FAILURES`` passwords are checked per lock window, however many
        processes try at once.  Only a correct password clears the count.
        """
        name = (name or "").strip()[:64]
        if any(ord(c) < 32 or ord(c) == 127 for c in name):
            name = ""  # no login name has control characters: an unknown user, same answer
        password = password or ""
        reason = self._reserve_login(name)
        if reason is None:
            row = Account.get_or_none(Account.name == name)
            ok = row is not None and auth.check_password(password, row.password_hash)
            reason = None if ok else "password"
        else:
            auth.dummy_check(password)
        with write_transaction(self.db):
            if reason is None:
                Account.update(failed_logins=0, locked_until=None).where(Account.name == name).execute()
                self.audit.append("login", name, {})
            else:
                detail: dict[str, Any] = {"reason": reason}
                if reason == "password":
                    locked = Account.select(Account.locked_until).where(Account.name == name).scalar()
                    detail["locked"] = locked is not None and locked > now()
                self.audit.append("login_failed", name, detail)
        if reason:
            raise PermissionDenied("用户名或密码错误，或账号已锁定")
        return self.actor(name)

    def _reserve_login(self, name: str) -> str | None:
        """Count one attempt on ``name`` before its password is checked; the
        reason to refuse without checking, or None when the check may go ahead."""
        moment = now()
        with write_transaction(self.db):
            query = Account.select().where(Account.name == name)
            if not isinstance(self.db, SqliteDatabase):
                query = query.for_update()
            row = query.first()
            if row is None or row.disabled or not row.password_hash:
                return "unknown or disabled"
            if not self._row_sound("account", row):  # changed outside Tongchou: never logs in
                return "tampered"
            if row.locked_until is not None and row.locked_until > moment:
                return "locked"
            failures = row.failed_logins + 1
            if failures >= auth.MAX_FAILURES:
                Account.update(failed_logins=0, locked_until=moment + auth.LOCKOUT) \
                    .where(Account.id == row.id).execute()
            else:
                Account.update(failed_logins=failures, locked_until=None) \
                    .where(Account.id == row.id).execute()
        return None

    def set_password(self, name: str, password: str, actor: Actor = SYSTEM) -> None:
        if actor.role != "admin" and actor.name != name:
            raise PermissionDenied("只能修改自己的密码")
        name = _stored_name(name)
        if len(password or "") < auth.MIN_PASSWORD_LENGTH:
            raise InvalidInput("password", f"密码至少 {auth.MIN_PASSWORD_LENGTH} 位", "密码")
        hashed = auth.hash_password(password)
        with write_transaction(self.db):
            n = Account.update(password_hash=hashed, failed_logins=0, locked_until=None) \
                .where(Account.name == name).execute()
            if n != 1:
                raise NotFound(f"unknown user {name!r}")
            self._seal("account", [a.id for a in Account.select(Account.id).where(Account.name == name)])
            self.audit.append("user", actor.name, {"op": "passwd", "user": name})

    def _role_unit(self, role: str, unit: str | None) -> int | None:
        """The unit id a user of ``role`` belongs to: a unit-scoped role needs a
        unit, other roles must have none."""
        spec = self.registry.roles.get(role)
        if spec is None:
            raise InvalidInput("role", f"未知角色“{role}”（可选：{', '.join(self.registry.roles)}）", "角色")
        if spec.unit_scoped:
            if not unit:
                raise InvalidInput("unit", f"角色“{spec.label}”的用户必须属于一个单位", "单位")
            return self.unit_id(unit)
        if unit:
            raise InvalidInput("unit", f"角色“{spec.label}”的用户不属于某个建设单位", "单位")
        return None

    def set_role(self, name: str, role: str, unit: str | None = None, actor: Actor = SYSTEM) -> Actor:
        """Give a user another role (and unit, for a unit-scoped role).  Web
        sessions of the user end (they carry a digest of role and unit)."""
        if actor.role != "admin":
            raise PermissionDenied("只有系统管理员可以修改用户角色")
        name = _stored_name(name)
        unit_id = self._role_unit(role, unit)
        with write_transaction(self.db):
            n = Account.update(role=role, unit=unit_id).where(Account.name == name).execute()
            if n != 1:
                raise NotFound(f"unknown user {name!r}")
            self._seal("account", [a.id for a in Account.select(Account.id).where(Account.name == name)])
            self.audit.append("user", actor.name, {"op": "role", "user": name, "role": role, "unit": unit})
        return Actor(name=name, role=role, unit_id=unit_id, unit=unit or "",
                     id=Account.get(Account.name == name).id)

    def set_disabled(self, name: str, disabled: bool, actor: Actor = SYSTEM) -> None:
        if actor.role != "admin":
            raise PermissionDenied("只有系统管理员可以停用或启用用户")
        name = _stored_name(name)
        with write_transaction(self.db):
            n = Account.update(disabled=disabled).where(Account.name == name).execute()
            if n != 1:
                raise NotFound(f"unknown user {name!r}")
            self._seal("account", [a.id for a in Account.select(Account.id).where(Account.name == name)])
            self.audit.append("user", actor.name, {"op": "disable" if disabled else "enable", "user": name})

    def users(self) -> list[dict]:
        return [{"name": a.name, "display_name": a.display_name, "role": a.role,
                 "unit": self.unit_name(a.unit_id), "disabled": a.disabled,
                 "has_password": bool(a.password_hash)}
                for a in Account.select().order_by(Account.name)]

    def display_names(self) -> dict[str, str]:
        """Login name -> display name (the login name where none is set), for
        showing people rather than accounts (one query)."""
        return {a.name: a.display_name or a.name
                for a in Account.select(Account.name, Account.display_name)}

    # Per-user preferences (UI language, money unit) live in the settings
    # table under one key per user, so no schema change is needed and a
    # preference follows the user to any browser.
    def preferences(self, name: str) -> dict[str, str]:
        """The preferences ``name`` has set (only known keys and values)."""
        row = Setting.get_or_none(Setting.key == _PREF_PREFIX + name)
        stored = row.value if row is not None and isinstance(row.value, dict) else {}
        return {k: v for k, v in stored.items() if v in PREFERENCES.get(k, ())}

    def set_preference(self, actor: Actor, key: str, value: str) -> None:
        """Set one of ``actor``'s own preferences (see :data:`PREFERENCES`)."""
        if key not in PREFERENCES:
            raise InvalidInput(key, "没有这项个人设置", "个人设置")
        if value not in PREFERENCES[key]:
            raise InvalidInput(key, f"须为 {'、'.join(PREFERENCES[key])} 之一，收到 {value!r}", "个人设置")
        with write_transaction(self.db):
            prefs = {**self.preferences(actor.name), key: value}
            (Setting.insert(key=_PREF_PREFIX + actor.name, value=prefs)
             .on_conflict(conflict_target=[Setting.key], update={Setting.value: prefs}).execute())
            self._seal("setting", [_PREF_PREFIX + actor.name])  # every settings row is sealed

    def record_login(self, name: str, ok: bool, detail: Mapping[str, Any] | None = None) -> None:
        with write_transaction(self.db):
            self.audit.append("login" if ok else "login_failed", name, dict(detail or {}))
