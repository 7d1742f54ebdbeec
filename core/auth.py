"""Who may see and do what, and how passwords are kept.

Authorisation lives here, in the core, so that every way in (web UI, CLI,
scenario runner, API) asks the same questions:

- a user of a unit-scoped role sees and acts on its own unit's projects only,
  and on the projects where its unit is a *party* (a unit a party field of
  the project names, e.g. the builder): those it sees, and on them it takes
  only the actions that name that party;
- an action may be taken only by a role the action lists.

``parties`` below is always the project's party units by party field name
(``{"builder": 7}``, see :meth:`tongchou.ledger.Ledger.parties`); left out,
the project has none, as before parties existed.
"""
from __future__ import annotations

import datetime as dt
import hmac as std_hmac
import secrets

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from collections.abc import Mapping

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


_DUMMY_HASH: str | None = None


def dummy_check(password: str) -> None:
    """Spend one scrypt like :func:`check_password` does, for an unknown,
    disabled or locked account: the answer time then tells nobody which it was."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("tongchou-dummy-password")
    check_password(password, _DUMMY_HASH)


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


Parties = Mapping[str, "int | None"]


def _own_or_party(actor: Actor, unit_id: int | None, parties: Parties | None) -> bool:
    if actor.unit_id is None:
        return False
    return actor.unit_id == unit_id or actor.unit_id in (parties or {}).values()


def can_read(registry: Registry, actor: Actor, unit_id: int | None, parties: Parties | None = None) -> bool:
    """May ``actor`` see a project of unit ``unit_id`` with ``parties``?"""
    role = registry.roles.get(actor.role)
    if role is None:
        return False
    if role.unit_scoped:
        return _own_or_party(actor, unit_id, parties)
    return True


def visible_unit(registry: Registry, actor: Actor) -> int | None:
    """The one unit an actor is confined to, or None when it sees every unit.
    A role the rules do not declare (its plugin was removed; the account
    stays) is confined to no unit at all (-1), as :func:`can_read` refuses it
    every project: lists must not show what a project page would refuse."""
    role = registry.roles.get(actor.role)
    if role is None:
        return -1
    if role.unit_scoped:
        return actor.unit_id if actor.unit_id is not None else -1
    return None


def action_permission(registry: Registry, actor: Actor, action: Action,
                      unit_id: int | None, parties: Parties | None = None) -> Refusal | None:
    """None if ``actor`` may take ``action`` on a project of ``unit_id`` with
    ``parties``.  A unit-scoped user takes an action naming a ``party`` only as
    that party's staff, and any other action only as the requesting unit's."""
    role = registry.roles.get(actor.role)
    if role is None or actor.role not in action.roles:
        allowed = "、".join(registry.roles[r].label for r in action.roles if r in registry.roles)
        label = role.label if role else actor.role
        return Refusal("permission", f"角色“{label}”无权办理“{action.label}”（应由：{allowed}）")
    if not role.unit_scoped:
        return None
    # A project that names no such party (the field is empty) leaves the
    # action to its requesting unit, as if the pack had declared no party.
    if action.party is not None and not (parties is not None and parties.get(action.party) is None):
        field = registry.fields.get(action.party)
        party_label = field.label if field is not None else action.party
        if actor.unit_id is None or actor.unit_id != (parties or {}).get(action.party):
            return Refusal("permission", f"“{action.label}”只能由该项目的{party_label}办理")
        return None
    if actor.unit_id is None or actor.unit_id != unit_id:
        unit_label = registry.fields["unit"].label if "unit" in registry.fields else "建设单位"
        if _own_or_party(actor, None, parties):
            return Refusal("permission", f"“{action.label}”只能由该项目的{unit_label}办理")
        return Refusal("permission", "只能办理本单位的项目")
    return None


def may_add_document(registry: Registry, actor: Actor, unit_id: int | None,
                     parties: Parties | None = None) -> Refusal | None:
    """Documents are filed by the project's own unit, by its parties (who act
    on it too: a builder files its construction records) or by a department
    that takes actions on projects; read-only roles and the administrator only read."""
    role = registry.roles.get(actor.role)
    if role is None:
        return Refusal("permission", f"未知角色“{actor.role}”")
    if role.unit_scoped:
        if not _own_or_party(actor, unit_id, parties):
            return Refusal("permission", "只能为本单位的项目上传材料")
        return None
    if any(actor.role in spec.roles for spec in registry.actions.values()):
        return None
    return Refusal("permission", f"角色“{role.label}”只能查阅材料，不能上传")


def may_create(registry: Registry, actor: Actor, unit_id: int | None) -> Refusal | None:
    """Projects are entered by their own unit's staff, or by an administrator
    (e.g. when importing an existing ledger)."""
    role = registry.roles.get(actor.role)
    if role is None:
        return Refusal("permission", f"未知角色“{actor.role}”")
    if actor.role == "admin":
        return None
    if not role.unit_scoped:
        return Refusal("permission", f"角色“{role.label}”不能登记项目，项目由建设单位登记")
    if actor.unit_id is None or actor.unit_id != unit_id:
        return Refusal("permission", "只能登记本单位的项目")
    return None
