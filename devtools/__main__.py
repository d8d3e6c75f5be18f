"""`./run COMMAND`: the developer commands (see `./run --help`)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _print(message: str) -> None:
    print(message, flush=True)


def _progress(message: str) -> None:
    """Progress goes to stderr so command output stays pipeable (`./run dev-session ... | head -1`)."""
    print(message, file=sys.stderr, flush=True)


CHROMIUM = Path("/usr/bin/chromium")


def _ensure_chromium() -> bool:
    """The browser tests drive Debian's chromium: install it when missing and we can (root)."""
    if CHROMIUM.exists():
        return True
    if os.geteuid() != 0:
        _print(
            f"The browser tests (tests/browser) need Debian's chromium at {CHROMIUM}. Install the Debian "
            "package 'chromium' (sudo apt-get install -y chromium) and run the tests again."
        )
        return False
    _progress("» installing Debian's chromium for the browser tests (apt-get install -y chromium)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
    if subprocess.run(install, env=env).returncode:
        subprocess.run(["apt-get", "update"], env=env)  # a fresh machine may have no package lists yet
        subprocess.run(install, env=env)
    if not CHROMIUM.exists():
        _print(f"Could not install Debian's package 'chromium' ({CHROMIUM}); the browser tests need it.")
        return False
    return True


def cmd_test(args: list[str]) -> int:
    if not _ensure_chromium():
        return 1
    _progress("» ruff check")
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT)
    if lint.returncode:
        return lint.returncode
    _progress("» pytest")
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=ROOT).returncode


def _prepare_database(profile: str) -> None:
    from devtools.local_env import configure

    configure(profile)  # type: ignore[arg-type]
    from chatapp.db.migrate import upgrade_to_head

    _progress("» migrating the database")
    upgrade_to_head()


def cmd_migrate(_: list[str]) -> int:
    _prepare_database("dev")
    _print("✓ database at head")
    return 0


def cmd_seed(_: list[str]) -> int:
    _prepare_database("dev")
    from devtools.seed import seed

    result = seed()
    _print(f"✓ seeded: demo company {result.company_id}, agent {result.agent_id}")
    _print("  (agent packages are published to S3 by ./run dev, which runs the local AWS services)")
    for email, user_id in result.users.items():
        _print(f"    {email:<28} {user_id}")
    return 0


def cmd_dev_session(args: list[str]) -> int:
    if len(args) != 1:
        _print("usage: ./run dev-session EMAIL")
        return 2
    _prepare_database("dev")
    from chatapp.identity.authentication import issue_dev_session

    token, expires = issue_dev_session(args[0])
    _print(token)
    _print(f"(expires {expires:%Y-%m-%d %H:%M} UTC; send it as 'Authorization: Bearer <token>')")
    return 0


def cmd_dev(_: list[str]) -> int:
    from devtools.lifecycle import stopped_by_signals

    # Ctrl-C and SIGTERM both stop it, in the order things started backwards; moto and the pollers
    # are threads of this process. The embedded PostgreSQL keeps running (see the README).
    with stopped_by_signals() as running:
        _serve_dev(running)
    return 0


