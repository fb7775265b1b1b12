"""Kept for compatibility: the explorers moved to :mod:`nnlab.explore`, one module per idea.

``from nnlab import widgets`` then ``widgets.flops_table(...)`` still works, for every name
of :mod:`nnlab.explore`. New code imports from there: ``from nnlab.explore import
flops_table``, or from the idea's module, e.g. :mod:`nnlab.explore.flops`.
"""

from .explore import *  # noqa: F403
from .explore import __all__  # noqa: F401
