"""`./run bench-sources`: crawl a generated 500-page site into a category, then re-sync it with 10
pages changed (issue #21).

The site (devtools/fake_site.py) is served on loopback with a sitemap (with each page's lastmod,
as real sitemaps give it) and a 20 ms delay per page;
each page has about 2 KB of text inside the navigation, header and footer a real site has. The
crawl runs through the real API service, crawl queue and crawler handler, and the real ingest
queue and handler, with crawler and ingest workers side by side as Lambda runs them. Its time is
printed next to the raw embedder's time for the very chunks the pipeline embedded (target: at
most 50% more). The re-sync's time and the number of chunks it embedded follow (targets: 20 s,
only the 10 changed pages' chunks).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT), str(ROOT / "scripts")]

WORDS = (
    "account",
    "order",
    "refund",
    "delivery",
    "invoice",
    "password",
    "shipping",
    "warranty",
    "return",
    "exchange",
    "subscription",
    "plan",
    "billing",
    "address",
    "payment",
    "card",
    "voucher",
    "discount",
    "store",
    "pickup",
    "tracking",
    "parcel",
    "courier",
    "customs",
    "size",
    "colour",
    "stock",
    "reservation",
    "booking",
    "cancel",
    "change",
    "update",
    "email",
    "phone",
    "support",
    "hours",
    "weekend",
    "holiday",
    "express",
    "standard",
    "international",
    "domestic",
    "gift",
    "wrap",
    "loyalty",
    "points",
    "member",
    "profile",
)


def _paragraph(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(3, 5)):
        words = [rng.choice(WORDS) for _ in range(rng.randint(10, 18))]
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def _page_body(rng: random.Random, size: int = 2000) -> str:
    parts, length = [], 0
    while length < size:
        paragraph = _paragraph(rng)
        parts.append(f"<p>{paragraph}</p>")
        length += len(paragraph)
    return "".join(parts)


def _path(number: int) -> str:
    """Page 0 is the home page every page's header links to."""
    return f"/guides/{number}" if number else "/"


def _guide(number: int, pages: int, rng: random.Random) -> str:
    from devtools.fake_site import page

    links = tuple(_path((number + k) % pages) for k in (1, 2, 3))
    return page(f"Guide {number}", _page_body(rng), links=links)


def _site(pages: int, rng: random.Random, delay: float) -> Any:
    from devtools.fake_site import FakeSite, sitemap

    site = FakeSite(delay_seconds=delay).start()
    site.robots = "User-agent: *\nAllow: /\n"
    for number in range(pages):
        site.pages[_path(number)] = _guide(number, pages, rng)
    urls = [f"{site.url}{_path(n)}" for n in range(pages)]
    site.sitemaps["/sitemap.xml"] = sitemap(urls, dict.fromkeys(urls, "2026-11-01"))
    return site


def _worker(queue: str, function: str, environment: dict[str, str], stop: Any) -> None:
    """One Lambda-like worker process: polls `queue` and invokes `function`'s real handler with
    batches of the size its template event source names."""
    import os

    os.environ.update(environment)
    sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]
    import boto3

    from devtools.aws_local import LocalEventSources
    from devtools.template import functions, load_template

    template = load_template()
    specs = functions(template)
    sources = LocalEventSources(template, specs)
    sources.queue_urls = json.loads(environment["BENCH_QUEUE_URLS"])
    spec = next(s for s in specs if s.logical_id == function)
    batch = min(int(spec.sqs_sources[0].get("BatchSize", 10)), 10)
    sqs = boto3.client("sqs")
    url = sources.queue_urls[queue]
    if function == "IngestFunction":  # loaded before the clock starts, as for the raw embedder
        from chatapp.integrations.embeddings import get_embedder

        get_embedder().embed_documents(["warm up"])
    profiler = None
    if environment.get("BENCH_PROFILE"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    while not stop.is_set():
        messages = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=batch,
            WaitTimeSeconds=1,
            VisibilityTimeout=120,
            AttributeNames=["All"],
        ).get("Messages", [])
        if messages:
            sources.deliver_sqs(spec, url, messages)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(f"{environment['BENCH_PROFILE']}/{function}-{os.getpid()}.prof")


class Workers:
    """Crawler and ingest workers in processes of their own, polling the queues as Lambda does."""

    def __init__(self, queue_urls: dict[str, str], crawlers: int) -> None:
        import multiprocessing
        import os

        context = multiprocessing.get_context("spawn")
        self.stop = context.Event()
        environment = {**os.environ, "BENCH_QUEUE_URLS": json.dumps(queue_urls)}
        # One ingest worker: the embedded Qdrant engine's directory belongs to one process.
        plan = [("CrawlQueue", "CrawlerFunction")] * crawlers + [("IngestQueue", "IngestFunction")]
        self.processes = [
            context.Process(target=_worker, args=(queue, function, environment, self.stop), daemon=True)
            for queue, function in plan
        ]
        for process in self.processes:
            process.start()

    def close(self) -> None:
        self.stop.set()
        for process in self.processes:
            process.join(30)


