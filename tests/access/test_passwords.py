"""argon2id hashes: never the password, salted, verifiable; the rules a new password meets."""

import pytest

from warroom.access.passwords import check_password_rules, hash_password, verify_password
from warroom.errors import UserError


def test_hash_is_argon2id_and_not_the_password():
    hashed = hash_password("double-11-peak")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "double-11-peak" not in hashed
    assert verify_password(hashed, "double-11-peak")
    assert not verify_password(hashed, "double-11-Peak")


def test_same_password_hashes_differently():
    assert hash_password("double-11-peak") != hash_password("double-11-peak")


def test_garbage_hash_does_not_verify():
    assert not verify_password("not-a-hash", "double-11-peak")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short7!", "at least 8 characters, it has 7"),
        (" leading-space", "white space"),
        ("x" * 257, "at most 256"),
    ],
)
def test_password_rules(password, message):
    with pytest.raises(UserError, match=message):
        check_password_rules(password)
