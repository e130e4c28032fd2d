// SOLIDserver's side: the IPAM tree, devices, DNS zones and search.

import { badge, frame, h, instanceLink, metadataTable, route, toggleRow } from "./dom.js";

const closed = new Set(); // networks the user folded (open by default); kept across redraws
const openMeta = new Set(); // rows whose metadata the user unfolded

function count(n) {
  if (n < 1e7) return String(n);
  const bits = Math.log2(n);
  return Number.isInteger(bits) ? `2^${bits}` : n.toExponential(2);
}

function usage(net) {
  const pct = net.percent >= 10 || net.percent === 0 ? net.percent.toFixed(0) : net.percent.toPrecision(2);
  return h("span", { class: "usage", title: `${net.used} of ${net.capacity} ${net.unit}` },
    h("meter", { min: 0, max: Math.max(net.capacity, 1), value: net.used, low: net.capacity * 0.7, high: net.capacity * 0.9 }),
    ` ${pct} %`, h("span", { class: "muted" }, ` ${count(net.used)}/${count(net.capacity)}`));
}

function metaToggle(key, colspan) {
  const row = toggleRow(colspan, null);
  const button = h("button", { class: "linkish", type: "button", title: "metadata" }, "⋯");
  const fill = (meta) => {
    row.firstChild.append(metadataTable(meta));
    row.hidden = !openMeta.has(key);
  };
  button.addEventListener("click", () => {
    if (openMeta.has(key)) openMeta.delete(key);
    else openMeta.add(key);
    row.hidden = !openMeta.has(key);
  });
  return { row, button, fill };
}

function addressTable(addresses, focus) {
  const rows = [];
  for (const a of addresses) {
    const t = metaToggle("a-" + a.id + "-" + a.version, 8);
    t.fill(a.metadata);
    rows.push(h("tr", { class: ["address", focus && a.address === focus ? "focus" : ""], "data-address": a.address },
      h("td", { class: "mono" }, a.address), h("td", {}, a.name || "–"), h("td", {}, a.kind || "–"),
      h("td", {}, a.interface || "–"), h("td", { class: "mono" }, a.mac || "–"), h("td", {}, a.device || "–"),
      h("td", {}, a.instance_id ? instanceLink(a.instance_id) : a.owner), h("td", {}, t.button)), t.row);
  }
  return h("table", { class: "addresses" },
    h("thead", {}, h("tr", {}, ["address", "name", "kind", "interface", "MAC", "device", "owner", ""].map((x) => h("th", {}, x)))),
    h("tbody", {}, rows));
}

function networkNode(net, focus) {
  const meta = metaToggle("n-" + net.id, 1);
  meta.fill(net.metadata);
  const details = h("details", { class: ["network", "k-" + net.kind, focus === net.id ? "focus" : ""], "data-cidr": net.cidr, "data-id": net.id },
    h("summary", {},
      h("span", { class: "cidr mono" }, net.cidr), " ", badge(net.kind, net.kind), " ",
      h("span", { class: "netname" }, net.name || "–"),
      net.zone ? h("span", { class: "muted" }, " · " + net.zone) : null,
      h("span", { class: "muted" }, " · owner " + net.owner), " ", usage(net), " ", meta.button),
    h("table", { class: "meta-wrap" }, h("tbody", {}, meta.row)),
    net.children.map((c) => networkNode(c, focus)),
    net.addresses.length ? addressTable(net.addresses, focus) : null);
  details.open = !closed.has(net.id);
  details.addEventListener("toggle", () => {
    if (details.open) closed.delete(net.id);
    else closed.add(net.id);
  });
  return details;
}

function scrollToFocus(root) {
  const el = root.querySelector(".focus");
  if (el) requestAnimationFrame(() => el.scrollIntoView({ block: "center" }));
}

export const ipamView = {
  endpoint: () => "/api/ipam",
  mount(main, params) {
    const f = frame(main, "IPAM");
    let first = true;
    return {
      error: f.error,
      update(data) {
        if (data.error) f.error(data.error);
        const spaces = data.spaces || [];
        f.draw(h("div", { id: "ipam-tree" }, spaces.length ? spaces.map((space) =>
          h("section", { class: "space" },
            h("h2", {}, "space ", h("span", { class: "spacename" }, space.name)),
            space.networks.length ? space.networks.map((n) => networkNode(n, params.focus))
              : h("p", { class: "muted" }, "no networks"))) : h("p", { class: "muted" }, "no space")));
        if (first && params.focus) scrollToFocus(f.body);
        first = false;
      },
    };
  },
};

