// The console's page: a hash router over the views, and the live loop (every view polls its
// endpoint and redraws only when the answer changed, so the page follows a demo as it runs).

import { clear, getJson, route } from "./dom.js";
import { devicesView, dnsView, ipamView, searchView } from "./ipam.js";
import { deadLettersView, executionView, executionsView } from "./executions.js";

const POLL_MS = 2000;
const VIEWS = {
  ipam: ipamView,
  devices: devicesView,
  dns: dnsView,
  search: searchView,
  executions: executionsView,
  execution: executionView,
  deadletters: deadLettersView,
};

let current = null; // { key, view, params, lastText, mounted }
let timer = null;

function parseHash() {
  const hash = decodeURIComponent(location.hash.replace(/^#\/?/, "")) || "ipam";
  const [pathPart, queryPart] = location.hash.replace(/^#\/?/, "").split("?");
  const segments = pathPart.split("/").map((x) => decodeURIComponent(x));
  const params = Object.fromEntries(new URLSearchParams(queryPart || ""));
  let name = segments[0] || "ipam";
  if (name === "executions" && segments[1]) {
    name = "execution";
    params.name = segments.slice(1).join("/");
  }
  return { name: VIEWS[name] ? name : "ipam", params, key: hash };
}

async function refresh() {
  if (!current) return;
  const mine = current;
  try {
    const { data, text } = await getJson(mine.view.endpoint(mine.params));
    if (mine !== current || text === mine.lastText) return;
    mine.lastText = text;
    mine.mounted.update(data);
  } catch (err) {
    if (mine === current) mine.mounted.error(String(err.message || err));
  }
}

async function refreshStatus() {
  const live = document.getElementById("live");
  try {
    const { data } = await getJson("/api/status");
    live.textContent = "● live — " + new Date().toLocaleTimeString();
    live.className = "live on";
    document.getElementById("source").textContent = data.error
      ? "SOLIDserver: " + data.error
      : "SOLIDserver: " + (data.solidserver || "none");
    document.getElementById("source").className = data.error ? "warn" : "";
    const c = data.counts;
    document.getElementById("counts").textContent =
      `${c.networks} networks · ${c.addresses} addresses · ${c.devices} devices · ${c.records} records · ` +
      `${c.executions} executions`;
  } catch (err) {
    live.textContent = "○ console not answering";
    live.className = "live off";
  }
}

function show() {
  const { name, params, key } = parseHash();
  for (const a of document.querySelectorAll("#nav a")) {
    const active = a.dataset.view === name || (name === "execution" && a.dataset.view === "executions");
    a.classList.toggle("active", active);
  }
  const main = clear(document.getElementById("main"));
  const view = VIEWS[name];
  const mounted = view.mount(main, params, (next) => {
    // a view changed its own parameters (filters): keep the URL in step, refetch, no remount
    history.replaceState(null, "", route(name === "execution" ? "executions/" + params.name : name, next));
    current.params = next;
    current.lastText = null;
    refresh();
  });
  current = { key, view, params, lastText: null, mounted };
  if (name === "search") document.getElementById("search").value = params.q || "";
  refresh();
}

function loop() {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    await Promise.all([refresh(), refreshStatus()]);
    loop();
  }, POLL_MS);
}

document.addEventListener("DOMContentLoaded", () => {
  const search = document.getElementById("search");
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") location.hash = route("search", { q: search.value.trim() });
  });
  window.addEventListener("hashchange", show);
  show();
  refreshStatus();
  loop();
});
