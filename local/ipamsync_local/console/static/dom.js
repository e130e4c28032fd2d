// DOM helpers. Every value from the server becomes a text node (textContent), never markup:
// names and tags come from EC2 users. No HTML-parsing setter is used anywhere in the console.

const SVG_NS = "http://www.w3.org/2000/svg";

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function attributes(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    else if (key === "href") el.setAttribute("href", safeHref(value));
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  return el;
}

// Only the console's own routes are links: "#/…".
export function safeHref(value) {
  const text = String(value);
  return text.startsWith("#/") ? text : "#/";
}

export function h(tag, attrs, ...children) {
  return append(attributes(document.createElement(tag), attrs), children);
}

export function s(tag, attrs, ...children) {
  return append(attributes(document.createElementNS(SVG_NS, tag), attrs), children);
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function route(path, params) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v) query.set(k, v);
  const text = query.toString();
  return "#/" + path + (text ? "?" + text : "");
}

export async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
  const text = await response.text();
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`${path}: ${response.status} ${response.statusText}`);
  }
  if (!response.ok) throw new Error(data.error || `${path}: ${response.status}`);
  return { data, text };
}

export function metadataTable(meta) {
  const keys = Object.keys(meta || {}).sort();
  if (!keys.length) return h("p", { class: "muted" }, "no metadata");
  return h("table", { class: "meta" },
    h("tbody", {}, keys.map((k) => h("tr", {}, h("th", {}, k), h("td", {}, meta[k])))));
}

export function badge(text, kind) {
  return h("span", { class: ["badge", kind ? "b-" + kind : ""] }, text);
}

export function statusBadge(status) {
  const text = String(status || "").toUpperCase();
  return badge(text, text.toLowerCase().replace(/[^a-z_]/g, ""));
}

export function duration(ms) {
  if (ms === null || ms === undefined) return "–";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function time(value) {
  return value ? String(value).replace("T", " ").replace(/Z$/, "") : "–";
}

export function instanceLink(id, name) {
  if (!id) return "–";
  return h("a", { href: route("search", { q: id }), class: "instance" }, name ? `${name} (${id})` : id);
}

export function toggleRow(colspan, content) {
  return h("tr", { class: "more", hidden: true }, h("td", { colspan }, content));
}

export function errorBox(text) {
  return h("div", { class: "error", role: "alert" }, text);
}

// A view's frame: a title, an optional bar that stays (filters), a body redrawn on each update.
export function frame(main, title, bar) {
  const body = h("div", { class: "body" });
  const problem = h("div", {});
  append(main, [h("h1", {}, title), bar || null, problem, body]);
  return {
    body,
    draw(node) {
      clear(problem);
      clear(body).append(node);
    },
    error(text) {
      clear(problem).append(errorBox(text));
    },
  };
}
