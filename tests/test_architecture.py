"""The import rules of STYLE.md, enforced on the source (AST scan, not a convention)."""
import ast
import pathlib
import re

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


def _area(module):
    parts = module.split(".")
    return ".".join(parts[:3]) if module.startswith("lims.modules.") and len(parts) > 2 else None


def test_module_areas_import_each_other_without_a_cycle():
    """jobs sits below procedures and measurements; no area reaches itself, even through function-level imports."""
    graph = {}
    for path in py_files("lims/modules"):
        here = _area(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for _top, _line, name in imports_of(path):
            there = _area(name)
            if here and there and there != here:
                graph.setdefault(here, set()).add(there)

    def reaches(start, goal, seen=()):
        return any(n == goal or (n not in seen and reaches(n, goal, (*seen, n))) for n in graph.get(start, ()))

    cyclic = sorted(a for a in graph if reaches(a, a))
    assert not cyclic, f"import cycle through {', '.join(cyclic)}: {graph}"
    assert "lims.modules.procedures" not in graph.get("lims.modules.jobs", set())


def module_graph(root, packages):
    """``{module: modules it imports}`` over the ``.py`` files of ``packages`` under ``root``, counting
    imports anywhere in a file (inside functions too); ``from pkg import sub`` counts as ``pkg.sub``."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                found = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            else:
                continue
            for target in found:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    targets.add(target)
        graph[name] = targets
    return graph


def cycles(graph):
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_itself_back():
    """Issue 9: the module graph of the app and the libraries has no cycle, even through function-level imports."""
    found = cycles(module_graph(ROOT, ["lims", *sorted(FORBIDDEN)]))
    assert not found, "import cycles: " + "; ".join(" <-> ".join(group) for group in found)


def test_the_cycle_scan_sees_a_cycle_through_a_function(tmp_path):
    pkg = tmp_path / "p"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from p import b\n")
    (pkg / "b.py").write_text("def f():\n    from p.a import x  # cycle\n    return x\n")
    (pkg / "c.py").write_text("from . import a\n")
    assert cycles(module_graph(tmp_path, ["p"])) == [["p.a", "p.b"]]


# a query or rule written in one module only: the text that defines it, and its home
ONE_HOME = {
    "Bench.is_deleted.is_(False)": "lims/modules/equipment/queries.py",  # active_benches()
}


@pytest.mark.parametrize("text", sorted(ONE_HOME))
def test_each_query_has_one_home(text):
    homes = sorted(str(p.relative_to(ROOT)) for p in py_files("lims") if text in p.read_text(encoding="utf-8"))
    assert homes == [ONE_HOME[text]], f"{text!r} is written in {homes}; use the one in {ONE_HOME[text]}"


DOC = ROOT / "docs" / "architecture.md"


def _doc_list(heading):
    """The names of the ``- `name` — …`` bullets under ``### heading`` of docs/architecture.md."""
    names, inside = [], False
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            inside = line.strip() == f"### {heading}"
        elif inside and line.startswith("- `"):
            names.append(line[3:].split("`")[0])
    return names


def _difference(doc, tree, where):
    missing = sorted(set(tree) - set(doc))
    extra = sorted(set(doc) - set(tree))
    lines = [f"docs/architecture.md ({where}) does not list {name!r}, which exists in the tree" for name in missing]
    lines += [f"docs/architecture.md ({where}) lists {name!r}, which is not in the tree" for name in extra]
    return "\n".join(lines)


def test_architecture_doc_lists_every_area():
    tree = [p.parent.name for p in (ROOT / "lims" / "modules").glob("*/__init__.py")]
    doc = _doc_list("Areas (`lims/modules/<area>/`)")
    assert doc, "docs/architecture.md has no '### Areas (`lims/modules/<area>/`)' list"
    problems = _difference(doc, tree, "Areas")
    assert not problems, problems


def test_architecture_doc_lists_every_library():
    tree = [p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name not in ("lims", "tests")]
    doc = _doc_list("Libraries (top-level packages)")
    assert doc, "docs/architecture.md has no '### Libraries (top-level packages)' list"
    problems = _difference(doc, tree, "Libraries")
    assert not problems, problems


def test_doc_check_names_the_missing_and_the_extra():
    assert _difference(["a", "b"], ["b", "c"], "Areas") == (
        "docs/architecture.md (Areas) does not list 'c', which exists in the tree\n"
        "docs/architecture.md (Areas) lists 'a', which is not in the tree")


# --- type hints (issue 9 item 4): every public function and method of the application is annotated -------------
# (mypy checks the bodies of annotated functions over the whole of lims: `make lint`)


def unannotated_public_functions(path):
    """``name(missing annotations)`` of the public functions of ``path`` (module level and methods of its classes,
    ``self``/``cls`` aside) that lack an annotation; functions nested in functions are implementation detail."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []

    def visit(body, prefix):
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_"):
                a = node.args
                params = [*a.posonlyargs, *a.args, *a.kwonlyargs, *(p for p in (a.vararg, a.kwarg) if p is not None)]
                missing = [p.arg for p in params if p.annotation is None and not (prefix and p.arg in ("self", "cls"))]
                missing += ["return"] if node.returns is None else []
                if missing:
                    out.append(f"{prefix}{node.name}({', '.join(missing)})")

    visit(tree.body, "")
    return out


def _application_modules():
    return [p for p in py_files("lims") if "migrations" not in p.parts]


def test_the_application_stays_typed():
    modules = _application_modules()
    counted, problems = 0, []
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        counted += sum(1 for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and not n.name.startswith("_"))
        problems += [f"{path.relative_to(ROOT)}: {f}" for f in unannotated_public_functions(path)]
    assert not problems, f"{len(problems)} public functions without type hints:\n" + "\n".join(problems)
    assert counted >= 500, f"only {counted} public functions found (571 when the test was written): did lims move?"


def test_the_type_hint_scan_sees_a_missing_hint(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("def a(x: int) -> int:\n    return x\n\n\ndef b(x, *, y: int = 1):\n    pass\n\n\n"
                   "def c(*args, **kw) -> None:\n    pass\n\n\ndef _private(x):\n    pass\n\n\n"
                   "class K:\n    def m(self, v) -> None:\n        def inner(w):\n            pass\n\n"
                   "    def n(self) -> int:\n        return 1\n")
    assert unannotated_public_functions(src) == ["b(x, return)", "c(args, kw)", "K.m(v)"]


def test_browser_tests_share_the_one_session_chromium():
    """A module importing the ``browser`` fixture itself gets its own session fixture: a second Playwright in the
    same process fails ("Sync API inside the asyncio loop"). Only tests/lims/conftest.py provides it."""
    pattern = re.compile(r"from tests\.lims\.browser_support import [^\n#]*\bbrowser\b(?!_)")
    offenders = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "lims").glob("test_*.py")
                       if pattern.search(p.read_text(encoding="utf-8")))
    assert not offenders, f"use the conftest's `browser` fixture instead of importing it: {offenders}"


# --- imports inside functions (issue 9 item 4): only to break a cycle or defer a heavy import, and then saying so ----
def unexplained_function_imports(path):
    """``file:line`` of imports inside functions with no comment on their line or just above their import block."""
    src = path.read_text(encoding="utf-8")
    lines = src.splitlines()
    out = []
    for fn in ast.walk(ast.parse(src)):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            n = node.lineno - 1
            explained = "#" in lines[n]
            while not explained and n > 0:
                n -= 1
                above = lines[n].strip()
                if above.startswith("#"):
                    explained = True
                elif not above.startswith(("import ", "from ")):
                    break
            if not explained:
                out.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return out


def test_imports_inside_functions_say_why():
    problems = [p for path in _application_modules() for p in unexplained_function_imports(path)]
    assert not problems, ("imports inside functions without a comment saying why (a cycle, a heavy or optional "
                          "module): move them to the top of the module or say why:\n" + "\n".join(problems))


def test_the_import_scan_sees_an_unexplained_import(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("def a():\n    import json\n    return json\n\n\ndef b():\n    # heavy\n    import numpy\n"
                   "    import scipy\n    return numpy, scipy\n\n\ndef c():\n    import re  # cycle\n    return re\n")
    import tests.test_architecture as me

    old, me.ROOT = me.ROOT, tmp_path
    try:
        assert unexplained_function_imports(src) == ["m.py:2"]
    finally:
        me.ROOT = old
