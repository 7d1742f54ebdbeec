"""Who may see and do what, and how passwords are kept.

Authorisation lives here, in the core, so that every way in (web UI, CLI,
scenario runner, API) asks the same questions:

- a user of a unit-scoped role sees and acts on its own unit's projects only;
- an action may be taken only by a role the action lists.
"""
from __future__ import annotations

import datetime as dt
import hmac as std_hmac
import secrets

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from .registry import Registry
from .vocabulary import Action, Actor, Refusal

# scrypt cost: 2**15 * 8 * 128 bytes = 32 MiB per hash, ~0.1 s on this class of machine.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
MIN_PASSWORD_LENGTH = 8
MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)


def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    salt = secrets.token_bytes(16)
    digest = Scrypt(salt=salt, length=32, n=n, r=SCRYPT_R, p=SCRYPT_P).derive(password.encode())
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = Scrypt(salt=bytes.fromhex(salt), length=32, n=int(n), r=int(r),
                     p=int(p)).derive(password.encode())
    except (ValueError, TypeError):
        return False
    return std_hmac.compare_digest(got.hex(), digest)


def can_read(registry: Registry, actor: Actor, unit_id: int | None) -> bool:
    """May ``actor`` see a project of unit ``unit_id``?"""
    role = registry.roles.get(actor.role)
    if role is None:
        return False
    if role.unit_scoped:
        return actor.unit_id is not None and actor.unit_id == unit_id
    return True


def visible_unit(registry: Registry, actor: Actor) -> int | None:
    """The one unit an actor is confined to, or None when it sees every unit."""
    role = registry.roles.get(actor.role)
    if role is not None and role.unit_scoped:
        return actor.unit_id if actor.unit_id is not None else -1
    return None


def action_permission(registry: Registry, actor: Actor, action: Action,
                      unit_id: int | None) -> Refusal | None:
    """None if ``actor`` may take ``action`` on a project of ``unit_id``."""
    role = registry.roles.get(actor.role)
    if role is None or actor.role not in action.roles:
        allowed = "、".join(registry.roles[r].label for r in action.roles if r in registry.roles)
        label = role.label if role else actor.role
        return Refusal("permission", f"角色“{label}”无权办理“{action.label}”(应由:{allowed})")
    if role.unit_scoped and (actor.unit_id is None or actor.unit_id != unit_id):
        return Refusal("permission", "只能办理本单位的项目")
    return None


def may_add_document(registry: Registry, actor: Actor, unit_id: int | None) -> Refusal | None:
    """Documents are filed by the project's own unit or by a department that
    takes actions on projects; read-only roles and the administrator only read."""
    role = registry.roles.get(actor.role)
    if role is None:
        return Refusal("permission", f"未知角色“{actor.role}”")
    if role.unit_scoped:
        if actor.unit_id is None or actor.unit_id != unit_id:
            return Refusal("permission", "只能为本单位的项目上传材料")
        return None
    if any(actor.role in spec.roles for spec in registry.actions.values()):
        return None
    return Refusal("permission", f"角色“{role.label}”只能查阅材料,不能上传")


def may_create(registry: Registry, actor: Actor, unit_id: int | None) -> Refusal | None:
    """Projects are entered by their own unit's staff, or by an administrator
    (e.g. when importing an existing ledger)."""
    role = registry.roles.get(actor.role)
    if role is None:
        return Refusal("permission", f"未知角色“{actor.role}”")
    if actor.role == "admin":
        return None
    if not role.unit_scoped:
        return Refusal("permission", f"角色“{role.label}”不能登记项目,项目由建设单位登记")
    if actor.unit_id is None or actor.unit_id != unit_id:
        return Refusal("permission", "只能登记本单位的项目")
    return None
