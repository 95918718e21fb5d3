"""axe-core (the copy shipped with axe-playwright-python) run inside a real page."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

# Every WCAG 2.0/2.1/2.2 A and AA rule axe-core knows; "best-practice" rules are not asked for.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def wcag_violations(page: Page) -> list[str]:
    """One line per WCAG A/AA violation on the current page: rule id, impact and the offending nodes."""
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    found = []
    for violation in results.response["violations"]:
        targets = ", ".join(str(node["target"]) for node in violation["nodes"][:5])
        found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} -> {targets}")
    return found
