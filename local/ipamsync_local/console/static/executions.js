// The executions side: the list with its filters, one execution's graph (drawn from the real ASL,
// laid out by the server) with each state's status, retries, duration, input and output, its
// events, and the dead-letter queues.

import { badge, duration, frame, h, instanceLink, route, s, statusBadge, time } from "./dom.js";

const STATUSES = ["", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "RUNNING"];

function filterBar(params, setParams) {
  const instance = h("input", { type: "search", id: "filter-instance", placeholder: "instance id or name", value: params.instance || "" });
  const status = h("select", { id: "filter-status" }, STATUSES.map((x) => h("option", { value: x, selected: x === (params.status || "") }, x || "any status")));
  let timer = null;
  const apply = () => setParams({ instance: instance.value.trim(), status: status.value });
  instance.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(apply, 250);
  });
  status.addEventListener("change", apply);
  return h("div", { class: "filters" }, h("label", {}, "Instance ", instance), h("label", {}, "Status ", status));
}

// What an execution is about: its instance, or for a lookup (ipamsync.lookup/1: no instance) what
// the EC2 call named; then the instances it asked a new snapshot of (RequestRefresh).
function subject(e) {
  const refreshed = (e.refreshed || []).map((id) => instanceLink(id, (e.refreshed_names || {})[id]));
  const own = e.kind === "lookup"
    ? h("span", { class: "lookup" }, badge("lookup", "lookup"), " ",
      [...(e.lookup.attachment_ids || []), ...(e.lookup.association_ids || []), ...(e.lookup.public_ips || [])].join(", ") || "–")
    : instanceLink(e.instance_id, e.instance_name);
  if (!refreshed.length) return own;
  return h("span", {}, own, h("span", { class: "refreshed" }, " → refresh ", refreshed.flatMap((x, i) => (i ? [", ", x] : [x]))));
}

function eventText(e) {
  return (e.event_state || "–") + (e.event_call && e.event_call !== e.event_state ? ` · ${e.event_call}` : "");
}

function statesText(states) {
  return (states || []).join(" › ");
}

export const executionsView = {
  endpoint: (p) => "/api/executions?" + new URLSearchParams({ instance: p.instance || "", status: p.status || "" }),
  mount(main, params, setParams) {
    const f = frame(main, "Executions", filterBar(params, setParams));
    return {
      error: f.error,
      update(data) {
        const counts = Object.entries(data.counts || {}).map(([k, v]) => `${k.toLowerCase()} ${v}`).join(", ");
        f.draw(h("div", { id: "executions" },
          h("p", { class: "muted" }, `${data.matched} of ${data.total} execution(s)` + (counts ? ` (${counts})` : "")),
          h("table", { class: "executions" },
            h("thead", {}, h("tr", {}, ["name", "instance", "event", "status", "retries", "started", "duration", "states"].map((x) => h("th", {}, x)))),
            h("tbody", {}, data.executions.map((e) => h("tr", { class: "execution", "data-name": e.name },
              h("td", {}, h("a", { href: route("executions/" + encodeURIComponent(e.name)) }, e.name)),
              h("td", { class: "subject" }, subject(e)),
              h("td", {}, eventText(e)),
              h("td", {}, statusBadge(e.status), e.dead_lettered ? badge("dead-lettered", "failed") : null),
              h("td", { class: e.retries ? "retried" : "" }, String(e.retries)),
              h("td", {}, time(e.start)), h("td", {}, duration(e.duration_ms)),
              h("td", { class: "states" }, statesText(e.states))))))));
      },
    };
  },
};

// ---------------------------------------------------------------- one execution

function graphSvg(graph, states, taken, selected, onSelect) {
  const took = new Set((taken || []).map(([a, b]) => a + "\u0000" + b));
  const svg = s("svg", { class: "graph", viewBox: `0 0 ${graph.width} ${graph.height}`, width: graph.width, height: graph.height, role: "img", "aria-label": "state machine" },
    s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
      s("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead" }))));
  const containers = graph.nodes.filter((n) => n.container);
  const leaves = graph.nodes.filter((n) => !n.container);
  for (const n of containers) {
    const st = states[n.name];
    svg.append(s("g", { class: ["container", "st-" + (st ? st.status : "notrun")], "data-state": n.name },
      s("rect", { x: n.x, y: n.y, width: n.w, height: n.h, rx: 8 }),
      s("text", { x: n.x + 10, y: n.y + 17, class: "container-label" }, `${n.name} (${n.type})`)));
  }
  for (const e of graph.edges) {
    const [x1, y1, x2, y2] = e.points;
    const bend = e.kind === "catch" ? `C ${x1 + 60} ${y1}, ${x2} ${y2 - 50}, ${x2} ${y2}` : `C ${x1} ${(y1 + y2) / 2}, ${x2} ${(y1 + y2) / 2}, ${x2} ${y2}`;
    const ran = took.has(e.from + "\u0000" + e.to);
    svg.append(s("path", { d: `M ${x1} ${y1} ${bend}`, class: ["edge", "e-" + e.kind, ran ? "taken" : ""], "data-edge": `${e.from}>${e.to}`, "marker-end": "url(#arrow)" }));
  }
  for (const n of leaves) {
    const st = states[n.name];
    const status = st ? st.status : "notrun";
    const g = s("g", { class: ["node", "st-" + status, n.name === selected ? "selected" : "", "t-" + n.type.toLowerCase()], "data-state": n.name, "data-status": status, tabindex: 0 },
      s("title", {}, `${n.name}: ${status}`),
      s("rect", { x: n.x, y: n.y, width: n.w, height: n.h, rx: n.type === "Choice" ? 18 : 6 }),
      s("text", { x: n.x + n.w / 2, y: n.y + n.h / 2 + 4, "text-anchor": "middle" }, n.name));
    if (st && st.retries) {
      g.append(s("g", { class: "retry-badge", "data-retries": st.retries },
        s("rect", { x: n.x + n.w - 34, y: n.y - 9, width: 40, height: 18, rx: 9 }),
        s("text", { x: n.x + n.w - 14, y: n.y + 4, "text-anchor": "middle" }, `↻ ${st.retries}`)));
    }
    g.addEventListener("click", () => onSelect(n.name));
    g.addEventListener("keydown", (ev) => { if (ev.key === "Enter") onSelect(n.name); });
    svg.append(g);
  }
  return svg;
}

