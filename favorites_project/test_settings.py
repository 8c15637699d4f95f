"""The settings the test suite runs on (pytest.ini names this module): production's, plus
a fast password hasher.

Tests hash a password whenever they register, log in or change one; PBKDF2's
hundreds of thousands of rounds are a production cost the tests need not pay.
Everything else is `favorites_project.settings` as the environment makes it.
"""

from favorites_project.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
