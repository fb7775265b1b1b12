"""Checker messages cite the book's equations by the numbers the rendered book shows.

Jupyter Book numbers equations across the whole book, so a chapter that gains an equation
shifts the numbers of every later one. ``nnlab.exercises._feedback.EQUATIONS`` holds the
numbers the checkers cite; this test reads them off the built HTML.
"""

from __future__ import annotations

import re
from pathlib import Path

from nnlab.exercises import _feedback

EQNO = re.compile(r'id="equation-([\w-]+)">\s*<span class="eqno">\((\d+)\)')


def test_cited_equation_numbers_match_the_rendered_book(built_html: Path) -> None:
    shown = {}
    for page in (built_html / "book").glob("*.html"):
        shown.update((label, int(n)) for label, n in EQNO.findall(page.read_text("utf-8")))
    assert shown, "no numbered equation found in the built book"
    wrong = {
        label: (cited, shown.get(label))
        for label, cited in _feedback.EQUATIONS.items()
        if shown.get(label) != cited
    }
    assert not wrong, f"EQUATIONS cites (label: cited, shown): {wrong}; update the numbers"


def test_checker_messages_use_the_numbers() -> None:
    from nnlab import exercises

    def stub(*args):
        raise NotImplementedError

    hint = exercises.check_sgd_momentum_step(stub).hint
    assert f"eq. ({_feedback.EQUATIONS['opt-momentum']})" in hint and "opt-" not in hint
    hint = exercises.check_adam_step(stub).hint
    assert f"eq. ({_feedback.EQUATIONS['opt-adam']})" in hint and "opt-" not in hint
