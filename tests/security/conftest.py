"""The chat fixtures (a shop with the built-in agent package, scripted 'Claude') for the attacks
that go through a conversation."""

from tests.integration.chat.conftest import builtin_packages, claude, other_shop, shop

__all__ = ["builtin_packages", "claude", "other_shop", "shop"]
