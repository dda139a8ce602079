"""The layer rule of docs/architecture.md, read from the source: every ``import`` statement of every
module under ``src/spsim`` (at the top or inside a function, so lazy imports count too).

- ``spsim.model`` imports neither ``spsim.studies`` nor ``spsim.interfaces``;
- ``spsim.studies`` never imports ``spsim.interfaces``;
- there are no import cycles between spsim's modules.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "spsim"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside ``if TYPE_CHECKING:`` blocks (never run)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return out


def imports_of(name: str, path: Path, runtime_only: bool = False) -> set[str]:
    """The spsim modules ``name`` imports (``from pkg import sub`` counts as importing ``pkg.sub``
    when that is a module, else as importing ``pkg``). ``runtime_only`` leaves out the imports
    under ``if TYPE_CHECKING:`` (annotations only)."""
    is_pkg = path.name == "__init__.py"
    here = name.split(".") if is_pkg else name.split(".")[:-1]
    out: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skip = _type_checking_only(tree) if runtime_only else set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = here[: len(here) - (node.level - 1)] if node.level > 1 else here
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in MODULES:  # `import spsim.model.config as c` and the like
                t = t.rpartition(".")[0]
            if t.startswith("spsim") and t != name:
                out.add(t)
    return out


#: every import, for the layer rule (a type-only import across layers is still a wrong dependency)
GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}
#: the imports that run, for cycles (``if TYPE_CHECKING:`` is how an annotation avoids one)
RUNTIME = {name: imports_of(name, path, runtime_only=True) for name, path in MODULES.items()}


def layer(name: str) -> str:
    """model, studies, interfaces; ``spsim.__main__`` (``python -m spsim``) is the command line;
    the package itself re-exports the model; errors and io are the base every layer may use."""
    parts = name.split(".")
    if name == "spsim":
        return "package"
    if name == "spsim.__main__":
        return "interfaces"
    return parts[1] if parts[1] in ("model", "studies", "interfaces") else "base"


FORBIDDEN = {
    "base": {"package", "model", "studies", "interfaces"},
    "model": {"studies", "interfaces"},
    "package": {"studies", "interfaces"},
    "studies": {"interfaces"},
    "interfaces": set(),
}


def test_the_walk_sees_the_package():
    """The check below is only as good as the graph: it must see the modules and their imports."""
    assert {"spsim.model.simulation", "spsim.studies.runner", "spsim.interfaces.cli.main", "spsim.errors"} <= set(
        MODULES)
    assert "spsim.model.params" in GRAPH["spsim.model.config"]  # from .params import Config
    assert "spsim.errors" in GRAPH["spsim.model.config"]  # from ..errors import ConfigError
    assert "spsim.studies.runner" in GRAPH["spsim.interfaces.cli.run"]  # a lazy import inside cmd_run
    assert "spsim.model.simulation" in GRAPH["spsim.model.mechanisms.base"]  # under TYPE_CHECKING
    assert "spsim.model.simulation" not in RUNTIME["spsim.model.mechanisms.base"]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_layer_rule(name):
    bad = sorted(t for t in GRAPH[name] if layer(t) in FORBIDDEN.get(layer(name), set()))
    assert not bad, f"{name} ({layer(name)} layer) imports {bad}: see docs/architecture.md"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (as a path that returns to its start), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state and (c := visit(m)):
                return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (c := visit(n)):
            return c
    return None


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycles():
    cycle = find_cycle(RUNTIME)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_architecture_doc_lists_the_weekly_order():
    from spsim.model import WEEKLY_ORDER

    doc = (SRC.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    week = doc.split("## The week", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\d+\. `(\w+)`", week, flags=re.M)
    assert listed == [m.__name__ for m in WEEKLY_ORDER] + ["Recorder"]


def test_readme_links_the_architecture_doc():
    assert "(docs/architecture.md)" in (SRC.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_small(name):
    """Each module readable in one sitting (issue 11: about 400 lines): the command line one
    module per group of commands, a mechanism its rule and the helpers only it uses."""
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= 400, f"{name} has {lines} lines: split it (by command group, or the helpers other modules share)"


def _top_level_names(path: Path) -> set[str] | None:
    """The names a module defines at its top level (functions, classes, assignments, imports), or
    None when it defines ``__getattr__`` (a lazy module: any name may exist)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == "__getattr__":
                return None
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.If, ast.Try)):  # names defined under a guard count
            for sub in ast.walk(node):
                if isinstance(sub, (ast.FunctionDef, ast.ClassDef)):
                    names.add(sub.name)
                elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                    names.update((a.asname or a.name).split(".")[0] for a in sub.names)
                elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    names.add(sub.id)
    return names


def test_every_import_of_spsim_names_something_that_exists():
    """A relative import one level off (``from ..model import x`` in ``spsim/interfaces/report/``
    means ``spsim.interfaces.model``) fails only when its line runs; inside a function that is
    rarely reached, it once broke every planner report of a scheme with programmes. Every
    ``from spsim... import name`` here, lazy ones included, must name a module of the package or
    a name that module defines."""
    bad = []
    for name, path in MODULES.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                parts = here[: len(here) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            elif (node.module or "").split(".")[0] == "spsim":
                base = node.module
            else:
                continue
            if base not in MODULES:
                bad.append(f"{name}:{node.lineno} imports from {base}, which does not exist")
                continue
            defined = _top_level_names(MODULES[base])
            for a in node.names:
                if f"{base}.{a.name}" not in MODULES and defined is not None and a.name not in defined:
                    bad.append(f"{name}:{node.lineno} imports {a.name} from {base}, which does not define it")
    assert not bad, "\n".join(bad)
