"""The agent runtime: what an agent package receives, what it returns, and how it is loaded."""
