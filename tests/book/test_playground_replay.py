"""The playground's stored-run replay works in a browser, offline, from the keyboard, and passes
axe-core's WCAG 2 A and AA rules.

A fragment of two tiny recorded runs is written into a minimal page in ``tmp_path`` and opened
from ``file://`` in headless Chromium with every other request aborted (and counted). The run
menu, the epoch slider and the Play button are driven with the keyboard only; the frame, its alt
text and the readout must follow. The fragment is also inserted after the page has loaded, as
a notebook front end inserts an output, and must work there too.

Needs Debian's ``chromium`` (skipped without it, failed when ``CI`` is set); no built book.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nnlab.explore.playground import PlaygroundConfig
from nnlab.explore.playground.stored_runs import ReplayRun, record_runs, replay_html

pytestmark = pytest.mark.browser

GRID = (
    PlaygroundConfig(dataset="circle", hidden=(4,), n_samples=100),
    PlaygroundConfig(dataset="xor", hidden=(4, 4), activation="relu", n_samples=100),
)
SNAPSHOTS = (0, 1, 4)
AXE_OPTIONS = {"runOnly": ["wcag2a", "wcag2aa"], "resultTypes": ["violations"]}
PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Stored playground runs</title></head>
<body><main><h1>Stored playground runs</h1>
{fragment}
</main></body></html>
"""
# What the replay shows now: the menu's value, the slider's, the frame and the readout.
STATE_JS = """(id) => {
  const el = (part) => document.getElementById(id + '-' + part);
  return {run: el('run').value, index: el('epoch').value, src: el('image').src,
          alt: el('image').alt, readout: el('readout').textContent,
          valuetext: el('epoch').getAttribute('aria-valuetext'), play: el('play').textContent};
}"""
# Insert the fragment after load, its script re-created so that it runs (as Jupyter does).
INSERT_JS = """(html) => {
  const box = document.createElement('div');
  box.innerHTML = html;
  document.querySelector('main').append(box);
  for (const old of box.querySelectorAll('script')) {
    const script = document.createElement('script');
    script.textContent = old.textContent;
    old.replaceWith(script);
  }
}"""
FOCUS_JS = """() => {
  const el = document.activeElement, style = getComputedStyle(el);
  return {id: el.id, outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
}"""


@pytest.fixture(scope="module")
def runs() -> list[ReplayRun]:
    return record_runs(GRID, SNAPSHOTS[-1], SNAPSHOTS, width=160, resolution=8, colors=16)


@pytest.fixture(scope="module")
def blocked() -> list[str]:
    return []


@pytest.fixture(scope="module")
def context(browser: Any, blocked: list[str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1000, "height": 900}, color_scheme="light")

    def route(route: Any) -> None:
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    yield context
    context.close()


def open_page(context: Any, path: Path, fragment: str) -> Any:
    path.write_text(PAGE.format(fragment=fragment), encoding="utf-8")
    page = context.new_page()
    page.goto(path.as_uri(), wait_until="load")
    return page


def fragment_id(page: Any) -> str:
    return page.eval_on_selector(".nnlab-replay", "el => el.id")


def expect_shown(state: dict, run: ReplayRun, i: int) -> None:
    assert state["src"] == run.data_uri(i)
    assert state["alt"] == run.alt(i)
    assert state["readout"] == run.readout(i)
    assert state["valuetext"] == f"epoch {run.epochs[i]}"


def test_the_keyboard_drives_the_replay(context, runs, tmp_path, blocked) -> None:
    page = open_page(context, tmp_path / "replay.html", replay_html(runs))
    try:
        rid = fragment_id(page)
        expect_shown(page.evaluate(STATE_JS, rid), runs[0], 0)
        page.keyboard.press("Tab")  # the menu is the first stop
        focus = page.evaluate(FOCUS_JS)
        assert focus["id"] == f"{rid}-run" and focus["outline"] != "none" and focus["width"] >= 2
        page.keyboard.press("ArrowDown")  # the second run
        state = page.evaluate(STATE_JS, rid)
        assert state["run"] == "1"
        expect_shown(state, runs[1], 0)
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS_JS)["id"] == f"{rid}-epoch"
        page.keyboard.press("ArrowRight")
        state = page.evaluate(STATE_JS, rid)
        assert state["index"] == "1"
        expect_shown(state, runs[1], 1)
        page.keyboard.press("End")
        expect_shown(page.evaluate(STATE_JS, rid), runs[1], len(SNAPSHOTS) - 1)
        page.keyboard.press("Shift+Tab")  # back to the menu: the first run, same snapshot
        page.keyboard.press("ArrowUp")
        expect_shown(page.evaluate(STATE_JS, rid), runs[0], len(SNAPSHOTS) - 1)
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS_JS)["id"] == f"{rid}-play"
        page.keyboard.press("Enter")  # at the end: plays from the start, then stops there
        assert page.evaluate(STATE_JS, rid)["play"] == "Pause"
        page.wait_for_function(
            "(id) => document.getElementById(id + '-play').textContent === 'Play'", arg=rid
        )
        expect_shown(page.evaluate(STATE_JS, rid), runs[0], len(SNAPSHOTS) - 1)
    finally:
        page.close()
    assert not blocked, f"the replay requested the network: {blocked}"


def test_two_replays_on_a_page_work_apart(context, runs, tmp_path, blocked) -> None:
    page = open_page(context, tmp_path / "two.html", replay_html(runs) + replay_html(runs[::-1]))
    try:
        first, second = page.eval_on_selector_all(".nnlab-replay", "els => els.map(e => e.id)")
        assert first != second
        page.focus(f"#{second}-epoch")
        page.keyboard.press("End")
        expect_shown(page.evaluate(STATE_JS, second), runs[1], len(SNAPSHOTS) - 1)
        expect_shown(page.evaluate(STATE_JS, first), runs[0], 0)  # untouched
    finally:
        page.close()
    assert not blocked, f"the replay requested the network: {blocked}"


def test_the_replay_works_when_inserted_after_load(context, runs, tmp_path, blocked) -> None:
    page = open_page(context, tmp_path / "later.html", "")
    try:
        page.evaluate(INSERT_JS, replay_html(runs))
        rid = fragment_id(page)
        page.focus(f"#{rid}-run")
        page.keyboard.press("ArrowDown")
        expect_shown(page.evaluate(STATE_JS, rid), runs[1], 0)
    finally:
        page.close()
    assert not blocked, f"the replay requested the network: {blocked}"


def test_the_replay_passes_axe_wcag2aa(context, runs, tmp_path, axe, blocked) -> None:
    page = open_page(context, tmp_path / "axe.html", replay_html(runs))
    try:
        violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
    finally:
        page.close()
    report = [
        f"{v['id']} [{v['impact']}] {v['help']}: "
        + ", ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:3])
        for v in violations
    ]
    assert not violations, "WCAG 2 A/AA violations:\n  " + "\n  ".join(report)
    assert not blocked, f"the page requested the network: {blocked}"
