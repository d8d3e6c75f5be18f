"""Business rules. Plain arguments in, plain results (pydantic models) out; no HTTP here."""
