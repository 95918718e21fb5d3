"""Demo accounts: one per staff role, each with a password and a pre-enrolled authenticator.

The credentials are printed by ``lantern demo`` and written (mode 0600) to
``<data_dir>/demo-credentials.txt``; ``lantern user totp NAME`` shows the current code
outside production. A real deployment creates accounts with ``lantern user add``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from lantern.city import service as city_service
from lantern.config import Settings
from lantern.security import context, totp
from lantern.security import service as security_service
from lantern.security.policy import Principal

DEMO_ROLES = ("admin", "dispatcher", "officer", "analyst", "supervisor", "investigator", "auditor")


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    password: str
    totp_secret: str
    district: str = ""


def create_demo_accounts(session: Session, settings: Settings) -> list[DemoAccount]:
    """Create the demo accounts (once); returns their credentials."""
    actor = Principal.system("demo")
    password = f"lantern-demo-{secrets.token_hex(4)}"
    districts = city_service.list_districts(session)
    accounts = []
    for role in DEMO_ROLES:
        district = districts[0] if role == "officer" and districts else None
        user = security_service.create_user(
            session,
            actor,
            username=role,
            password=password,
            roles=[role],
            settings=settings,
            display_name=f"Demo {role}",
            district_id=district.id if district else None,
        )
        secret = totp.new_secret()
        user.mfa_secret = context.keyring(session).encrypt(secret, security_service.MFA_CONTEXT)
        user.mfa_enabled = True
        accounts.append(DemoAccount(role, role, password, secret, district.name if district else ""))
    session.flush()
    return accounts


def write_credentials(accounts: list[DemoAccount], folder: Path) -> Path:
    """Write the credentials file readable only by its owner."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo-credentials.txt"
    lines = [
        "# Lantern demo accounts (development only). Second factor: `lantern user totp NAME`.",
        "# username  role  password  authenticator-secret",
    ]
    lines += [f"{a.username}  {a.role}  {a.password}  {a.totp_secret}" for a in accounts]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path
