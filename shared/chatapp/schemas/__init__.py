"""Pydantic request and response models shared by services and handlers."""
