"""Lambda SnapStart: hooks that make a restored snapshot safe to serve from.

A snapshot freezes the init phase, heavy imports and all. Anything holding a network connection
(the database pool, HTTP clients) would wake up with sockets that belong to another machine, so
the after-restore hook drops them and the next request opens fresh ones. On Lambda the runtime
provides `snapshot_restore_py`; elsewhere hooks are only recorded, and tests call them.
"""

from __future__ import annotations

from collections.abc import Callable

_local_hooks: list[Callable[[], None]] = []


def register_after_restore(hook: Callable[[], None]) -> None:
    try:
        from snapshot_restore_py import register_after_restore as register  # type: ignore[import-not-found]
    except ImportError:
        _local_hooks.append(hook)
        return
    register(hook)


def run_after_restore_hooks() -> None:
    """What the Lambda runtime does after a restore (local runs and tests)."""
    for hook in _local_hooks:
        hook()


def reopen_connections() -> None:
    # Imported when the hook runs: registering it must not load SQLAlchemy or the SDK at init.
    from chatapp.db.engine import dispose_engines

    dispose_engines()
    try:
        from chatapp.agent_runtime.llm import reset_client
    except ImportError:
        return
    reset_client()
