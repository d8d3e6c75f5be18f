"""Typed models, one module per section of the schema design.

Importing this package does not import the modules: a function imports only the models
its path needs (cold start). `chatapp.db.models.registry` imports them all, for
migrations and for tests that walk every table.
"""
