"""The folder tree is the architecture: domains of `chatapp`, and which way their imports may point.

Read from the source with `ast`, so an import inside a function counts as much as one at the top:
a lazy import may save cold-start time, but it cannot hide a dependency. docs/architecture.md
draws the same picture.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "shared" / "chatapp"

# Lowest first. A domain may import its own modules and those of the layers below it, never above.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset(
        {"config", "errors", "observability", "security", "text", "fields", "languages", "db", "integrations"}
    ),
    frozenset({"access"}),  # who is calling, what they may do, how often
    frozenset({"realtime"}),  # sockets: connect tickets, open connections, frames pushed to them
    frozenset({"audit"}),
    frozenset({"billing"}),  # plans, subscriptions, quotas, usage
    frozenset({"companies"}),  # profile, status, team, presence
    frozenset({"identity"}),  # sign-in, sessions, sign-up, invitations accepted, API keys
    frozenset({"knowledge"}),  # categories, files, parsing, chunking, ingestion, vectors, search
    frozenset({"agent_runtime"}),  # runs an agent's package for a turn (its interface is public)
    frozenset({"agents", "agent_packages"}),  # configuration, catalogue, widget; the built-in package
    frozenset({"webhooks"}),
    frozenset({"conversations"}),  # the engine: turns, memory, customers, escalations
    frozenset({"channels"}),
    frozenset({"inbox"}),  # people answering: queue, takeovers, canned responses, customer profiles
    frozenset({"analytics"}),
    frozenset({"quality"}),  # test runs in sandbox conversations, content gaps
    frozenset({"surfaces"}),  # the widget's and the public API's views of conversations
    frozenset({"platform"}),  # the master admin's companies, purges and cross-company analytics
    frozenset({"system", "snapstart"}),  # health, housekeeping across domains; restoring snapshots
    frozenset({"api"}),  # the FastAPI app, authentication and error mapping for every function
)


def _domain(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "chatapp" and len(parts) > 1 else None


def _imports() -> dict[tuple[str, str], list[str]]:
    """(importing domain, imported domain) -> where, for every import between two domains."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        source = _domain(module)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in targets:
                imported = _domain(target)
                if source and imported and imported != source:
                    found[(source, imported)].append(f"{module}:{node.lineno} imports {target}")
    return found


def _layer(domain: str) -> int | None:
    return next((rank for rank, layer in enumerate(LAYERS) if domain in layer), None)


def test_every_domain_has_a_place() -> None:
    domains = {path.stem if path.is_file() else path.name for path in PACKAGE.iterdir()}
    domains -= {"__init__", "__pycache__"}
    placed = set().union(*LAYERS)
    assert domains <= placed, f"put these in a layer: {sorted(domains - placed)}"


def test_imports_point_down() -> None:
    upward = []
    for (source, imported), where in sorted(_imports().items()):
        low, high = _layer(imported), _layer(source)
        assert low is not None and high is not None
        if low > high or (low == high and low > 0):  # one layer's domains are peers: no imports
            upward.extend(where)
    assert not upward, "imports against the documented direction:\n" + "\n".join(upward)


def test_no_cycles_between_domains() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for source, imported in _imports():
        graph[source].add(imported)
    cycles = []
    for start in list(graph):
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for following in graph[node]:
                if following == start and len(path) > 1:
                    cycles.append(" -> ".join([*path, start]))
                elif following not in seen:
                    seen.add(following)
                    stack.append((following, [*path, following]))
    assert not cycles, "import cycles between domains:\n" + "\n".join(sorted(set(cycles)))


def _module_imports() -> dict[str, set[str]]:
    """module -> the chatapp modules it imports (at the top, in a function or under TYPE_CHECKING)."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            graph[module].update(t for t in targets if t in modules and t != module)
    return graph


def test_no_cycles_between_modules() -> None:
    """Within a domain too: two modules that need each other are one module, or share a third."""
    try:
        TopologicalSorter(_module_imports()).prepare()
    except CycleError as error:
        raise AssertionError(f"import cycle between modules: {' -> '.join(error.args[1])}") from None


def _function_imports(code_dir: Path) -> set[str]:
    tree = ast.parse((code_dir / "app.py").read_text())  # every handler module is app.py
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("chatapp"):
            found.update({node.module, *(f"{node.module}.{alias.name}" for alias in node.names)})
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("chatapp"))
    return found


def test_every_function_that_can_push_to_sockets_may_post_to_connections() -> None:
    """Posting a frame without `execute-api:ManageConnections` fails in AWS only, and quietly (a
    frame is never worth failing a request): so read it off the import graph instead."""
    from devtools.template import functions, load_template

    graph = _module_imports()
    resources = load_template()["Resources"]
    missing = []
    for spec in functions():
        reached, stack = set(), [m for m in _function_imports(spec.module_path.parent) if m in graph]
        while stack:
            module = stack.pop()
            if module not in reached:
                reached.add(module)
                stack.extend(graph.get(module, ()))
        if "chatapp.realtime.push" not in reached:
            continue
        policies = resources[spec.logical_id]["Properties"].get("Policies", [])
        if {"Ref": "RealtimePushPolicy"} not in policies:
            missing.append(spec.logical_id)
    assert not missing, f"these functions can post frames but lack RealtimePushPolicy: {missing}"
