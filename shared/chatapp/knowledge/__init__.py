"""Knowledge ingestion building blocks: parsing files into sections, and chunking sections."""
