"""Shared fixtures.

Signing in an AppTest: every page starts with ``ui.nav.require(page)``, which reads the login
name from ``st.session_state[keys.AUTH_USER]`` and the account from the database. A test signs
in by creating the account and setting that key before the first run, with
``scoped_db.sign_in`` (import it: ``from scoped_db import sign_in``) or the ``signed_in``
fixture (the same function)::

    at = AppTest.from_file(PAGE)
    sign_in(at, db, "admin")                        # role admin: everything
    sign_in(at, db, "reviewer", county="429901")    # one county
    at.run()
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from scoped_db import build, sign_in

from survey import auth

# Cheap argon2 parameters inside the test process only (the app and the CLI use the library's
# defaults): hashing is deliberately slow, and the tests hash hundreds of times.
auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def signed_in():
    """``signed_in(at, db, role=..., county=..., townships=..., name=..., display_name=...)``."""
    return sign_in


@pytest.fixture(scope="session")
def _scoped_template(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("scoped") / "template.db")


@pytest.fixture
def scoped(_scoped_template, tmp_path) -> Path:
    """A fresh copy of the two-county database of ``tests/scoped_db.py`` (users of every role)."""
    target = tmp_path / "scoped.db"
    shutil.copyfile(_scoped_template, target)
    return target
