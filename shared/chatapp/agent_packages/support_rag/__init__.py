"""support-rag: Buzzi's default agent package."""
