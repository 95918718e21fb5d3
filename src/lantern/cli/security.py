"""Security commands: accounts, machine tokens, the audit log, keys, retention, backups."""

from __future__ import annotations

import getpass
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from lantern import backup as backups
from lantern import keys, retention
from lantern.audit import service as audit_service
from lantern.audit.checkpoint import generate_keypair
from lantern.cli.common import console, err, fail, make_runtime
from lantern.db import transaction
from lantern.errors import DomainError
from lantern.security import context, totp
from lantern.security import service as security_service
from lantern.security.access import audit
from lantern.security.crypto import load_keyring
from lantern.security.policy import ROLES, Principal

user_app = typer.Typer(help="Accounts: add, disable, unlock, reset the second factor.", no_args_is_help=True)
token_app = typer.Typer(help="Machine tokens for sensors and partner institutions.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
keys_app = typer.Typer(help="Field-encryption keys.", no_args_is_help=True)
retention_app = typer.Typer(help="Retention of data classes.", no_args_is_help=True)
backup_app = typer.Typer(help="Backups: create (and verify), restore.", no_args_is_help=True)


def _actor(command: str) -> Principal:
    return Principal.system(f"cli:{command}:{getpass.getuser()}")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = typer.prompt("Password", hide_input=True)
    if first != typer.prompt("Repeat", hide_input=True):
        err.print("error: the two passwords differ")
        raise typer.Exit(code=2)
    return str(first)


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[list[str], typer.Option(help=f"one or more of: {', '.join(ROLES)}")],
    display_name: Annotated[str, typer.Option()] = "",
    district_id: Annotated[int | None, typer.Option(help="district of a district-scoped role")] = None,
    password_stdin: Annotated[bool, typer.Option(help="read the password from standard input")] = False,
) -> None:
    """Create an account (the password is checked against the policy)."""
    runtime = make_runtime()
    password = _password(password_stdin)
    try:
        with transaction(runtime.sessions) as session:
            user = security_service.create_user(
                session,
                _actor("user-add"),
                username=username,
                password=password,
                roles=role,
                settings=runtime.settings,
                display_name=display_name,
                district_id=district_id,
            )
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"created {user.username} ({', '.join(role)}); a second factor is set up at first sign-in")


def _user_change(name: str, command: str, action: str, **kwargs: str) -> None:
    runtime = make_runtime()
    functions = {
        "disable": security_service.disable_user,
        "enable": security_service.enable_user,
        "unlock": security_service.unlock_user,
        "reset-mfa": security_service.reset_mfa,
    }
    try:
        with transaction(runtime.sessions) as session:
            functions[action](session, _actor(command), name, **kwargs)
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"{action}: done for {name}")


@user_app.command("disable")
def user_disable(username: str, reason: Annotated[str, typer.Option()] = "disabled by an administrator") -> None:
    """Disable an account and end its sessions."""
    _user_change(username, "user-disable", "disable", reason=reason)


@user_app.command("enable")
def user_enable(username: str) -> None:
    """Re-enable a disabled account."""
    _user_change(username, "user-enable", "enable")


@user_app.command("unlock")
def user_unlock(username: str) -> None:
    """Release an account locked after failed sign-ins."""
    _user_change(username, "user-unlock", "unlock")


@user_app.command("reset-mfa")
def user_reset_mfa(username: str) -> None:
    """Remove the second factor; the user enrols again at the next sign-in."""
    _user_change(username, "user-reset-mfa", "reset-mfa")


@user_app.command("list")
def user_list() -> None:
    """Accounts with roles and state."""
    runtime = make_runtime()
    with transaction(runtime.sessions) as session:
        for user, roles in security_service.list_users(session):
            state = "disabled" if not user.is_active else "locked" if user.locked_at else "active"
            console.print(
                f"{user.username:20} {','.join(roles):30} {state:9} mfa={'yes' if user.mfa_enabled else 'no'}"
            )


@user_app.command("totp")
def user_totp(username: str) -> None:
    """Print the current authenticator code of an account (development and demo only)."""
    runtime = make_runtime()
    if runtime.settings.env == "production":
        err.print("error: refused in production; use the account holder's authenticator app")
        raise typer.Exit(code=2)
    with transaction(runtime.sessions) as session:
        user = security_service.get_user_or_raise(session, username)
        if not user.mfa_secret:
            err.print(f"error: {username} has no second factor yet")
            raise typer.Exit(code=2)
        secret = context.keyring(session).decrypt(user.mfa_secret, security_service.MFA_CONTEXT)
        console.print(totp.code_at(secret, context.now(session)))


