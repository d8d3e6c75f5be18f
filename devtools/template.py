"""Reads template.yaml: the single source of truth for functions, routes, queues and schedules."""

from __future__ import annotations

import copy
import functools
import importlib.util
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML loader that keeps CloudFormation short-form tags as {"Fn::X": value} / {"Ref": x}."""


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    # Parsing takes ~0.1 s and the runner and tests ask often: parse once per version of the file,
    # and hand each caller its own copy to change.
    stat = path.stat()
    return copy.deepcopy(_parsed(path, stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=4)
def _parsed(path: Path, mtime_ns: int, size: int) -> dict[str, Any]:
    with path.open() as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=_CloudFormationLoader)  # noqa: S506 - SafeLoader subclass
    return document


FUNCTION_URL_PREFIX = "/_url/"


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST, ... or ANY
    path: str  # API Gateway path, e.g. /v1/companies/{company_id}

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def pattern(self) -> re.Pattern[str]:
        regex = ""
        for segment in self.path.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("+}"):
                regex += f"/(?P<{segment[1:-2]}>.+)"
            elif segment.startswith("{") and segment.endswith("}"):
                regex += f"/(?P<{segment[1:-1]}>[^/]+)"
            elif segment:
                regex += "/" + re.escape(segment)
        return re.compile(f"^{regex or '/'}$")

    def specificity(self) -> tuple[int, int, int]:
        """API Gateway prefers literal segments over variables, and variables over greedy ones."""
        segments = self.path.strip("/").split("/")
        literal = sum(1 for s in segments if not s.startswith("{"))
        greedy = sum(1 for s in segments if s.endswith("+}"))
        return (-literal, greedy, 0 if self.method != "ANY" else 1)


_IMPORT_LOCK = threading.RLock()


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_uri: Path
    handler: str  # module.attribute, as Lambda reads it
    properties: dict[str, Any]
    routes: list[Route] = field(default_factory=list)
    sqs_sources: list[dict[str, Any]] = field(default_factory=list)
    schedules: list[dict[str, Any]] = field(default_factory=list)

    @property
    def module_path(self) -> Path:
        return self.code_uri / (self.handler.rsplit(".", 1)[0].replace(".", "/") + ".py")

    def load_handler(self) -> Callable[[dict[str, Any], Any], Any]:
        """Import the handler module from its file, the way Lambda would from CodeUri. One import
        at a time: two first requests racing must not see a half-imported module."""
        module_name = f"buzzi_functions.{self.logical_id}"
        with _IMPORT_LOCK:
            return self._load(module_name)

    def _load(self, module_name: str) -> Callable[[dict[str, Any], Any], Any]:
        module = sys.modules.get(module_name)
        if module is None:
            spec = importlib.util.spec_from_file_location(module_name, self.module_path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {self.module_path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[module_name]
                raise
        handler: Callable[[dict[str, Any], Any], Any] = getattr(module, self.handler.rsplit(".", 1)[1])
        return handler


def _merge(global_value: Any, local_value: Any) -> Any:
    """SAM's Globals rules: maps merge (recursively), lists are global entries then local ones,
    scalars are overridden."""
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = _merge(global_value[key], value) if key in global_value else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return [*global_value, *local_value]
    return local_value


def _merged_properties(template: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = _merge(template.get("Globals", {}).get("Function", {}), properties)
    return merged


def functions(template: dict[str, Any] | None = None, root: Path = ROOT) -> list[FunctionSpec]:
    template = template or load_template()
    specs = []
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = _merged_properties(template, resource.get("Properties", {}))
        routes, sqs_sources, schedules = [], [], []
        for event in properties.get("Events", {}).values():
            event_properties = event.get("Properties", {})
            if event["Type"] == "HttpApi":
                routes.append(Route(event_properties.get("Method", "ANY").upper(), event_properties["Path"]))
            elif event["Type"] == "SQS":
                sqs_sources.append(event_properties)
            elif event["Type"] in ("Schedule", "ScheduleV2"):
                schedules.append(event_properties)
        if "FunctionUrlConfig" in properties:
            # A Lambda function URL: locally served under /_url/<function>/..., as the same v2 events.
            routes.append(Route("ANY", f"{FUNCTION_URL_PREFIX}{logical_id}/{{proxy+}}"))
        specs.append(
            FunctionSpec(
                logical_id=logical_id,
                code_uri=(root / properties["CodeUri"]).resolve(),
                handler=properties["Handler"],
                properties=properties,
                routes=routes,
                sqs_sources=sqs_sources,
                schedules=schedules,
            )
        )
    return specs


_FUNCTION_ARN = re.compile(r"\$\{(\w+)\.Arn\}")
_INTEGRATION = re.compile(r"integrations/\$\{(\w+)\}")


def _sub_text(value: Any) -> str:
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return str(sub[0] if isinstance(sub, list) else sub)
    return str(value)


def websocket_routes(template: dict[str, Any] | None = None) -> dict[str, str]:
    """Route key ($connect, $disconnect, $default, ...) -> the function that serves it, from the
    template's API Gateway v2 WebSocket resources (SAM has no WebSocket event type)."""
    template = template or load_template()
    resources = template.get("Resources", {})
    integrations = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") == "AWS::ApiGatewayV2::Integration":
            found = _FUNCTION_ARN.search(_sub_text(resource["Properties"].get("IntegrationUri")))
            if found:
                integrations[logical_id] = found.group(1)
    routes = {}
    for resource in resources.values():
        if resource.get("Type") != "AWS::ApiGatewayV2::Route":
            continue
        properties = resource["Properties"]
        api = resources.get(properties.get("ApiId", {}).get("Ref", ""), {})
        if api.get("Properties", {}).get("ProtocolType") != "WEBSOCKET":
            continue
        target = _INTEGRATION.search(_sub_text(properties.get("Target")))
        if target and target.group(1) in integrations:
            routes[properties["RouteKey"]] = integrations[target.group(1)]
    return routes
