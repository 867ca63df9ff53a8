"""Account rules that the HTTP tests do not reach directly: the throttle window, rehashing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from factories import fast
from litfeed.config import Settings
from litfeed.errors import RateLimited, Unauthorized
from litfeed.service import accounts
from litfeed.store import Store
from litfeed.store import users as store_users
from litfeed.store.clock import now

PASSWORD = "a long password"


def test_failures_older_than_the_window_no_longer_count(settings: Settings, store: Store) -> None:
    s = fast(settings, login_max_failures=2, login_window_s=60)
    accounts.register(store, s, email="w@example.org", password=PASSWORD)
    with store.transaction() as conn:
        for _ in range(5):
            store_users.record_login_failure(conn, email="w@example.org", ip="10.0.0.1",
                                             at=now() - timedelta(seconds=61))
    assert accounts.authenticate(store, s, email="w@example.org", password=PASSWORD,
                                 ip="10.0.0.1").email == "w@example.org"
    for _ in range(2):
        with pytest.raises(Unauthorized):
            accounts.authenticate(store, s, email="w@example.org", password="nope nope")
    with pytest.raises(RateLimited) as locked:
        accounts.authenticate(store, s, email="w@example.org", password=PASSWORD)
    assert 1 <= locked.value.retry_after <= 61


def test_success_clears_the_accounts_failures(settings: Settings, store: Store) -> None:
    s = fast(settings, login_max_failures=3)
    accounts.register(store, s, email="c@example.org", password=PASSWORD)
    for _ in range(2):
        with pytest.raises(Unauthorized):
            accounts.authenticate(store, s, email="c@example.org", password="nope nope")
    accounts.authenticate(store, s, email="c@example.org", password=PASSWORD)
    for _ in range(2):  # two more failures do not reach the limit of three
        with pytest.raises(Unauthorized):
            accounts.authenticate(store, s, email="c@example.org", password="nope nope")
    accounts.authenticate(store, s, email="c@example.org", password=PASSWORD)


def test_stronger_hash_settings_rehash_on_login(settings: Settings, store: Store) -> None:
    weak = fast(settings)
    user = accounts.register(store, weak, email="h@example.org", password=PASSWORD)
    with store.read() as conn:
        before = store_users.password_hash_of(conn, user.id)
    stronger = replace(weak, argon2_memory_kib=2048)
    accounts.authenticate(store, stronger, email="h@example.org", password=PASSWORD)
    with store.read() as conn:
        after = store_users.password_hash_of(conn, user.id)
    assert before and after and before != after and "m=2048" in after
    assert accounts.authenticate(store, stronger, email="h@example.org", password=PASSWORD)


def test_expired_sessions_sign_nobody_in(settings: Settings, store: Store) -> None:
    s = fast(settings)
    user = accounts.register(store, s, email="e@example.org", password=PASSWORD)
    session = accounts.start_session(store, s, user.id)
    assert accounts.find_session(store, session.cookie) is not None
    with store.transaction() as conn:
        from sqlalchemy import update

        from litfeed.store import schema

        conn.execute(update(schema.sessions).values(expires_at=now() - timedelta(seconds=1)))
    assert accounts.find_session(store, session.cookie) is None
    assert accounts.find_session(store, "") is None
