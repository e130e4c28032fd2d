"""The screenshots of the console in ``docs/`` (``docs/console-*.png``), taken from a running console
with headless Chromium (Debian's, through Playwright, a dev dependency)::

    make demo DEMO_ARGS=--keep-running         # prints the console's URL
    .venv/bin/python -m ipamsync_local.console.screenshots http://127.0.0.1:8470/ docs
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("IPAMSYNC_CHROMIUM", "/usr/bin/chromium")
WIDTH, HEIGHT = 1440, 960


def _executions(url: str) -> list[dict[str, Any]]:
    import json

    with urllib.request.urlopen(url + "api/executions", timeout=60) as response:  # noqa: S310 - loopback
        return list(json.loads(response.read())["executions"])


def _retried_execution(runs: list[dict[str, Any]]) -> str:
    """A retried execution that succeeded (the graph's retry badges), else any retried one."""
    return next(
        (e["name"] for e in runs if e["retries"] and e["status"] == "SUCCEEDED"),
        next((e["name"] for e in runs if e["retries"]), runs[0]["name"] if runs else ""),
    )


def take(url: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    url = url if url.endswith("/") else url + "/"
    runs = _executions(url)
    shots = {
        "ipam": ("#/ipam", "#ipam-tree details.network"),
        "execution": ("#/executions/" + _retried_execution(runs), "svg.graph g.node"),
        "executions": ("#/executions", "tr.execution"),
        "devices": ("#/devices?focus=", "article.device"),
        "search": ("#/search?q=web", "tr.hit"),
    }
    lookup = next((e["name"] for e in runs if e.get("kind") == "lookup"), None)
    if lookup:  # a lookup's graph: NeedsRefresh, RequestRefresh (before search fills the box)
        search = shots.pop("search")
        shots["lookup"] = ("#/executions/" + lookup + "?state=RequestRefresh", "svg.graph g.node")
        shots["search"] = search
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        for name, (fragment, ready) in shots.items():
            page.goto(url + fragment)
            page.locator(ready).first.wait_for(timeout=60_000)
            path = out / f"console-{name}.png"
            page.screenshot(path=str(path))
            written.append(path)
        browser.close()
    return written


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    for p in take(sys.argv[1], Path(sys.argv[2])):
        print(p)