@token_app.command("create")
def token_create(
    name: str,
    scope: Annotated[list[str], typer.Option(help="permission names, e.g. incident:read")],
    days: Annotated[int, typer.Option(help="validity in days (1-366)")] = 90,
    district_id: Annotated[int | None, typer.Option(help="limit the token to one district")] = None,
) -> None:
    """Issue a machine token; it is printed once and stored only as a hash."""
    runtime = make_runtime()
    try:
        with transaction(runtime.sessions) as session:
            token, plaintext = security_service.create_token(
                session, _actor("token-create"), name=name, scopes=scope, days=days, district_id=district_id
            )
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"token {token.id} ({name}), expires {token.expires_at.isoformat()}:")
    console.print(plaintext, highlight=False)


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke a machine token at once."""
    runtime = make_runtime()
    try:
        with transaction(runtime.sessions) as session:
            security_service.revoke_token(session, _actor("token-revoke"), token_id)
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"token {token_id} revoked")


@audit_app.command("verify")
def audit_verify(
    checkpoints: Annotated[Path | None, typer.Option(help="folder of exported checkpoints")] = None,
    public_key: Annotated[Path | None, typer.Option(help="the checkpoint signer's public key (.pub)")] = None,
) -> None:
    """Verify the hash chain (and exported checkpoints); exit 1 naming the first bad entry."""
    runtime = make_runtime()
    with transaction(runtime.sessions) as session:
        report = audit_service.verify(session, checkpoints, public_key)
        audit(
            session,
            _actor("audit-verify"),
            "audit_read",
            "audit_log",
            "verify",
            outcome="success" if report.ok else "failed",
            details={"entries": report.entries},
        )
    for line in report.lines():
        (console if report.ok else err).print(line, highlight=False)
    if not report.ok:
        raise typer.Exit(code=1)


@audit_app.command("keygen")
def audit_keygen(out: Annotated[Path, typer.Option(help="private key file to create (mode 0600)")]) -> None:
    """Create the checkpoint signing key pair. Keep the private key away from the web process."""
    public = generate_keypair(out)
    console.print(f"private key: {out} (keep it readable only by the checkpoint job's account)")
    console.print(f"public key:  {public} (give it to whoever verifies)")


@audit_app.command("checkpoint")
def audit_checkpoint(
    signing_key: Annotated[Path, typer.Option(help="Ed25519 private key from `lantern audit keygen`")],
    out: Annotated[Path, typer.Option(help="folder (or mounted remote) for checkpoint files")],
    every: Annotated[int, typer.Option(help="repeat every N seconds (0: once)")] = 0,
) -> None:
    """Export a signed Merkle checkpoint of the audit log (run as its own service, not in the web process)."""
    runtime = make_runtime()
    while True:
        with transaction(runtime.sessions) as session:
            path = audit_service.create_checkpoint(session, signing_key, out, runtime.clock.now())
        console.print(f"checkpoint written: {path}" if path else "no new entries since the last checkpoint")
        if every <= 0:
            return
        time.sleep(every)


@keys_app.command("init")
def keys_init() -> None:
    """Create the keyring file (field-encryption and pseudonym keys)."""
    runtime_path = make_runtime().settings.keyring_path
    assert runtime_path is not None
    console.print(f"keyring ready at {runtime_path}")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """New primary key; re-encrypt every encrypted field in batches while the service runs."""
    runtime = make_runtime()
    report = keys.rotate(runtime, progress=lambda name, n: err.print(f"  {name}: {n} re-encrypted", end="\r"))
    err.print()
    console.print(f"new primary key {report.new_key}; re-encrypted {report.reencrypted}; retired {report.retired}")
    ring = load_keyring(runtime.settings.keyring_path or Path(), create=False)
    console.print(f"keyring: {len(ring.field_keys)} keys, primary {ring.primary.id}")


@retention_app.command("run")
def retention_run() -> None:
    """Purge every data class past its maximum retention (each purge is audited)."""
    runtime = make_runtime()
    try:
        with transaction(runtime.sessions) as session:
            results = retention.run(session, runtime.settings, _actor("retention"))
    except DomainError as exc:
        raise fail(exc) from exc
    for name, count in results:
        console.print(f"{name}: {count} purged")


@retention_app.command("classes")
def retention_classes() -> None:
    """Data classes with their minimum and effective maximum (days)."""
    runtime = make_runtime()
    for data_class in retention.DATA_CLASSES:
        days = retention.effective_days(data_class, runtime.settings)
        console.print(
            f"{data_class.name:24} min {data_class.min_days:5}  max {days if days is not None else 'kept':>5}  "
            f"{data_class.description}"
        )


@backup_app.command("create")
def backup_create(
    out: Annotated[Path, typer.Option(help="backup file to write")],
    verify: Annotated[bool, typer.Option(help="restore into a scratch database and compare")] = True,
    scratch_url: Annotated[str | None, typer.Option(help="empty database for the check (PostgreSQL)")] = None,
) -> None:
    """Back the database up while it runs; by default prove the backup restores."""
    runtime = make_runtime()
    url = runtime.settings.database_url
    try:
        backups.create(url, out)
        console.print(f"backup written: {out} ({out.stat().st_size:,} bytes)")
        ok = True
        if verify:
            if make_url(url).get_backend_name() == "sqlite":
                scratch = f"sqlite:///{Path(tempfile.mkdtemp(prefix='lantern-verify-')) / 'restored.db'}"
            elif scratch_url:
                scratch = scratch_url
            else:
                err.print("error: pass --scratch-url (an empty PostgreSQL database) or --no-verify")
                raise typer.Exit(code=2)
            backups.restore(out, scratch)
            result = backups.verify(url, scratch)
            ok = result.ok
            for line in result.lines:
                console.print(line, highlight=False)
        with transaction(runtime.sessions) as session:
            audit(
                session,
                _actor("backup"),
                "backup",
                "database",
                out.name,
                outcome="success" if ok else "failed",
            )
    except DomainError as exc:
        raise fail(exc) from exc
    if not ok:
        raise typer.Exit(code=1)


@backup_app.command("restore")
def backup_restore(
    file: Path,
    database_url: Annotated[str, typer.Option(help="URL of an EMPTY database to restore into")],
) -> None:
    """Restore a backup into an empty database and verify its audit chain."""
    try:
        backups.restore(file, database_url)
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"restored {file} into {make_url(database_url).render_as_string(hide_password=True)}")
