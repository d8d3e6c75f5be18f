"""Knowledge ingestion building blocks with no I/O of their own: parsing and chunking."""
