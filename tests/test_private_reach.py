"""Underscore names are private to their object or module: no module of nnlab reaches another's.

A module of ``nnlab/`` may use ``self._x``, ``cls._x`` and ``super()._x``, and import private
names only from the one shared helpers module, ``nnlab/_validation.py``. Everything else that
starts with an underscore (dunders such as ``__name__`` excepted) is someone else's private
state: reading or writing it, or importing it, couples two modules through a name that may
change without notice. A private *module* (``_feedback``, ``_widgets``) is private to its
package: modules inside that package (or its subpackages) may import it, others may not.

The walk below checks every ``nnlab/**/*.py`` with :func:`private_reaches`, which is itself
tested on small snippets first.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "nnlab"
SHARED = "nnlab._validation"  # the one module whose private names every module may import
OWN = {"self", "cls"}
ATTRIBUTE_CALLS = {"getattr", "setattr", "hasattr", "delattr"}


def is_private(name: str) -> bool:
    """``_x`` and ``__x`` are private; ``__x__`` (a dunder) is not."""
    dunder = name.startswith("__") and name.endswith("__") and len(name) > 4
    return name.startswith("_") and not dunder


def is_own(node: ast.expr) -> bool:
    """``self``, ``cls`` or a ``super(...)`` call: the only owners of a private attribute."""
    if isinstance(node, ast.Name):
        return node.id in OWN
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
    )


def module_reach_allowed(target: str, package: str) -> bool:
    """Whether a module of ``package`` may import module ``target`` (dotted names).

    Every private component of ``target`` must belong to a package that contains the importer
    (``nnlab.exercises._feedback`` from ``nnlab.exercises`` or below), or ``target`` must be
    the shared helpers module.
    """
    if target == SHARED:
        return True
    parts = target.split(".")
    for i, part in enumerate(parts):
        if is_private(part):
            owner = parts[:i]
            if package.split(".")[: len(owner)] != owner:
                return False
    return True


def resolve(node: ast.ImportFrom, package: str) -> str:
    """The absolute module name of ``from <node.module> import ...`` inside ``package``."""
    if not node.level:
        return node.module or ""
    base = package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def private_reaches(
    source: str, module: str, *, is_package: bool = False, modules: frozenset = frozenset()
) -> list[tuple[int, str]]:
    """The private reaches in ``source``, the code of module ``module``, as ``(line, text)``.

    Parameters
    ----------
    source : str
        Python source code.
    module : str
        Its dotted module name (``nnlab.explore.descent``; for an ``__init__.py``, the
        package's name with ``is_package=True``), to resolve relative imports.
    modules : frozenset of str
        Dotted names of the modules that exist, to tell ``from . import _widgets`` (a module)
        from ``from .viz import _plt`` (a private name of a module).

    Returns
    -------
    list of (int, str)
        Sorted by line: attribute accesses ``x._y`` (read, write or delete) on anything but
        ``self``, ``cls`` or ``super()``; ``getattr``/``setattr``/``hasattr``/``delattr``
        with a literal private name on such an object; and imports of private names or
        modules that the rule does not allow.
    """
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            if is_private(node.attr) and not is_own(node.value):
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Call):
            if (
                isinstance(node.func, ast.Name)
                and node.func.id in ATTRIBUTE_CALLS
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
                and is_private(node.args[1].value)
                and not is_own(node.args[0])
            ):
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if not module_reach_allowed(alias.name, package):
                    found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom):
            target = resolve(node, package)
            written = "." * node.level + (node.module or "")  # as in the source, for messages
            if not module_reach_allowed(target, package):
                names = ", ".join(alias.name for alias in node.names)
                found.append((node.lineno, f"from {written} import {names}"))
                continue
            for alias in node.names:
                if not is_private(alias.name) or target == SHARED:
                    continue
                submodule = f"{target}.{alias.name}"
                if submodule in modules and module_reach_allowed(submodule, package):
                    continue
                found.append((node.lineno, f"from {written} import {alias.name}"))
    return sorted(found)


def package_modules() -> dict[str, tuple[Path, bool]]:
    """Every module of nnlab: dotted name -> (path, is_package)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found[".".join(parts)] = (path, is_package)
    return found


def violations() -> list[str]:
    """``file:line text`` for every private reach in nnlab."""
    modules = package_modules()
    names = frozenset(modules)
    out = []
    for name, (path, is_package) in modules.items():
        source = path.read_text(encoding="utf-8")
        for line, text in private_reaches(source, name, is_package=is_package, modules=names):
            out.append(f"{path.relative_to(ROOT)}:{line} {text}")
    return out


# ----------------------------------------------------------------------------------------------
# The detector, on snippets.


def reaches(code: str, module: str = "nnlab.train", **kwargs) -> list[str]:
    return [text for _, text in private_reaches(textwrap.dedent(code), module, **kwargs)]


MODULES = frozenset(
    {
        "nnlab",
        "nnlab._validation",
        "nnlab.viz",
        "nnlab.optim",
        "nnlab.explore",
        "nnlab.explore._widgets",
        "nnlab.explore.descent",
        "nnlab.explore.playground",
        "nnlab.explore.playground.widget",
        "nnlab.exercises",
        "nnlab.exercises._feedback",
        "nnlab.exercises.adam",
    }
)


@pytest.mark.parametrize(
    "code",
    [
        "loss._check_target(y, shape, dtype)",  # a call
        "n = len(optimizer._pairs)",  # a read
        "layer._owner = net",  # a write
        "del layer._cache",  # a delete
        "layer._cache += 1",  # an augmented write
        "x = self.net._layers",  # through an attribute of self
        "x = type(self)._registry",  # the class, reached through type()
        "x = other_self._y",
        "x = obj.__mangled",  # name-mangled: private, not a dunder
        "plt = viz._plt",  # a module's private name
        "x = sys._getframe()",  # third-party privates count too
        "x = f()._y",
        "x = getattr(optimizer, '_pairs', None)",  # by name
        "setattr(layer, '_owner', net)",
        "ok = hasattr(layer, '_cache')",
        "delattr(layer, '_cache')",
    ],
)
def test_detector_finds_private_reaches(code):
    assert len(reaches(code)) == 1, code


@pytest.mark.parametrize(
    "code",
    [
        "self._cache = None",
        "x = self._cache[0]",
        "cls._registry[name] = cls",
        "super()._check(x)",
        "super(Dense, self)._check(x)",
        "x = obj.__class__.__name__",  # dunders are public
        "x = obj.__dict__",
        "x = module.__all__",
        "x = net.layers[0].W",
        "x = getattr(self, '_velocity')",
        "setattr(self, name, value)",  # a computed name is not checked
        "x = getattr(layer, 'W', None)",
        "x = _helper(y)",  # a module's own private function
        "_CONSTANT = 3",
        "def _private(self):\n    return self._x",
        "class _Private:\n    _x = 1",
    ],
)
def test_detector_accepts_own_and_public_names(code):
    assert reaches(code) == [], code


def test_detector_reports_line_and_source_text():
    code = """\
        import numpy as np

        def f(loss, y):
            return loss._check_target(y, (2, 1), np.float64, "y")
        """
    found = private_reaches(textwrap.dedent(code), "nnlab.train")
    assert found == [(4, "loss._check_target")]


@pytest.mark.parametrize(
    ("code", "module"),
    [
        ("from .optim import _contiguous_base", "nnlab.clipping"),
        ("from ..viz import _plt", "nnlab.explore.descent"),
        ("from nnlab.optim import _pairs", "nnlab.train"),
        ("from .optim import SGD, _pairs", "nnlab.train"),
        ("from ._widgets import _slider", "nnlab.explore.descent"),  # a private name in it
        ("from .explore import _widgets", "nnlab.viz"),  # another package's private module
        ("from .explore._widgets import Slider", "nnlab.viz"),
        ("from ..exercises._feedback import Case", "nnlab.explore.descent"),
        ("import nnlab.explore._widgets", "nnlab.viz"),
        ("from numpy._core import multiarray", "nnlab.optim"),
        ("from . import _not_a_module", "nnlab.explore.descent"),  # a private name of __init__
    ],
)
def test_detector_finds_private_imports(code, module):
    assert len(reaches(code, module, modules=MODULES)) == 1, code


@pytest.mark.parametrize(
    ("code", "module", "is_package"),
    [
        ("from ._validation import check_2d", "nnlab.optim", False),
        ("from ._validation import _internal", "nnlab.optim", False),  # the shared module
        ("from .._validation import check_real", "nnlab.explore.descent", False),
        ("from nnlab._validation import check_real", "nnlab.viz", False),
        ("import nnlab._validation", "nnlab.viz", False),
        ("from ._feedback import Case, Feedback", "nnlab.exercises.adam", False),
        ("from ._feedback import Feedback", "nnlab.exercises", True),  # from __init__.py
        ("from . import _widgets", "nnlab.explore.descent", False),
        ("from .. import _widgets", "nnlab.explore.playground.widget", False),  # a subpackage
        ("from .._widgets import Slider", "nnlab.explore.playground.widget", False),
        ("from . import _widgets", "nnlab.explore", True),
        ("from .optim import SGD, contiguous_base", "nnlab.clipping", False),
        ("from __future__ import annotations", "nnlab.optim", False),
        ("from .. import __version__", "nnlab.explore.descent", False),
        ("import numpy as np", "nnlab.optim", False),
    ],
)
def test_detector_accepts_allowed_imports(code, module, is_package):
    assert reaches(code, module, is_package=is_package, modules=MODULES) == [], code


def test_relative_imports_resolve_against_the_package():
    node = ast.parse("from ..viz import plot").body[0]
    assert resolve(node, "nnlab.explore") == "nnlab.viz"
    node = ast.parse("from . import x").body[0]
    assert resolve(node, "nnlab.explore") == "nnlab.explore"


def test_walk_covers_every_module():
    modules = package_modules()
    assert "nnlab" in modules and modules["nnlab"][1]
    assert "nnlab.optim" in modules and not modules["nnlab.optim"][1]
    assert "nnlab.explore.playground.widget" in modules
    assert len(modules) == len(list(PACKAGE.rglob("*.py")))


# ----------------------------------------------------------------------------------------------
# The rule, on the package.


def test_no_module_reaches_another_objects_private_names():
    found = violations()
    assert found == [], "private reaches (file:line expression):\n" + "\n".join(found)


if __name__ == "__main__":  # print the current violations
    print("\n".join(violations()))
