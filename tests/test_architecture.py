"""Pure cores (model, statistics, rendering geometry, readers) never import Django."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PURE_PACKAGES = ["generator/core", "generator/records", "generator/backends", "assessment/stats",
                 "assessment/reports", "assessment/planning", "assessment/audit"]  # fmt: skip
PURE_MODULES = ["assessment/answers.py", "assessment/labels.py", "assessment/truth.py"]
RENDER_DJANGO_MODULES = {"views.py", "urls.py", "apps.py", "responses.py"}


def pure_modules() -> list[Path]:
    files = [p for pkg in PURE_PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    files += [ROOT / module for module in PURE_MODULES]
    files += [p for p in (ROOT / "ecg_render").glob("*.py") if p.name not in RENDER_DJANGO_MODULES]
    return sorted(files)


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", pure_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_module_does_not_import_django(path):
    forbidden = imported_roots(path) & {"django", "rest_framework", "celery"}
    assert not forbidden, f"{path.relative_to(ROOT)} imports {forbidden}"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_the_generator_never_imports_the_assessment_or_the_renderer():
    for path in (ROOT / "generator").rglob("*.py"):
        upward = {
            m for m in imported_modules(path) if m.split(".")[0] in {"assessment", "ecg_render"}
        }
        assert not upward, f"{path.relative_to(ROOT)} imports {upward}"


def test_sampling_services_do_not_import_the_tasks_that_queue_them():
    assert not any(
        module.startswith("generator.tasks")
        for module in imported_modules(ROOT / "generator" / "sampling_jobs.py")
    )
