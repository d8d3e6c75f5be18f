"""Agent quality tools: test runs before going live (and, next, content gaps and the copilot)."""
