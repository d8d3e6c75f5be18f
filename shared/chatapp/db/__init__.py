"""Database access: engine, tenant context and the typed models of the schema design."""
