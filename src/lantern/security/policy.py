"""Permissions as data (``permissions.toml``) and the principal every request acts as."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from lantern.kit.scope import RowScope

PERSONAL_PERMISSIONS = frozenset({"party:read_personal", "party:erase"})


@dataclass(frozen=True)
class RoleSpec:
    name: str
    description: str
    permissions: frozenset[str]
    district_scoped: bool


@dataclass(frozen=True)
class Policy:
    permissions: dict[str, str]
    roles: dict[str, RoleSpec]

    def permissions_of(self, roles: set[str] | frozenset[str]) -> frozenset[str]:
        """Union of the permissions of ``roles`` (unknown roles give nothing)."""
        found: set[str] = set()
        for role in roles:
            spec = self.roles.get(role)
            if spec:
                found |= spec.permissions
        return frozenset(found)

    def district_scoped(self, roles: set[str] | frozenset[str]) -> bool:
        """True when every one of the roles is district-scoped (a wider role widens)."""
        specs = [self.roles[r] for r in roles if r in self.roles]
        return bool(specs) and all(s.district_scoped for s in specs)


@lru_cache(maxsize=1)
def load_policy() -> Policy:
    """The packaged policy, validated: every role names only known permissions."""
    data: dict[str, Any] = tomllib.loads((resources.files("lantern.security") / "permissions.toml").read_text())
    known = dict(data["permissions"])
    roles = {}
    for name, spec in data["roles"].items():
        unknown = set(spec["permissions"]) - set(known)
        if unknown:
            raise ValueError(f"role {name} names unknown permissions {sorted(unknown)}")
        roles[name] = RoleSpec(
            name,
            spec.get("description", ""),
            frozenset(spec["permissions"]),
            bool(spec.get("district_scoped", False)),
        )
    return Policy(permissions=known, roles=roles)


ROLES = tuple(load_policy().roles)
STAFF_ROLES = tuple(r for r in ROLES if r != "citizen")


@dataclass(frozen=True)
class Principal:
    """Who is acting: a signed-in user or a machine token, with what it may do."""

    kind: str  # "user" | "token" | "anonymous" | "system"
    name: str
    roles: frozenset[str] = frozenset()
    permissions: frozenset[str] = frozenset()
    user_id: int | None = None
    token_id: int | None = None
    district_id: int | None = None
    district_scoped: bool = False
    session_id: str | None = None
    csrf_token: str | None = None
    mfa_passed: bool = True
    request_id: str = ""
    client_address: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def authenticated(self) -> bool:
        return self.kind in ("user", "token", "system")

    def can(self, permission: str) -> bool:
        """Whether this principal holds ``permission``."""
        return permission in self.permissions

    def row_scope(self) -> RowScope:
        """Rows this principal may read, applied inside queries."""
        districts = None
        if self.district_scoped:
            districts = frozenset({self.district_id}) if self.district_id is not None else frozenset()
        return RowScope(district_ids=districts, include_restricted=self.can("incident:read_restricted"))

    @property
    def role_label(self) -> str:
        return ",".join(sorted(self.roles)) or self.kind

    @classmethod
    def anonymous(cls, request_id: str = "", client_address: str = "") -> Principal:
        return cls(kind="anonymous", name="anonymous", request_id=request_id, client_address=client_address)

    @classmethod
    def system(cls, name: str) -> Principal:
        """A command-line or scheduled job acting with every permission."""
        policy = load_policy()
        return cls(
            kind="system",
            name=name,
            roles=frozenset({"system"}),
            permissions=frozenset(policy.permissions),
            request_id=f"job:{name}",
        )
