"""The import rules of STYLE.md, enforced on the source (AST scan, not a convention)."""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
APP_ONLY = ("lims", "flask", "flask_sqlalchemy", "flask_migrate", "flask_login", "flask_wtf", "flask_babel",
            "flask_smorest", "sqlalchemy", "alembic", "psycopg", "psycopg2", "sqlite3")
FORBIDDEN = {
    "uncertainty": APP_ONLY + ("instruments", "certificates"),
    "instruments": APP_ONLY + ("uncertainty", "certificates"),
    "certificates": APP_ONLY + ("instruments",),
    "planning": APP_ONLY + ("instruments", "certificates", "uncertainty"),
}
# the only lims modules that may call each library (STYLE.md "Import rules")
GATEWAYS = {
    "instruments": {"lims/modules/measurements/acquisition.py", "lims/demo.py"},
    "uncertainty": {"lims/modules/budgets/evaluate.py"},
    "certificates": {"lims/modules/issuance/render.py", "lims/modules/issuance/keys.py"},
}


def imports_of(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno, node.module


def py_files(package):
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_libraries_never_import_the_application(package):
    bad = [f"{p.relative_to(ROOT)}:{line} imports {name}" for p in py_files(package)
           for top, line, name in imports_of(p) if top in FORBIDDEN[package]]
    if package == "certificates":  # certificates may use uncertainty.reporting only
        bad += [f"{p.relative_to(ROOT)}:{line} imports {name}" for p in py_files(package)
                for top, line, name in imports_of(p) if top == "uncertainty" and name != "uncertainty.reporting"]
    assert not bad, "\n".join(bad)


def test_lims_reaches_libraries_only_through_gateways():
    bad = []
    for path in py_files("lims"):
        rel = str(path.relative_to(ROOT))
        for top, line, name in imports_of(path):
            if top in GATEWAYS and rel not in GATEWAYS[top]:
                bad.append(f"{rel}:{line} imports {name}")
    assert not bad, "\n".join(bad)


def test_lims_core_does_not_import_modules():
    bad = [f"{p.relative_to(ROOT)}:{line} imports {name}" for p in py_files("lims/core")
           for _top, line, name in imports_of(p) if name.startswith("lims.modules")]
    assert not bad, "\n".join(bad)


def test_the_scan_sees_a_violation(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("import os\nfrom lims.extensions import db\n")
    assert [t for t, _, _ in imports_of(bad)] == ["os", "lims"]