def _start_moto() -> Any:
    """moto as a server process of its own (the local runner's, with its quicker SQS clock): S3 and
    SQS are remote services on AWS, and answering them in the benchmark's processes would bill
    their work to the crawl."""
    import os
    import socket
    import subprocess

    from devtools.aws_local import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "devtools.aws_local", str(port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "shared"), str(ROOT)])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    return server


def _environment() -> Any:
    """Its own database and vector directory, moto in its own process, the template's queues."""
    import os

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    os.environ["QDRANT_PATH"] = tempfile.mkdtemp(prefix="buzzi-bench-")
    from devtools.embedded_db import ensure_database, server_url

    url = server_url("dev", "postgres")
    ensure_database(url, "buzzi_bench_sources", recreate=True)
    os.environ["DATABASE_URL"] = url.set(database="buzzi_bench_sources").render_as_string(hide_password=False)
    from devtools.local_env import configure

    configure("dev")
    moto = _start_moto()
    from devtools.aws_local import LocalEventSources
    from devtools.template import functions, load_template

    template = load_template()
    sources = LocalEventSources(template, functions(template))
    sources.provision()
    from chatapp.config import get_settings

    get_settings.cache_clear()
    from chatapp.db.migrate import upgrade_to_head

    upgrade_to_head()
    return moto, sources.queue_urls


def _settled(principal: Any, source_id: Any) -> tuple[bool, dict[str, Any]]:
    """Whether the source's last sync completed and every page it stored is indexed."""
    from sqlalchemy import func, select

    from chatapp.db.enums import FileStatus
    from chatapp.db.models.knowledge import KnowledgeFile
    from chatapp.db.tenancy import tenant_session
    from chatapp.knowledge.sources import service

    with tenant_session(principal.context()) as db:
        waiting = db.scalar(
            select(func.count(KnowledgeFile.id)).where(
                KnowledgeFile.source_id == source_id,
                KnowledgeFile.status.in_((FileStatus.PENDING, FileStatus.PROCESSING)),
            )
        )
    out = service.get_source(principal, source_id)
    sync = out.last_sync.model_dump() if out.last_sync else {}
    return bool(sync.get("status") == "completed" and not waiting), sync


def _wait(
    principal: Any, source_id: Any, started: float, timeout: float = 600
) -> tuple[float, dict[str, Any]]:
    while True:
        done, sync = _settled(principal, source_id)
        if done:
            return time.perf_counter() - started, sync
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"the sync did not settle within {timeout:.0f} s: {sync}")
        time.sleep(0.25)


def _embedded_texts(principal: Any, source_id: Any) -> list[str]:
    """The texts the pipeline embedded for the source's pages: each stored page parsed and chunked
    exactly as ingestion does."""
    from sqlalchemy import select

    from chatapp.db.models.knowledge import KnowledgeFile
    from chatapp.db.tenancy import tenant_session
    from chatapp.integrations import storage
    from chatapp.integrations.embeddings import get_embedder
    from chatapp.knowledge.chunking import ChunkingConfig, chunk_sections
    from chatapp.knowledge.ingestion import count_tokens
    from chatapp.knowledge.parsing import parse_document

    with tenant_session(principal.context()) as db:
        keys = db.scalars(
            select(KnowledgeFile.storage_path).where(KnowledgeFile.source_id == source_id)
        ).all()
    config = ChunkingConfig(max_input_tokens=get_embedder().max_input_tokens)
    texts: list[str] = []
    with tempfile.TemporaryDirectory() as workdir:
        for number, key in enumerate(keys):
            path = Path(workdir) / f"{number}.html"
            storage.download(key, path)
            document = parse_document(path, "text/html")
            texts += [
                c.embed_text
                for c in chunk_sections(
                    document.sections, document_title=document.title, config=config, count_tokens=count_tokens
                )
            ]
    return texts


