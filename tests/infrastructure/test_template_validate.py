"""The SAM CLI's own checks: `sam validate --lint` (cfn-lint after the transform) and the plain
transform validation (`sam validate --region`), which catches errors --lint lets through."""

from __future__ import annotations

from tests.infrastructure.helpers import TEMPLATE, run, tool


def test_sam_validate_lint() -> None:
    proc = run([tool("sam"), "validate", "--lint", "--template-file", str(TEMPLATE)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "is a valid SAM Template" in proc.stdout + proc.stderr


def test_sam_validate_transform() -> None:
    proc = run([tool("sam"), "validate", "--region", "us-east-1", "--template-file", str(TEMPLATE)])
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    # Proves the transform check ran: with `lint = true` in samconfig.toml's validate section
    # this command silently becomes a second --lint run.
    assert "basic SAM Validation" in out, out


def test_cfn_lint_informational_rules_clean() -> None:
    """cfn-lint including informational rules (e.g. explicit deletion policies on stateful resources)."""
    proc = run([tool("cfn-lint"), "--include-checks", "I", "--", str(TEMPLATE)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
