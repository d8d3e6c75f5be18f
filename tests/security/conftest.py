"""The chat fixtures (a shop with the built-in agent package, scripted 'Claude') for the attacks
that go through a conversation."""

from tests.integration.chat.conftest import builtin_packages, claude, other_shop, shop
from tests.integration.knowledge.sources import queues

__all__ = ["builtin_packages", "claude", "other_shop", "queues", "shop"]