def _serve_dev(running: ExitStack) -> None:
    from devtools.aws_local import LocalEventSources, start_moto
    from devtools.local_env import configure
    from devtools.template import functions, load_template

    # Local AWS first: queue URLs and bucket names must be in the environment before settings are read.
    configure("dev")
    # Sign-in links open the console this runner serves (before settings are first read).
    os.environ.setdefault("CONSOLE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '3000')}/console")
    from devtools.sockets import hub_for, local_urls

    os.environ.update(
        local_urls(int(os.environ.get("PORT", "3000")))
    )  # the widget's socket, streamed answers
    moto_port = int(os.environ.get("MOTO_PORT", "4566"))
    _progress(f"» starting local AWS services (moto) on 127.0.0.1:{moto_port}")
    start_moto(moto_port)
    from devtools.moto_patches import allow_presigned_preflight

    allow_presigned_preflight()  # the widget and the console upload files straight to S3
    template = load_template()
    specs = functions(template)
    sources = LocalEventSources(template, specs)
    sources.provision()

    _prepare_database("dev")
    from chatapp.config import get_settings
    from chatapp.identity.authentication import issue_dev_session
    from devtools.invocations import LocalInvocations
    from devtools.runner import RouteTable, make_server
    from devtools.seed import seed

    seeded = seed(with_packages=True)
    sources.start()
    running.callback(sources.stop)

    for spec in specs:
        if spec.routes:
            spec.load_handler()  # fail fast on import errors, and keep first requests warm
    routes = RouteTable(specs)
    port = int(os.environ.get("PORT", "3000"))
    services = [hub_for(specs, template), LocalInvocations(specs, sources.queue_urls)]
    server = make_server(routes, port=port, demo_agent_id=str(seeded.agent_id), services=services)
    running.callback(server.server_close)
    token, _ = issue_dev_session("admin@demo.buzzi.example")
    base = f"http://127.0.0.1:{port}"
    _print("")
    _print(f"Buzzi is running on {base}")
    _print(f"  database  {os.environ['DATABASE_URL']}")
    _print(f"  AWS       {os.environ['AWS_ENDPOINT_URL']} (moto: S3, SQS, EventBridge, SES, KMS, Secrets)")
    _print(f"  queues    {', '.join(sources.queue_urls)}; buckets {', '.join(sources.bucket_names.values())}")
    _print(f"  vectors   Qdrant Edge (embedded) in {os.environ.get('QDRANT_PATH', '.buzzi/qdrant')}")
    _print("  embeddings all-MiniLM-L6-v2 int8 (offline, onnxruntime)")
    _print(f"  sockets   ws://127.0.0.1:{port}/ws/widget (streamed answers; @connections API on loopback)")
    _print("  routes (from template.yaml):")
    for line in routes.describe():
        _print(f"    {line}")
    _print(f"  demo company {seeded.company_id}; users admin@demo.buzzi.example, agent@demo.buzzi.example")
    answerer = "Claude (ANTHROPIC_API_KEY)" if get_settings().uses_language_model else "OFFLINE answerer"
    _print(f"  answers   {answerer}; demo agent {seeded.agent_id}")
    if not get_settings().uses_language_model:
        _print("            (no ANTHROPIC_API_KEY: replies quote the knowledge base, labelled offline)")
    _print("")
    _print(f"  widget    {base}/demo (a host page embedding the demo agent's {base}/widget.js)")
    _print(f"  console   {base}/console/ (sign-in links are printed in this log)")
    _print(f"  API docs  {base}/docs/api (OpenAPI: {base}/openapi/public.json, console.json, widget.json)")
    _print("")
    _print("Try:")
    _print(f"  curl {base}/health")
    _print(f"  curl -H 'Authorization: Bearer {token}' {base}/v1/companies/me")
    _print(
        f"  curl -X POST -H 'Origin: {base}' -H 'Content-Type: application/json' -d '{{}}' "
        f"{base}/v1/widget/agents/{seeded.agent_id}/conversations"
    )
    _print("  (another token: ./run dev-session agent@demo.buzzi.example)   Ctrl-C stops.")
    server.serve_forever()


def cmd_build_web(args: list[str]) -> int:
    from devtools.web_build import main

    return main(args)


def cmd_publish_web(args: list[str]) -> int:
    from devtools.publish_web import main

    return main(args)


def cmd_bench(args: list[str]) -> int:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_foundation.py"), *args], cwd=ROOT
    ).returncode


def cmd_fuzz(args: list[str]) -> int:
    # Before anything creates the logger: the functions' errors ("unhandled error" and its type) show,
    # their routine warnings about fuzzed input do not.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    from devtools.fuzz import main

    return main(args)


def cmd_openapi(args: list[str]) -> int:
    from devtools.local_env import configure

    configure("dev")
    from devtools.contracts import main

    return main(args)


def cmd_ingest_folder(args: list[str]) -> int:
    from devtools.ingest_folder import main

    return main(args)


def _script(name: str) -> Callable[[list[str]], int]:
    """A benchmark script of scripts/, run with this interpreter from the repository root."""

    def run(args: list[str]) -> int:
        return subprocess.run(
            [sys.executable, str(ROOT / "scripts" / f"{name}.py"), *args], cwd=ROOT
        ).returncode

    return run


def cmd_rollup_analytics(args: list[str]) -> int:
    _prepare_database("dev")
    from devtools.rollup_analytics import main

    return main(args)


def cmd_sync_sources(args: list[str]) -> int:
    from devtools.sync_sources import main

    return main(args)


COMMANDS = {
    "bench-knowledge": _script("bench_knowledge"),
    "ingest-folder": cmd_ingest_folder,
    "dev": cmd_dev,
    "test": cmd_test,
    "fuzz": cmd_fuzz,
    "openapi": cmd_openapi,
    "bench": cmd_bench,
    "migrate": cmd_migrate,
    "seed": cmd_seed,
    "bench-chat": _script("bench_chat"),
    "bench-realtime": _script("bench_realtime"),
    "bench-quality": _script("bench_quality"),
    "dev-session": cmd_dev_session,
    "build-web": cmd_build_web,
    "publish-web": cmd_publish_web,
    "bench-analytics": _script("bench_analytics"),
    "bench-sources": _script("bench_sources"),
    "bench-extraction": _script("bench_extraction"),
    "sync-sources": cmd_sync_sources,
    "bench-idle": _script("bench_idle"),
    "rollup-analytics": cmd_rollup_analytics,
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        _print(f"unknown command; choose one of: {', '.join(COMMANDS)}")
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
