"""Knowledge sources: websites and help centres kept in sync as knowledge files (issue #21).

`connector.py` is the seam every source implements; `web.py` (the crawler) and `zendesk.py` are
the two connectors; `syncs.py` runs a sync one item per queue message; `pages.py` turns what a
connector fetched into knowledge files; `service.py` is what the API calls.
"""
