"""Integration tests share the fixtures of tests/conftest.py (`tenants`, `api`, `owner_session`),
which tests/security uses too."""
