"""Checks every browser test can run on a page: axe-core (vendored) and no horizontal overflow.

``vendor/axe.min.js`` is axe-core 4.14.1 from npm (MPL-2.0, ``vendor/axe-LICENSE.txt``), injected into
the page under test only: nothing the service ships loads it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BAD = ("serious", "critical")
WIDTHS = {"laptop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
"""The two screens every page is walked at (390 px: an iPhone 12-15)."""


def axe_violations(page: Any, impacts: tuple[str, ...] = BAD) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations of ``impacts`` on the page as it is now, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}, resultTypes:
        ['violations']})""")
    return [f"{v['impact']} {v['id']}: {v['help']} -- "
            + "; ".join(" ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
                        for n in v["nodes"][:4])
            for v in result["violations"] if v["impact"] in impacts]


def overflow_px(page: Any) -> int:
    """How far the page is wider than the window (0: no horizontal scrolling of the page)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def wide_elements(page: Any) -> list[str]:
    """What sticks out past the window's right edge (to say why a page overflows)."""
    return page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => {
        const r = e.getBoundingClientRect(); return r.right > window.innerWidth + 1 && r.width > 0;
      }).slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
        (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '') +
        ' right=' + Math.round(e.getBoundingClientRect().right))""")


def assert_fits_and_accessible(page: Any, where: str) -> None:
    """No horizontal page overflow and no serious/critical axe-core violation, at the current viewport."""
    # After set_viewport_size the page's resize handlers (app.js marks boxes that now scroll) run on a later
    # frame: look at the page as a user would see it, once that frame has been drawn.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))")
    over = overflow_px(page)
    if os.environ.get("AUTOGRADER_A11Y_REPORT"):  # while fixing pages: list every problem, fail none
        print(f"\n## {where}: overflow {over} {wide_elements(page) if over > 0 else ''}",
              *axe_violations(page), sep="\n  ")
        return
    assert over <= 0, f"{where}: page {over} px wider than the window: {wide_elements(page)}"
    bad = axe_violations(page)
    assert not bad, f"{where}: " + "\n".join(bad)
