"""Buzzi's common package, shipped to every function as the common Lambda layer.

Importing it is cheap on purpose: heavy clients (anthropic, qdrant-client, boto3 services)
are imported lazily by the modules that talk to them.
"""

__version__ = "0.1.0"
