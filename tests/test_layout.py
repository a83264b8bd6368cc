"""The package's layout holds: one room per job, minilstm.nn exporting every layer, no import circle, no
private name read across modules, small modules."""
import ast
import importlib
from pathlib import Path

import pytest

import minilstm
from minilstm import nn

PACKAGE = Path(minilstm.__file__).resolve().parent
MODULES = sorted(PACKAGE.rglob("*.py"))
MOST_LINES = 380  # "near 300 lines or fewer" (STYLE.md), with room for a docstring
# modules allowed to be longer for now, and why
LONGER: dict = {}  # module -> why it may be longer (none now)
NAMED_TUPLE_API = {"_replace", "_make", "_fields", "_asdict", "_field_defaults"}


def _name(path: Path) -> str:
    """``minilstm.nn.recurrent`` for ``.../minilstm/nn/recurrent.py`` (a package for its __init__.py)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _target(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module a relative ``from ... import`` names."""
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def test_minilstm_nn_exports_every_layer_and_loss():
    """Every public Module subclass and loss defined in minilstm/nn/ is in minilstm.nn.__all__, and the
    top level's short names are the same objects."""
    defined = set()
    for path in (PACKAGE / "nn").glob("*.py"):
        module = importlib.import_module(_name(path))
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if isinstance(obj, type) and issubclass(obj, nn.Module) or name.endswith(("_loss", "_penalty")) \
                    or name == "cross_entropy":
                defined.add(name)
    assert defined and defined <= set(nn.__all__), sorted(defined - set(nn.__all__))
    for name in nn.__all__:
        assert getattr(nn, name) is not None
        if name in minilstm.__all__:
            assert getattr(minilstm, name) is getattr(nn, name), name


def test_no_import_circle_and_no_import_inside_a_function():
    """The package's own imports form no circle (a module importing a name its parent package defines
    first, such as ``__version__``, is not one), and none of them hides inside a function."""
    edges, inner = {}, []
    names = {_name(p): p for p in MODULES}
    for module, path in names.items():
        tree = _tree(path)
        top = {id(node) for node in tree.body}
        edges[module] = set()
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not node.level:
                continue
            if id(node) not in top:
                inner.append(f"{module}:{node.lineno}")
                continue
            target = _target(module, path, node)
            for alias in node.names:
                full = f"{target}.{alias.name}"
                dest = full if full in names else target
                if dest != module and not module.startswith(dest + "."):
                    edges[module].add(dest)
    assert not inner, f"relative imports inside functions: {inner}"

    def reaches(start: str, goal: str, seen: set) -> bool:
        for nxt in edges.get(start, ()):
            if nxt == goal or (nxt not in seen and not seen.add(nxt) and reaches(nxt, goal, seen)):
                return True
        return False

    circles = [m for m in edges if reaches(m, m, set())]
    assert not circles, f"modules on an import circle: {circles}"


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_no_private_name_read_across_modules(path):
    """No ``from .x import _name``, and no ``obj._name`` or ``getattr(obj, "_name")`` on anything but
    ``self``/``cls`` (a NamedTuple's ``_replace`` and ``_make`` are its public API): modules read what
    others expose."""
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ImportFrom) and node.level:
            found += [f"from {node.module} import {a.name}" for a in node.names
                      if a.name.startswith("_") and not a.name.startswith("__")]
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__") \
                and node.attr not in NAMED_TUPLE_API:
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append(ast.unparse(node))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("getattr", "hasattr") \
                and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) \
                and str(node.args[1].value).startswith("_") and not str(node.args[1].value).startswith("__"):
            if not (isinstance(node.args[0], ast.Name) and node.args[0].id == "self"):
                found.append(ast.unparse(node))
    assert not found, f"{path.relative_to(PACKAGE)} reads private names of another module: {found}"


def test_modules_are_small():
    long = {str(p.relative_to(PACKAGE)): n for p in MODULES
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MOST_LINES}
    assert set(long) <= set(LONGER), f"modules over {MOST_LINES} lines: {long}"
