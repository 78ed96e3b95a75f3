"""The package's import graph: no cycles, no arrow up the layers, no hidden function-level imports.

The graph is read from the source (ast), not by importing: every `import errsynth.X`
and `from errsynth.X import Y` (Y resolved to a module when it is one), at module
level (including `if TYPE_CHECKING:` blocks) or inside a function.

Layers, bottom to top (a module may import its own layer and the layers below):

    core        errsynth (the version), errsynth.core: chunks, run context, stage folder,
                atomic writes, the one rejection type, registry, parameter parser
    types       data types: errsynth.types, errsynth.schema
    algorithms  evaluate, evidence, igsm, dedup, mix, ingest, llm backends, render
    transforms  transforms (rule-based and LLM operators) and validate
    steps       errsynth.steps: the one step contract and the recipe steps
    engines     errsynth.engine (local, ray), errsynth.runner, errsynth.recipe; and
                errsynth.train beside them (it may use algorithms, not steps)
    cli         errsynth.cli and the terminal UI, errsynth.report (the HTML run report)

Function-level imports of errsynth modules are allowed only (a) of a module that
needs an optional extra at import time (`OPTIONAL_EXTRAS`: torch for `errsynth[train]`,
vllm), directly or through its own module-level imports, so that the rest works
without the extra; or (b) where listed in `FUNCTION_LEVEL_ALLOWED` with the reason.
Function-level imports of third-party packages (ray, vllm, torch) are not checked.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import errsynth

PACKAGE = Path(errsynth.__file__).parent

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("errsynth", "errsynth.core")),
    ("types", ("errsynth.types", "errsynth.schema")),
    (
        "algorithms",
        (
            "errsynth.evaluate",
            "errsynth.evidence",
            "errsynth.igsm",
            "errsynth.dedup",
            "errsynth.mix",
            "errsynth.ingest",
            "errsynth.llm",
            "errsynth.render",
        ),
    ),
    ("transforms", ("errsynth.transforms", "errsynth.validate")),
    ("steps", ("errsynth.steps",)),
    (
        "engines",
        (
            "errsynth.engine",
            "errsynth.runner",
            "errsynth.recipe",
            "errsynth.train",
            "errsynth.harvest",
        ),
    ),
    ("cli", ("errsynth.cli", "errsynth.report")),
]

# Rules on top of the layer order: (importer prefix, imported prefix, why not).
FORBIDDEN: list[tuple[str, str, str]] = [
    ("errsynth.train", "errsynth.steps", "train sits beside the engines: algorithms, not steps"),
    ("errsynth.train", "errsynth.engine", "train runs recipes through errsynth.runner only"),
    ("errsynth.harvest", "errsynth.steps", "harvest uses algorithms, transforms, validate, llm"),
    ("errsynth.harvest", "errsynth.engine", "harvest runs on the driver, not through an engine"),
]

# (importer, imported): function-level imports of errsynth modules that are allowed.
OPTIONAL_EXTRAS = ("torch", "vllm")

_SYMPY = "evaluate.symbolic imports sympy (seconds to import): loaded only for a symbolic check"
FUNCTION_LEVEL_ALLOWED: dict[tuple[str, str], str] = {
    ("errsynth.evaluate.answers", "errsynth.evaluate.symbolic"): _SYMPY,
    ("errsynth.evaluate.check", "errsynth.evaluate.symbolic"): _SYMPY,
    ("errsynth.evaluate.core", "errsynth.evaluate.symbolic"): _SYMPY,
}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str, names: list[str]) -> Iterator[str]:
    """What `from name import names` uses: each name that is a module, and `name` itself
    when some name is not a module (an object defined or re-exported there)."""
    if any(f"{name}.{n}" not in MODULES for n in names):
        yield name
    for n in names:
        if f"{name}.{n}" in MODULES:
            yield f"{name}.{n}"


def third_party_at_module_level(module: str) -> set[str]:
    """Top-level names of the non-errsynth packages `module` imports outside functions."""
    path = MODULES[module]
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if isinstance(child, ast.Import):
                out.update(a.name.split(".")[0] for a in child.names)
            elif isinstance(child, ast.ImportFrom) and not child.level and child.module:
                out.add(child.module.split(".")[0])
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    return out - {"errsynth"}


def imports(module: str) -> Iterator[tuple[str, bool, int]]:
    """(imported errsynth module, inside a function?, line) for every import in `module`."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    is_pkg = path.name == "__init__.py"

    def visit(node: ast.AST, in_function: bool) -> Iterator[tuple[str, bool, int]]:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "errsynth":
                        target = alias.name
                        while target not in MODULES and "." in target:
                            target = target.rsplit(".", 1)[0]
                        yield target, in_function, child.lineno
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = module.split(".")
                    keep = len(parts) - child.level + (1 if is_pkg else 0)
                    base = ".".join(parts[:keep] + ([base] if base else []))
                if base.split(".")[0] == "errsynth":
                    for target in _resolve(base, [a.name for a in child.names]):
                        yield target, in_function, child.lineno
            yield from visit(child, inner)

    yield from visit(tree, False)


