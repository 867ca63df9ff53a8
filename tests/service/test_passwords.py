"""The password policy: length, no composition rules, common passwords and the email refused."""

from __future__ import annotations

import pytest

from litfeed.errors import InvalidInput
from litfeed.service.passwords import MAX_LENGTH, check_password, common_passwords


@pytest.mark.parametrize("password", [
    "lantern river clock",  # lower-case words only: no composition rule
    "12 horses eat 3 apples",
    "Ünïcödé pässphrâse",
    "correct-horse-" * 4 + "battery-staple",  # 66 characters
    "a passphrase " * 78 + "ok",  # 1016 characters
])
def test_long_passphrases_without_composition_rules_are_accepted(password: str) -> None:
    check_password(password, email="ana@example.org")


@pytest.mark.parametrize(("password", "says"), [
    ("seven77", "at least 8 characters"),
    ("y" * (MAX_LENGTH + 1), f"at most {MAX_LENGTH}"),
    ("password1", "common passwords"),
    ("PassWord1", "common passwords"),
    ("pass word 1", "common passwords"),
    ("qwertyuiop", "common passwords"),
    ("iloveyou1", "common passwords"),
    ("        ", "one character repeated"),
    ("zzzzzzzzzzzz", "one character repeated"),
    ("ana.lopez@example.org", "email address"),
    ("Ana.Lopez", "email address"),
])
def test_weak_passwords_are_refused_with_the_reason(password: str, says: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_password(password, email="ana.lopez@example.org")
    assert says in refused.value.message


def test_the_list_comes_from_the_package_and_keeps_only_passwords_long_enough() -> None:
    words = common_passwords()
    assert len(words) > 10_000  # zxcvbn ships 30,000; about 11,600 have 8+ characters
    assert "baseball" in words and "123456789" in words
    assert all(len(w) >= 8 for w in words)
    assert common_passwords() is words  # read once
