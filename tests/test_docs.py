"""docs/: the requirement reference is current, and the CI templates gate on the run and keep the
report."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from conformance.commands.listing import REGENERATE, markdown
from conformance.contract.catalogue import catalogue

DOCS = Path(__file__).resolve().parent.parent / "docs"
SECRETS = ("MPP_SUITE_PRIVATE_KEY", "MPP_TOKEN_BASE")


def test_requirements_reference_is_current() -> None:
    committed = (DOCS / "requirements.md").read_text(encoding="utf-8")
    assert committed == markdown(catalogue()), f"docs/requirements.md is stale: run `{REGENERATE}`"


def test_requirements_reference_lists_every_requirement_once() -> None:
    text = markdown(catalogue())
    for req in catalogue():
        assert text.count(f"| `{req.id}` | {req.level} | {req.label} |") == 1


def test_guide_links_resolve() -> None:
    guide = (DOCS / "guide.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", guide):
        assert (DOCS / target).exists(), f"docs/guide.md links to missing {target}"


def _runs(command: str) -> bool:
    return re.search(r"(^|\s)conformance run(\s|$)", command) is not None


def test_github_actions_gates_on_the_run_and_keeps_the_report() -> None:
    workflow: dict[str, Any] = yaml.safe_load((DOCS / "ci/github-actions.yml").read_text())
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    run = [s for s in steps if _runs(s.get("run", ""))]
    assert len(run) == 1 and not run[0].get("continue-on-error")  # the exit code gates the job
    assert {run[0]["env"][name] for name in SECRETS} == {
        f"${{{{ secrets.{name} }}}}" for name in SECRETS
    }
    upload = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert len(upload) == 1 and upload[0]["if"] == "always()"
    assert upload[0]["with"]["path"].rstrip("/") == "reports"
    assert steps.index(upload[0]) > steps.index(run[0])


def test_gitlab_ci_gates_on_the_run_and_keeps_the_report() -> None:
    pipeline: dict[str, Any] = yaml.safe_load((DOCS / "ci/gitlab-ci.yml").read_text())
    jobs = [j for j in pipeline.values() if isinstance(j, dict) and "script" in j]
    assert len(jobs) == 1
    job = jobs[0]
    assert any(_runs(line) for line in job["script"]) and not job.get("allow_failure")
    assert job["artifacts"]["when"] == "always"
    assert [p.rstrip("/") for p in job["artifacts"]["paths"]] == ["reports"]
    assert job["artifacts"]["reports"]["junit"] == "reports/junit.xml"