GRAPH = {m: sorted({(t, f, line) for t, f, line in imports(m) if t != m}) for m in MODULES}


def layer_of(module: str) -> int:
    best, best_len = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            # "errsynth" itself (the version) is core; its submodules need a layer of their own
            inside = module.startswith(p + ".") and p != "errsynth"
            if (module == p or inside) and len(p) > best_len:
                best, best_len = i, len(p)
    return best


def test_every_module_has_a_layer() -> None:
    missing = [m for m in MODULES if layer_of(m) < 0]
    assert not missing, f"modules in no layer (add them to LAYERS): {missing}"


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_no_import_cycles() -> None:
    edges = {m: {t for t, _, _ in GRAPH[m] if t in MODULES} for m in MODULES}
    cycles = _cycles(edges)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_module_imports_a_layer_above_it() -> None:
    bad = []
    for m, targets in GRAPH.items():
        for t, _, line in targets:
            if t in MODULES and layer_of(t) > layer_of(m):
                bad.append(
                    f"{MODULES[m].relative_to(PACKAGE.parent)}:{line}: {m} ({LAYERS[layer_of(m)][0]})"
                    f" imports {t} ({LAYERS[layer_of(t)][0]})"
                )
            for src, dst, why in FORBIDDEN:
                if (m == src or m.startswith(src + ".")) and (t == dst or t.startswith(dst + ".")):
                    bad.append(f"{m} imports {t}: {why}")
    assert not bad, "imports up the layers:\n" + "\n".join(bad)


def needs_an_extra() -> set[str]:
    """Modules that import an optional extra at import time, directly or through the
    errsynth modules they import at module level."""
    heavy = {m for m in MODULES if third_party_at_module_level(m) & set(OPTIONAL_EXTRAS)}
    grew = True
    while grew:
        grew = False
        for m, targets in GRAPH.items():
            if m not in heavy and any(t in heavy for t, f, _ in targets if not f):
                heavy.add(m)
                grew = True
    return heavy


def test_no_function_level_imports_of_errsynth_modules() -> None:
    heavy = needs_an_extra()
    bad = [
        f"{MODULES[m].relative_to(PACKAGE.parent)}:{line}: {m} imports {t} inside a function"
        for m, targets in GRAPH.items()
        for t, in_function, line in targets
        if in_function and t not in heavy and (m, t) not in FUNCTION_LEVEL_ALLOWED
    ]
    assert not bad, "function-level imports (import at module level, or move the code):\n" + (
        "\n".join(bad)
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import errsynth.steps.base\n", [("errsynth.steps.base", False)]),
        ("from errsynth.steps import base\n", [("errsynth.steps.base", False)]),
        ("from errsynth.steps import Step\n", [("errsynth.steps", False)]),
        ("def f():\n    from errsynth.core import chunks\n", [("errsynth.core.chunks", True)]),
    ],
)
def test_the_graph_reader_sees_each_import_form(
    source: str, expected: list[tuple[str, bool]], tmp_path: Path, monkeypatch
) -> None:
    probe = "errsynth.probe_module"
    path = tmp_path / "probe_module.py"
    path.write_text(source)
    monkeypatch.setitem(MODULES, probe, path)
    assert [(t, f) for t, f, _ in imports(probe)] == expected


def test_modules_needing_torch_are_found() -> None:
    heavy = needs_an_extra()
    assert "errsynth.train.loop" in heavy and "errsynth.steps.base" not in heavy


def test_a_cycle_and_an_upward_arrow_are_caught() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert layer_of("errsynth.core.chunks") < layer_of("errsynth.steps.base")
    assert layer_of("errsynth.train.loop") == layer_of("errsynth.runner.run")
