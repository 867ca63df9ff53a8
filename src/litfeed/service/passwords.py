"""The password policy: long enough, not absurdly long, and not one that attackers try first.

It follows OWASP ASVS 5.0 V6.2 and NIST SP 800-63B: at least 8 characters, long passphrases
welcome (up to 1024 characters, far beyond the 64 the standards ask us to allow), no
composition rules (no "one digit, one symbol"), and a refusal of passwords that appear on a
list of common/breached passwords. The list is the 30,000 most common passwords from real
breaches that ships inside the ``zxcvbn`` package (Dropbox's strength estimator, kept on PyPI);
it is read on the first password set by this process, not at import time, so processes that
never set a password never pay for it. Passwords are compared case-insensitively and with
spaces removed, so "Pass Word1" is refused like "password1".

Besides the list, a password may not be the account's own email address or its name part, nor
one character repeated (NIST's "context-specific words" and "repetitive characters").
"""

from __future__ import annotations

from functools import lru_cache

from litfeed.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 1024


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The common-password list (lower case), only entries long enough to pass the length rule
    (shorter ones are refused by length already)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"]
                     if len(word) >= MIN_LENGTH)


def _squeezed(text: str) -> str:
    return "".join(text.split()).lower()


def check_password(password: str, *, email: str | None = None) -> None:
    """Refuse a password that breaks the policy, saying which rule and what to do instead.

    :raise InvalidInput: too short, too long, common, or guessable from the account.
    """
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"the password is too short: use at least {MIN_LENGTH} characters "
                           "(a few unrelated words make a good one)")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"the password is too long: use at most {MAX_LENGTH} characters")
    squeezed = _squeezed(password)
    if len(set(squeezed)) <= 1:
        raise InvalidInput("the password is one character repeated; choose a passphrase of a "
                           "few unrelated words")
    if squeezed in common_passwords() or password.lower() in common_passwords():
        raise InvalidInput("this password is on a list of common passwords that attackers try "
                           "first; choose another (a few unrelated words make a good one)")
    if email:
        address = email.strip().lower()
        local = address.partition("@")[0]
        if squeezed in {_squeezed(address), _squeezed(local)}:
            raise InvalidInput("the password must not be your email address or its name part")
