"""Shared FastAPI pieces: the app factory, error mapping and authentication dependencies."""
