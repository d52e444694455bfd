"""The layers stay visible: the engine never reaches into evaluation reports or the web app, no two
modules import each other (directly or round a circle), and no module outgrows one job."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ("rlhf_core.config", "rlhf_core.data", "rlhf_core.models", "rlhf_core.algorithms", "rlhf_core.training")
# What the engine may use of evaluation: the text metrics a reward term shares with the figures, and
# the word splitting the reward model uses to point at toxic words.
ENGINE_MAY_USE = {"rlhf_core.evaluation.fidelity", "rlhf_core.evaluation.text_diff"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every project module -> the project modules it imports (at the top or inside a function)."""
    files = [*ROOT.glob("rlhf_core/**/*.py"), *ROOT.glob("webapp/*.py"), ROOT / "app.py"]
    modules = {_module_name(f): f for f in files}
    found: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    candidate = f"{base}.{alias.name}"
                    targets.add(candidate if candidate in modules else base)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
        found[name] = {t for t in targets if t in modules and t != name}
    return found


def test_the_engine_never_imports_evaluation_reports_or_the_web_app():
    wrong = {(module, target) for module, targets in _imports().items() if module.startswith(ENGINE)
             for target in targets
             if target.startswith("webapp") or target == "app"
             or (target.startswith("rlhf_core.evaluation.") and target not in ENGINE_MAY_USE)}
    assert not wrong, sorted(wrong)


def test_evaluation_never_imports_the_web_app():
    wrong = {(m, t) for m, targets in _imports().items() if m.startswith("rlhf_core") for t in targets
             if t.startswith("webapp") or t == "app"}
    assert not wrong, sorted(wrong)


def test_no_import_cycle_between_modules():
    graph = _imports()
    # A package's __init__ that re-exports its modules is not a cycle with them.
    graph = {m: {t for t in targets if not (m.startswith(t + ".") and (ROOT / t.replace(".", "/")).is_dir())}
             for m, targets in graph.items()}
    seen, on_path, cycles = set(), [], []

    def visit(node):
        if node in on_path:
            cycles.append(on_path[on_path.index(node):] + [node])
            return
        if node in seen:
            return
        seen.add(node)
        on_path.append(node)
        for target in sorted(graph.get(node, ())):
            visit(target)
        on_path.pop()

    for module in sorted(graph):
        visit(module)
    assert not cycles, [" -> ".join(c) for c in cycles]


def test_no_module_outgrows_one_job():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines())
             for p in [*ROOT.glob("rlhf_core/**/*.py"), *ROOT.glob("webapp/*.py")]}
    assert not {p: n for p, n in sizes.items() if n > 450}
    assert len((ROOT / "app.py").read_text().splitlines()) <= 400
    top = [p.name for p in (ROOT / "rlhf_core").iterdir() if p.name != "__pycache__"]
    assert len(top) <= 12, sorted(top)
