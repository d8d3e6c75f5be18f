"""template.yaml is the map: every function resolves to real code, uses the common layer, lints clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from devtools.template import ROOT, TEMPLATE_PATH, functions, load_template

TEMPLATE = load_template()
SPECS = functions(TEMPLATE)


def test_the_template_declares_the_expected_functions() -> None:
    names = {spec.logical_id for spec in SPECS}
    assert {"HealthFunction", "CompaniesFunction", "MigrateFunction"} <= names


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.logical_id)
def test_handler_resolves_to_a_real_function(spec) -> None:
    assert spec.code_uri.is_dir() and spec.code_uri.parent == ROOT / "functions"
    assert spec.module_path.is_file(), f"{spec.logical_id}: {spec.module_path} does not exist"
    assert callable(spec.load_handler())


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.logical_id)
def test_every_function_uses_the_common_and_dependencies_layers(spec) -> None:
    layers = spec.properties.get("Layers", [])
    assert {"Ref": "CommonLayer"} in layers
    assert {"Ref": "DependenciesLayer"} in layers


def test_runtime_supports_snapstart() -> None:
    runtime = TEMPLATE["Globals"]["Function"]["Runtime"]
    assert runtime.startswith("python3.") and int(runtime.split(".")[1]) >= 12
    assert TEMPLATE["Globals"]["Function"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}


def test_http_routes_are_unique_and_on_the_http_api() -> None:
    keys = [route.route_key for spec in SPECS for route in spec.routes]
    assert len(keys) == len(set(keys))
    for spec in SPECS:
        for event in spec.properties.get("Events", {}).values():
            if event["Type"] == "HttpApi":
                # The widget API is separate: its CORS is per agent, decided by the chat function.
                expected = (
                    "WidgetHttpApi" if event["Properties"]["Path"].startswith("/v1/widget/") else "HttpApi"
                )
                assert event["Properties"]["ApiId"] == {"Ref": expected}
    assert "CorsConfiguration" not in TEMPLATE["Resources"]["WidgetHttpApi"]["Properties"]


def test_no_function_gets_wildcard_permissions() -> None:
    text = TEMPLATE_PATH.read_text()
    assert "AdministratorAccess" not in text and "Action: '*'" not in text and 'Action: "*"' not in text


def test_secrets_are_never_plain_parameters() -> None:
    """Credentials reach functions only as Secrets Manager ARNs, never as parameter values."""
    for name in TEMPLATE["Parameters"]:
        lowered = name.lower()
        if any(word in lowered for word in ("password", "apikey", "token", "secret", "credential")):
            assert name.endswith("SecretArn"), name


@pytest.fixture(scope="module")
def lint_findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """cfn-lint's findings for both database variants and a deliberately broken template, from one
    cfn-lint run (its start-up alone takes about 6 s). Keyed by variant; each finding is a line of
    cfn-lint's parseable format."""
    folder = tmp_path_factory.mktemp("cfn-lint")
    source = TEMPLATE_PATH.read_text()
    default_line = '    Default: "false"\n    Description: \'"false" provisions'
    assert default_line in source
    variants = {
        f"database-{use}": source.replace(default_line, default_line.replace('"false"', f'"{use}"', 1))
        for use in ("false", "true")
    }
    variants["broken"] = source.replace(
        "      CodeUri: functions/health/\n", "      CodeUri: functions/health/\n      Runtime: python2.7\n"
    )
    paths = {name: folder / f"{name}.yaml" for name in variants}
    for name, text in variants.items():
        paths[name].write_text(text)
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), "--format", "parseable", *map(str, paths.values())], capture_output=True, text=True
    )
    assert result.returncode in (0, 2, 4, 6, 8, 10, 12, 14), result.stderr  # bit flags: findings only
    lines = result.stdout.splitlines()
    return {name: [line for line in lines if line.startswith(f"{path}:")] for name, path in paths.items()}


@pytest.mark.parametrize("use_existing_database", ["false", "true"])
def test_cfn_lint_passes_for_both_database_variants(
    use_existing_database: str, lint_findings: dict[str, list[str]]
) -> None:
    assert lint_findings[f"database-{use_existing_database}"] == []


def test_cfn_lint_would_catch_a_broken_template(lint_findings: dict[str, list[str]]) -> None:
    assert any("python2.7" in finding for finding in lint_findings["broken"])
