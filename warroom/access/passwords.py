"""Password hashing with argon2id (argon2-cffi), and the rules a new password must meet.

argon2-cffi's defaults are RFC 9106's low-memory profile (argon2id, t=3, m=64 MiB, p=4): measured ~125 ms
per hash or verify on this 2-core machine, slow enough to make guessing costly, fast enough for a login.
"""

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from warroom.errors import UserError

MIN_LENGTH = 8
MAX_LENGTH = 256  # hashing is cheap per byte, but a megabyte "password" is an attack, not a password

_hasher = PasswordHasher()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise UserError(
            f"password too short: it needs at least {MIN_LENGTH} characters, it has {len(password)}"
        )
    if len(password) > MAX_LENGTH:
        raise UserError(f"password too long: at most {MAX_LENGTH} characters")
    if password.strip() != password:
        raise UserError("password starts or ends with white space: remove it (it is easy to mistype later)")


def hash_password(password: str) -> str:
    """An argon2id hash string ($argon2id$v=19$m=65536,t=3,p=4$salt$hash) with a fresh random salt."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's; re-hash it at the next login."""
    return _hasher.check_needs_rehash(password_hash)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("not a password: only spends the time a real check takes")


def spend_verify_time(password: str) -> None:
    """Verify against a throwaway hash, so an unknown username fails as slowly as a wrong password.

    Without it an unknown name answers in microseconds and a known one in ~125 ms: a user-name oracle.
    """
    verify_password(_dummy_hash(), password)