function statePanel(name, st) {
  if (!st) return h("div", { class: "panel", id: "state-panel" }, h("h2", {}, name), h("p", { class: "muted" }, "not run in this execution"));
  return h("div", { class: "panel", id: "state-panel", "data-state": name },
    h("h2", {}, name, " ", statusBadge(st.status)),
    h("table", { class: "meta" }, h("tbody", {},
      h("tr", {}, h("th", {}, "attempts"), h("td", {}, String(st.attempts))),
      h("tr", {}, h("th", {}, "retries"), h("td", { class: "state-retries" }, String(st.retries))),
      h("tr", {}, h("th", {}, "duration"), h("td", {}, duration(st.duration_ms))),
      h("tr", {}, h("th", {}, "entered"), h("td", {}, time(st.entered))),
      st.runs > 1 ? h("tr", {}, h("th", {}, "runs"), h("td", {}, String(st.runs))) : null)),
    st.errors.length ? h("div", {}, h("h3", {}, "Errors"), st.errors.map((e) =>
      h("details", { class: "err" }, h("summary", {}, e.error || "error"), h("pre", {}, e.cause)))) : null,
    h("h3", {}, "Input"), h("pre", { class: "json" }, st.input || "–"),
    h("h3", {}, "Output"), h("pre", { class: "json" }, st.output || "–"));
}

function defaultSelection(states, graph) {
  const names = graph.nodes.filter((n) => !n.container).map((n) => n.name);
  return names.find((n) => states[n] && states[n].retries) ||
    names.find((n) => states[n] && ["failed", "caught"].includes(states[n].status)) || names.find((n) => states[n]) || names[0];
}

export const executionView = {
  endpoint: (p) => "/api/executions/" + encodeURIComponent(p.name),
  mount(main, params) {
    const f = frame(main, "Execution");
    let selected = params.state || null;
    let last = null;
    const draw = () => {
      const data = last;
      const sum = data.summary;
      selected = selected || defaultSelection(data.states, data.graph);
      const select = (name) => { selected = name; draw(); };
      f.draw(h("div", { id: "execution", "data-name": sum.name },
        h("p", { class: "summary" }, h("span", { class: "mono" }, sum.name), " ", statusBadge(sum.status),
          sum.dead_lettered ? badge("dead-lettered", "failed") : null),
        h("p", { class: "muted" }, sum.kind === "lookup" ? "" : "instance ", subject(sum),
          ` · event ${eventText(sum)} · received ${sum.receive_count || "–"} time(s) · ${sum.retries} retries · started ${time(sum.start)} · ${duration(sum.duration_ms)}`),
        sum.error ? h("p", { class: "error" }, `${sum.error}: ${sum.cause || ""}`) : null,
        h("div", { class: "split" },
          h("div", { class: "graph-wrap" }, graphSvg(data.graph, data.states, data.taken, selected, select),
            h("p", { class: "legend" }, ["succeeded", "caught", "failed", "running", "notrun"].map((x) => h("span", { class: "lg st-" + x }, x === "notrun" ? "not run" : x)))),
          statePanel(selected, data.states[selected])),
        h("h2", {}, "Events"),
        h("table", { class: "events" },
          h("thead", {}, h("tr", {}, ["id", "+ms", "type", "state", "error / cause"].map((x) => h("th", {}, x)))),
          h("tbody", {}, data.events.map((e) => h("tr", { class: /Failed|TimedOut|Aborted/.test(e.type) ? "bad" : "" },
            h("td", {}, String(e.id)), h("td", {}, e.elapsed_ms === null ? "–" : String(e.elapsed_ms)),
            h("td", {}, e.type), h("td", {}, e.state || "–"), h("td", { class: "cause" }, e.error)))))));
    };
    return {
      error: f.error,
      update(data) {
        last = data;
        draw();
      },
    };
  },
};

// ---------------------------------------------------------------- dead letters

export const deadLettersView = {
  endpoint: () => "/api/deadletters",
  mount(main) {
    const f = frame(main, "Dead-letter queues");
    return {
      error: f.error,
      update(data) {
        if (!data.available) {
          f.draw(h("p", { class: "muted" }, "No local AWS is attached to this console: the dead-letter queues live in the " +
            "process that runs the pipeline. make demo DEMO_ARGS=--keep-running serves this console with them."));
          return;
        }
        f.draw(h("div", { id: "deadletters" }, data.queues.map((q) => h("section", { class: "queue", "data-queue": q.name },
          h("h2", {}, q.name, " ", badge(`${q.entries.length} message(s)`, q.entries.length ? "failed" : "succeeded")),
          q.error ? h("p", { class: "error" }, q.error) : null,
          q.entries.map((e) => h("details", { class: "dl-entry" }, h("summary", {}, e.summary),
            h("pre", { class: "json" }, e.body)))))));
      },
    };
  },
};
