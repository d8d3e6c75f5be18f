"""The only modules that talk to the outside world (AWS, Anthropic, Qdrant, channel platforms)."""
