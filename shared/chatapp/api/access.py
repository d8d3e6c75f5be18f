"""Route tags that say who a console endpoint is for. Services enforce it; these tags document it
in each app's OpenAPI and drive the generated authorisation matrix test."""

from __future__ import annotations

# Company admins; a support agent only with a permission an admin granted them.
ADMIN = "admin"
# Master admins only (the platform's catalogue and settings).
PLATFORM = "platform"
