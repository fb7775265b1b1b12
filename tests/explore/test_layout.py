"""The layout of nnlab.explore: light imports, re-exports, old names, module sizes."""

from pathlib import Path

import pytest
from helpers import loaded_by_import

import nnlab
import nnlab.explore as explore
from nnlab import viz

NNLAB = Path(nnlab.__file__).parent


def test_importing_explore_needs_only_numpy():
    heavy = ["matplotlib", "ipywidgets", "IPython", "PIL", "sklearn", "tqdm"]
    assert loaded_by_import("nnlab.explore", heavy) == []


def test_every_public_name_is_re_exported():
    modules = [p.stem for p in (NNLAB / "explore").glob("*.py") if not p.stem.startswith("_")]
    assert len(modules) == 21
    for name in explore.__all__:
        obj = getattr(explore, name)
        assert getattr(obj, "__module__", "nnlab.explore").startswith("nnlab.explore"), name
    assert sorted(explore.__all__) == sorted(set(explore.__all__))


def test_the_compatibility_shims_are_gone():
    with pytest.raises(ImportError):
        import nnlab.widgets  # noqa: F401
    for name in ["plot_flops", "plot_pass_memory", "draw_network", "draw_step", "steps_animation"]:
        assert not hasattr(viz, name), name


def test_no_module_is_over_400_lines():
    for path in NNLAB.rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path.name