def _raw_embed_seconds(texts: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the faster of two runs: the ceiling, not a run slowed by
    something else."""
    from chatapp.integrations.embeddings import get_embedder
    from chatapp.knowledge.ingestion import EMBED_BATCH

    embedder = get_embedder()
    runs = []
    for _ in range(2):
        started, cpu = time.perf_counter(), time.process_time()
        for start in range(0, len(texts), EMBED_BATCH):
            embedder.embed_documents(texts[start : start + EMBED_BATCH])
        runs.append((time.perf_counter() - started, time.process_time() - cpu))
    return min(runs)


def _cpu_by_group(groups: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds used so far by each group of processes, and by every PostgreSQL backend."""
    import psutil
    from bench_idle import _cpu_seconds

    backends = [p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"]
    used = {name: sum(_cpu_seconds(psutil.Process(pid)) for pid in pids) for name, pids in groups.items()}
    return used | {"postgres": sum(_cpu_seconds(p) for p in backends)}


def main() -> None:
    parser = argparse.ArgumentParser(description="Buzzi web sources benchmark")
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--changed", type=int, default=10)
    parser.add_argument("--delay-ms", type=float, default=20.0)
    parser.add_argument("--crawlers", type=int, default=2, help="crawler processes side by side")
    parser.add_argument("--profile", metavar="DIR", help="write each worker's cProfile statistics here")
    args = parser.parse_args()

    if args.profile:
        import os

        os.environ["BENCH_PROFILE"] = str(Path(args.profile).resolve())
    moto, queue_urls = _environment()
    from bench_knowledge import _company
    from sqlalchemy import func, select

    from chatapp.db.models.knowledge import KnowledgeFile
    from chatapp.db.tenancy import tenant_session
    from chatapp.integrations.embeddings import get_embedder
    from chatapp.knowledge.sources import service
    from chatapp.knowledge.sources.schemas import SourceIn

    get_embedder().embed_documents(["warm up the model before anything is timed"])
    rng = random.Random(21)
    site = _site(args.pages, rng, args.delay_ms / 1000)
    principal, category = _company("Sources")
    workers = Workers(queue_urls, args.crawlers)
    try:
        print(
            f"» crawl: {args.pages} pages of ~2 KB text with a sitemap, {args.delay_ms:g} ms per page, "
            f"on loopback; {args.crawlers} crawler processes and 1 ingest process (moto in its own)",
            flush=True,
        )
        import os

        groups = {
            "crawlers": [p.pid for p in workers.processes[: args.crawlers]],
            "ingest": [p.pid for p in workers.processes[args.crawlers :]],
            "moto (S3, SQS)": [moto.pid],
            "bench (site, API, polling)": [os.getpid()],
        }
        cpu_before = _cpu_by_group(groups)
        started = time.perf_counter()
        source = service.create_source(
            principal,
            SourceIn(
                name="Bench site",
                url=f"{site.url}/sitemap.xml",
                category_id=category,
                page_limit=args.pages,
                allow_http=True,
            ),
        )
        crawl_seconds, sync = _wait(principal, source.id, started)
        cpu_after = _cpu_by_group(groups)
        texts = _embedded_texts(principal, source.id)
        raw, raw_cpu = _raw_embed_seconds(texts)
        print(
            f"  crawled and indexed: {sync['new']} new pages ({sync['failed']} failed), {len(texts)} chunks "
            f"in {crawl_seconds:.1f} s"
        )
        print(
            f"  raw embedder on the same {len(texts)} chunks: {raw:.1f} s; crawling, parsing and indexing "
            f"add {crawl_seconds / raw - 1:+.0%} (target: at most +50%)"
        )
        print(
            "  CPU seconds during the crawl: "
            + ", ".join(f"{name} {cpu_after[name] - cpu_before.get(name, 0):.1f}" for name in cpu_after)
            + f"; the raw embedder used {raw_cpu:.1f}"
        )

        changed = rng.sample(range(args.pages), args.changed)
        from devtools.fake_site import sitemap

        urls = [f"{site.url}{_path(n)}" for n in range(args.pages)]
        dates = dict.fromkeys(urls, "2026-11-01")
        for number in changed:
            site.pages[_path(number)] = _guide(number, args.pages, rng)
            dates[f"{site.url}{_path(number)}"] = "2026-12-06"  # as the site's CMS would say
        site.sitemaps["/sitemap.xml"] = sitemap(urls, dates)
        with tenant_session(principal.context()) as db:
            generations = dict(
                db.execute(
                    select(KnowledgeFile.id, KnowledgeFile.ingest_generation).where(
                        KnowledgeFile.source_id == source.id
                    )
                ).all()
            )
        print(f"» re-sync with {args.changed} pages changed", flush=True)
        started = time.perf_counter()
        service.sync_now(principal, source.id)
        resync_seconds, sync = _wait(principal, source.id, started)
        with tenant_session(principal.context()) as db:
            rows = db.execute(
                select(KnowledgeFile.id, KnowledgeFile.ingest_generation, KnowledgeFile.chunk_count).where(
                    KnowledgeFile.source_id == source.id
                )
            ).all()
            total = db.scalar(
                select(func.count(KnowledgeFile.id)).where(KnowledgeFile.source_id == source.id)
            )
        reindexed = [r for r in rows if r.ingest_generation != generations.get(r.id)]
        print(
            f"  {sync['changed']} changed, {sync['unchanged']} unchanged, {sync['new']} new, "
            f"{sync['failed']} failed of {total} pages in {resync_seconds:.1f} s (target: 20 s)"
        )
        print(
            f"  re-embedded: {len(reindexed)} pages, {sum(r.chunk_count or 0 for r in reindexed)} chunks "
            f"(of {len(texts)}; target: only the {args.changed} changed pages)"
        )
    finally:
        workers.close()
        site.stop()
        moto.terminate()


if __name__ == "__main__":
    main()
