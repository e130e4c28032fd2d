"""The console in a real browser (headless Chromium, Debian's, driven by Playwright) over a real
run: what a person sees. Waits are generous and on elements; nothing asserts on time."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ipamsync_local.demo import fleet as fleetlib
from local.tests.console.conftest import HOSTILE_NAME, HOSTILE_TAG, Run, launch

pytestmark = pytest.mark.slow


def _clean(page: Any) -> None:
    assert page.errors == [] and page.dialogs == []


def test_the_tree_shows_the_demo_objects(run: Run, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(run.url + "#/ipam")
    tree = page.locator("#ipam-tree")
    expect(tree).to_contain_text("space AWS")
    prod = page.locator('details.network[data-cidr="10.0.0.0/16"]')
    expect(prod.locator("> summary")).to_contain_text(re.compile(r"block\s*prod \(vpc-"))
    subnet = prod.locator('details.network[data-cidr="10.0.0.0/24"]')
    expect(subnet.locator("> summary")).to_contain_text(re.compile(r"prod-1 \(subnet-\w+\)"))
    expect(subnet.locator("> summary meter")).to_have_count(1)
    expect(subnet.locator("tr.address").first).to_be_visible()
    expect(tree).to_contain_text("web-server-1.ec2.example.internal")
    expect(tree).to_contain_text("api-1.ec2.example.internal")
    expect(tree).to_contain_text("public (elastic)")
    # folding a network hides its addresses, and stays folded through the live redraws
    subnet.locator("> summary .cidr").click()
    expect(subnet.locator("tr.address").first).to_be_hidden()
    _clean(page)


def test_an_execution_graph_shows_the_retried_state(run: Run, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(run.url + "#/executions")
    retried = page.locator("tr.execution").filter(has=page.locator("td.retried"))
    expect(retried.first).to_be_visible()
    retried.first.locator("td a").first.click()
    expect(page).to_have_url(re.compile(r"#/executions/i-"))
    device = page.locator('svg.graph g.node[data-state="SyncDevice"]')
    expect(device).to_have_attribute("data-status", "succeeded")
    expect(device.locator(".retry-badge")).to_have_text("↻ 1")
    panel = page.locator("#state-panel")
    expect(panel).to_have_attribute("data-state", "SyncDevice")  # the retried state is selected first
    expect(panel.locator(".state-retries")).to_have_text("1")
    expect(panel).to_contain_text("SolidServerUnavailable")
    # the rest of the graph: the path taken succeeded, the failure path did not run
    expect(page.locator('g.node[data-state="SyncNetworks"]')).to_have_attribute("data-status", "succeeded")
    taken = re.compile(r"\btaken\b")
    expect(page.locator('path.edge[data-edge="IsDone>SyncNetworks"]')).to_have_class(taken)
    expect(page.locator('path.edge[data-edge="IsDone>NeedsRefresh"]')).not_to_have_class(taken)
    expect(page.locator('g.node[data-state="DeadLetter"]')).to_have_attribute("data-status", "notrun")
    expect(page.locator('path.edge[data-edge="SyncAddresses>SyncDns"]')).to_have_class(taken)
    page.locator('g.node[data-state="SyncDns"]').click()
    expect(panel).to_have_attribute("data-state", "SyncDns")
    # a state's input: the earlier steps' results only (each step reads its message from the
    # execution's input: issue #15's trimmed payloads)
    expect(panel.locator("pre.json").first).to_contain_text('"networks"')
    expect(panel.locator("pre.json").first).not_to_contain_text('"observed_at"')
    expect(page.locator("table.events")).to_contain_text("TaskFailed")
    _clean(page)


def test_a_lookup_shows_what_it_named_and_its_refresh_request_on_the_graph(run: Run, page: Any) -> None:
    from playwright.sync_api import expect

    worker = run.instances["worker-a"]
    page.goto(run.url + "#/executions")
    row = page.locator("tr.execution").filter(has=page.locator(".b-lookup"))
    expect(row).to_have_count(1)
    expect(row.locator("td.subject")).to_contain_text(run.looked_up)
    expect(row.locator("td.subject .refreshed a.instance")).to_have_text(f"worker ({worker})")
    expect(row).to_contain_text("lookup · DetachNetworkInterface")
    row.locator("td a").first.click()
    expect(page).to_have_url(re.compile(r"#/executions/lookup-"))
    for state in ("NeedsRefresh", "RequestRefresh", "Synced"):
        expect(page.locator(f'g.node[data-state="{state}"]')).to_have_attribute("data-status", "succeeded")
    expect(page.locator('g.node[data-state="SyncNetworks"]')).to_have_attribute("data-status", "notrun")
    expect(page.locator('path.edge[data-edge="IsDone>NeedsRefresh"]')).to_have_class(re.compile(r"\btaken\b"))
    expect(page.locator('path.edge[data-edge="SyncDns>NeedsRefresh"]')).not_to_have_class(
        re.compile(r"\btaken\b")
    )
    page.locator('g.node[data-state="RequestRefresh"]').click()
    expect(page.locator("#state-panel pre.json").first).to_contain_text(worker)
    _clean(page)


def test_search_finds_an_instance(run: Run, page: Any) -> None:
    from playwright.sync_api import expect

    iid = run.instances["web1"]
    page.goto(run.url + "#/ipam")
    page.locator("#search").fill(iid)
    page.locator("#search").press("Enter")
    expect(page).to_have_url(re.compile(r"#/search\?q=i-"))
    hit = page.locator('tr.hit[data-kind="device"]')
    expect(hit).to_have_count(1)
    expect(hit).to_contain_text(f"web-server-1-{iid}")
    expect(page.locator('tr.hit[data-kind="address"]').first).to_contain_text(iid)
    expect(page.locator("#search-results")).to_contain_text("pending")  # its executions
    hit.locator("a").click()
    expect(page.locator("article.device.focus")).to_have_attribute("data-device", f"web-server-1-{iid}")
    _clean(page)


def test_a_name_tag_of_markup_is_shown_as_text(run: Run, page: Any) -> None:
    from playwright.sync_api import expect

    iid = run.instances["hostile"]
    page.goto(run.url + "#/devices")
    card = page.locator("article.device").filter(has_text=iid)
    expect(card.locator("a.instance")).to_have_text(f"{HOSTILE_NAME} ({iid})")
    expect(card.locator("td.tag-value")).to_have_text([HOSTILE_TAG])  # its tag "note"
    page.goto(run.url + "#/deadletters")
    expect(page.locator("details.dl-entry summary")).to_contain_text(HOSTILE_NAME)
    page.goto(run.url + "#/search?q=onerror")
    expect(page.locator('tr.hit[data-kind="device"]')).to_contain_text("img-src-x-onerror-alert-1")
    # nothing of it became markup: no image, no script but the page's own, no alert
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 1
    _clean(page)


def test_the_executions_list_filters_by_status_and_instance(run: Run, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(run.url + "#/executions")
    rows = page.locator("tr.execution")
    expect(rows.first).to_be_visible()
    page.locator("#filter-status").select_option("FAILED")
    expect(page.locator("#executions")).to_contain_text(re.compile(r"^0 of \d+ execution"))
    expect(rows).to_have_count(0)
    page.locator("#filter-status").select_option("")
    page.locator("#filter-instance").fill("api-1")
    expect(rows.first).to_contain_text(run.instances["api1"])
    expect(rows.filter(has_not_text=run.instances["api1"])).to_have_count(0)
    _clean(page)


def test_the_page_follows_the_pipeline_as_it_runs(run: Run, page: Any) -> None:
    """Last in this module: it adds an instance to the run."""
    from playwright.sync_api import expect

    page.goto(run.url + "#/devices")
    expect(page.locator("article.device").first).to_be_visible()
    before = page.locator("article.device").count()
    subnet = run.aws.ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["prod-1"]}])["Subnets"][0]
    spec = fleetlib.InstanceSpec("live", "live-1", "prod-1")
    iid = launch(run.aws, fleetlib.DemoNetwork({}, {"prod-1": subnet["SubnetId"]}, ""), spec)
    # no reload: the page's own polling brings the new device, then its running state
    card = page.locator(f'article.device[data-device="live-1-{iid}"]')
    expect(card).to_be_visible(timeout=120_000)
    expect(card.locator("h2 .badge")).to_have_text("running", timeout=120_000)
    assert page.locator("article.device").count() == before + 1
    run.settle()
    _clean(page)