function deviceCard(d, focus) {
  const tags = Object.entries(d.tags);
  return h("article", { class: ["device", d.tombstone ? "tombstone" : "", focus === d.name ? "focus" : ""], "data-device": d.name },
    h("h2", {}, h("span", { class: "devname" }, d.name), " ",
      d.tombstone ? badge("tombstone until " + d.tombstone, "tombstone") : badge(d.state || "–", d.state)),
    h("p", {}, "instance ", instanceLink(d.instance_id, d.instance_name), h("span", { class: "muted" }, " · owner " + d.owner)),
    Object.keys(d.facts).length ? h("p", { class: "facts" }, Object.entries(d.facts).map(([k, v]) =>
      h("span", { class: "fact" }, h("span", { class: "muted" }, k + " "), v))) : null,
    tags.length ? h("table", { class: "tags" }, h("tbody", {}, tags.map(([k, v]) =>
      h("tr", {}, h("th", {}, k), h("td", { class: "tag-value" }, v))))) : null,
    d.interfaces.length ? h("table", { class: "interfaces" },
      h("thead", {}, h("tr", {}, ["interface", "MAC", "ENI", "addresses"].map((x) => h("th", {}, x)))),
      h("tbody", {}, d.interfaces.map((i) => h("tr", {},
        h("td", {}, i.name), h("td", { class: "mono" }, i.mac || "–"), h("td", { class: "mono" }, i.eni || "–"),
        h("td", {}, i.addresses.map((a) => h("a", { class: "addr mono", href: route("ipam", { focus: a.address }), title: a.kind }, a.address))))))) : null,
    h("details", { class: "devmeta" }, h("summary", {}, "metadata"), metadataTable(d.metadata)));
}

export const devicesView = {
  endpoint: () => "/api/devices",
  mount(main, params) {
    const f = frame(main, "Devices");
    let first = true;
    return {
      error: f.error,
      update(data) {
        if (data.error) f.error(data.error);
        const list = data.devices || [];
        f.draw(h("div", { id: "devices" }, h("p", { class: "muted" }, `${list.length} device(s)`), list.map((d) => deviceCard(d, params.focus))));
        if (first && params.focus) scrollToFocus(f.body);
        first = false;
      },
    };
  },
};

export const dnsView = {
  endpoint: () => "/api/dns",
  mount(main, params) {
    const f = frame(main, "DNS");
    return {
      error: f.error,
      update(data) {
        if (data.error) f.error(data.error);
        f.draw(h("div", { id: "dns" }, (data.zones || []).map((z) =>
          h("section", { class: ["zone", params.focus === z.name ? "focus" : ""], "data-zone": z.name },
            h("h2", {}, h("span", { class: "mono" }, z.name), " ", badge(z.reverse ? "reverse" : "forward", z.reverse ? "reverse" : "forward"),
              h("span", { class: "muted" }, ` ${z.server} · ${z.records.length} record(s)`)),
            z.records.length ? h("table", { class: "records" },
              h("thead", {}, h("tr", {}, ["name", "type", "value", "TTL", "owner"].map((x) => h("th", {}, x)))),
              h("tbody", {}, z.records.map((r) => h("tr", {},
                h("td", { class: "mono" }, r.name), h("td", {}, r.type), h("td", { class: "mono" }, r.value),
                h("td", {}, String(r.ttl)), h("td", {}, r.instance_id ? instanceLink(r.instance_id) : r.owner)))))
              : h("p", { class: "muted" }, "no records")))));
      },
    };
  },
};

const HIT_VIEW = { device: "devices", address: "ipam", record: "dns", network: "ipam" };

export const searchView = {
  endpoint: (params) => "/api/search?q=" + encodeURIComponent(params.q || ""),
  mount(main, params) {
    const f = frame(main, "Search");
    return {
      error: f.error,
      update(data) {
        if (data.error) f.error(data.error);
        const hits = data.hits || [];
        const runs = data.executions || [];
        f.draw(h("div", { id: "search-results" },
          h("p", {}, `${hits.length} object(s) and ${runs.length} execution(s) match `, h("q", {}, params.q || "")),
          hits.length ? h("table", { class: "hits" },
            h("thead", {}, h("tr", {}, ["kind", "object", "detail", "instance"].map((x) => h("th", {}, x)))),
            h("tbody", {}, hits.map((hit) => h("tr", { class: "hit", "data-kind": hit.kind },
              h("td", {}, badge(hit.kind, hit.kind)),
              h("td", {}, h("a", { href: route(HIT_VIEW[hit.kind], { focus: hit.target }) }, hit.label)),
              h("td", {}, hit.detail), h("td", {}, hit.instance_id ? h("span", { class: "mono" }, hit.instance_id) : "–"))))) : null,
          runs.length ? h("h2", {}, "Executions") : null,
          runs.length ? h("table", { class: "executions" }, h("tbody", {}, runs.map((r) => h("tr", {},
            h("td", {}, h("a", { href: route("executions/" + encodeURIComponent(r.name)) }, r.name)),
            h("td", {}, r.event_state), h("td", {}, r.status))))) : null));
      },
    };
  },
};
