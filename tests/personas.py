"""Named test personas: an admin (staff), and two readers, alice and bob."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

PASSWORD = "correct-horse-battery-9"


@pytest.fixture
def admin(db):
    """The study administrator (staff and superuser)."""
    return get_user_model().objects.create_superuser("admin", "admin@example.org", PASSWORD)


@pytest.fixture
def reader_a(db):
    """Alice, a reader."""
    return get_user_model().objects.create_user("alice", "alice@example.org", PASSWORD)


@pytest.fixture
def reader_b(db):
    """Bob, another reader (alice's colleague: same study, never her items)."""
    return get_user_model().objects.create_user("bob", "bob@example.org", PASSWORD)
