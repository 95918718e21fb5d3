"""Password hashing (argon2id) and the password policy.

Policy after NIST SP 800-63B and OWASP ASVS 5.0 V6: at least 8 characters, no composition
rules, no forced periodic change, and refusal of the 30,000 most common passwords (the list
zxcvbn ranks from leaked password corpora) and of the username itself.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from lantern.errors import ValidationFailed

MAX_LENGTH = 128  # beyond this hashing cost becomes a denial-of-service lever
# argon2-cffi defaults are RFC 9106's second recommended option (t=3, m=64 MiB, p=4).
_HASHER = PasswordHasher()


@lru_cache(maxsize=1)
def _blocklist() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def check_policy(password: str, *, username: str, min_length: int) -> None:
    """Raise ValidationFailed saying what is wrong with a proposed password."""
    if len(password) < min_length:
        raise ValidationFailed(f"the password must have at least {min_length} characters")
    if len(password) > MAX_LENGTH:
        raise ValidationFailed(f"the password must have at most {MAX_LENGTH} characters")
    lowered = password.casefold()
    if lowered in _blocklist():
        raise ValidationFailed("this password is one of the most common passwords; choose another")
    if lowered == username.casefold():
        raise ValidationFailed("the password must not be the username")


def hash_password(password: str) -> str:
    """argon2id hash with a random salt."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises on a wrong or malformed hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(password_hash)


# A hash of a random password, verified against when the username is unknown so that the
# response time does not reveal which usernames exist.
DUMMY_HASH = _HASHER.hash("lantern-no-such-user-timing-equaliser")
