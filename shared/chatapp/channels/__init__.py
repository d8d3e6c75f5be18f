"""Messaging channels: verifying inbound webhooks, normalising their events, sending replies."""
