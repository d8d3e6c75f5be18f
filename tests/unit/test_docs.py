"""The tenancy document lists every table's policy, so it cannot silently go stale."""

from __future__ import annotations

from chatapp.db.policies import TABLE_POLICIES
from devtools.template import ROOT


def test_tenancy_doc_lists_every_table_with_its_access() -> None:
    doc = (ROOT / "docs" / "tenancy.md").read_text()
    for table, policy in TABLE_POLICIES.items():
        assert f"| `{table}` | {policy.access.value} |" in doc, table


def test_readme_names_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "./run dev" in readme and "./run test" in readme
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("exec ./run test")
