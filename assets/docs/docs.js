// hikbridge API docs: reads /openapi.json and lists every operation by tag with its method,
// path, summary, parameters, request body and responses. No dependencies, no CDN; every text
// goes through textContent (nothing from the document is parsed as HTML).
"use strict";

const METHODS = ["get", "post", "put", "delete", "patch"];
const MAX_DEPTH = 5;

/** Create an element with an optional class and children (strings become text). */
function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

/** Text with `code` spans; a blank line is a paragraph break, a single one a space (as in
 * Markdown: descriptions come from wrapped doc comments). */
function prose(text, className = "description") {
  const p = el("p", className);
  const paragraphs = String(text || "")
    .split(/\n\s*\n/)
    .map((para) => para.replace(/\s*\n\s*/g, " "));
  paragraphs.join("\n\n").split("`").forEach((part, i) => {
    p.append(i % 2 ? el("code", null, part) : document.createTextNode(part));
  });
  return p;
}

function refName(ref) {
  return ref.replace("#/components/schemas/", "");
}

/** A short type label: `string`, `integer (int64)`, `Punch`, `array of Punch`, `X | null` … */
function typeLabel(schema) {
  if (!schema || typeof schema !== "object") return "any";
  if (schema.$ref) return refName(schema.$ref);
  if (schema.oneOf) return schema.oneOf.map(typeLabel).join(" | ");
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const label = types
    .map((t) => {
      if (t === "array") return "array of " + typeLabel(schema.items);
      if (t === "object" && schema.additionalProperties && typeof schema.additionalProperties === "object") {
        return "map of " + typeLabel(schema.additionalProperties);
      }
      return t;
    })
    .join(" | ");
  const format = schema.format ? ` (${schema.format})` : "";
  return (label || "any") + format;
}

/** The schema a property list comes from: follows $ref, arrays, maps and `X | null`. */
function resolve(doc, schema, seen) {
  for (let i = 0; schema && i < 8; i++) {
    if (schema.$ref) {
      const name = refName(schema.$ref);
      if (seen.has(name)) return null;
      seen = new Set(seen).add(name);
      schema = doc.components?.schemas?.[name];
    } else if (schema.oneOf) {
      schema = schema.oneOf.find((s) => s.type !== "null");
    } else if (schema.items) {
      schema = schema.items;
    } else if (schema.additionalProperties && typeof schema.additionalProperties === "object" && !schema.properties) {
      schema = schema.additionalProperties;
    } else {
      return { schema, seen };
    }
  }
  return null;
}

/** A nested list of a schema's properties. */
function schemaTree(doc, schema, depth = 0, seen = new Set()) {
  const resolved = resolve(doc, schema, seen);
  if (!resolved || !resolved.schema.properties || depth > MAX_DEPTH) return null;
  const { schema: s, seen: seenNow } = resolved;
  const required = new Set(s.required || []);
  const list = el("ul", "schema");
  for (const [name, prop] of Object.entries(s.properties)) {
    const item = el(
      "li",
      null,
      el("span", "prop", name),
      " ",
      el("span", "type", typeLabel(prop)),
      required.has(name) ? el("span", "required", " required") : null,
    );
    const description = prop.description || "";
    if (description) item.append(prose(description, "muted description"));
    const child = schemaTree(doc, prop, depth + 1, seenNow);
    if (child) item.append(child);
    list.append(item);
  }
  return list;
}

/** One content map (request body or response): type, schema and examples. */
function contentView(doc, content) {
  const box = el("div");
  for (const [contentType, media] of Object.entries(content || {})) {
    box.append(
      el("div", null, el("span", "content-type", contentType), " ", el("span", "type", typeLabel(media.schema))),
    );
    const top = resolve(doc, media.schema, new Set());
    if (top?.schema?.description && media.schema?.$ref) {
      box.append(prose(top.schema.description, "muted description"));
    }
    const tree = schemaTree(doc, media.schema);
    if (tree) box.append(tree);
    const examples = [];
    if (media.example !== undefined) examples.push(["example", media.example]);
    for (const [name, ex] of Object.entries(media.examples || {})) examples.push([name, ex.value]);
    if (!examples.length && top?.schema?.examples) {
      top.schema.examples.forEach((ex, i) => examples.push([`example ${i + 1}`, ex]));
    }
    for (const [name, value] of examples) {
      const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
      box.append(el("div", "muted", name), el("pre", null, text));
    }
  }
  return box;
}

function parametersView(params) {
  const table = el("table");
  table.append(el("tr", null, el("th", null, "name"), el("th", null, "in"), el("th", null, "type"), el("th", null, "description")));
  for (const p of params) {
    table.append(
      el(
        "tr",
        null,
        el("td", null, el("span", "prop", p.name), p.required ? el("span", "required", " required") : null),
        el("td", null, p.in),
        el("td", "type", typeLabel(p.schema)),
        el("td", null, prose(p.description || "", "description")),
      ),
    );
  }
  return table;
}

/** A stable anchor for an operation: `#get-admin-summary`. */
function anchor(method, path) {
  return `${method}-${path}`.replace(/[^A-Za-z0-9_.]+/g, "-").replace(/-$/, "");
}

function operationView(doc, method, path, op) {
  const summary = el(
    "summary",
    null,
    el("span", `method method-${method}`, method.toUpperCase()),
    el("span", "path", path),
    prose(op.summary || "", "inline"),
    op.security ? el("span", "lock", "bearer token") : null,
  );
  const body = el("div", "op-body");
  if (op.description) body.append(prose(op.description));
  if (op.security) {
    body.append(prose("Needs `Authorization: Bearer <token>` (one of `api.tokens`).", "muted description"));
  }
  if (op.parameters?.length) body.append(el("h3", null, "Parameters"), parametersView(op.parameters));
  if (op.requestBody) {
    body.append(el("h3", null, "Request body" + (op.requestBody.required ? "" : " (optional)")));
    if (op.requestBody.description) body.append(prose(op.requestBody.description));
    body.append(contentView(doc, op.requestBody.content));
  }
  body.append(el("h3", null, "Responses"));
  for (const [status, res] of Object.entries(op.responses || {})) {
    const box = el(
      "div",
      "response",
      el("span", `status status-${status[0]}`, status),
      prose(res.description || "", "description inline"),
    );
    for (const [name, header] of Object.entries(res.headers || {})) {
      box.append(el("div", "muted", "header ", el("code", null, name), " — ", header.description || ""));
    }
    if (res.content) box.append(contentView(doc, res.content));
    body.append(box);
  }
  const details = el("details", "op", summary, body);
  details.id = anchor(method, path);
  details.dataset.search = [method, path, op.summary || "", ...(op.tags || [])].join(" ").toLowerCase();
  return details;
}

function render(doc) {
  document.getElementById("title").textContent = doc.info?.title ? `${doc.info.title} API` : "API";
  document.getElementById("version").textContent = `version ${doc.info?.version ?? "?"} · OpenAPI ${doc.openapi}`;
  const intro = document.getElementById("intro");
  intro.replaceChildren(prose(doc.info?.description || ""));

  const tags = (doc.tags || []).map((t) => t.name);
  const byTag = new Map(tags.map((t) => [t, []]));
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      for (const tag of op.tags?.length ? op.tags : ["other"]) {
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push(operationView(doc, method, path, op));
      }
    }
  }
  const toc = document.getElementById("toc");
  const container = document.getElementById("tags");
  let count = 0;
  for (const [tag, ops] of byTag) {
    if (!ops.length) continue;
    count += ops.length;
    const info = (doc.tags || []).find((t) => t.name === tag);
    const section = el("section", "tag", el("h2", null, tag));
    section.id = `tag-${tag}`;
    if (info?.description) section.append(prose(info.description, "tag-description muted"));
    section.append(...ops);
    container.append(section);
    const link = el("a", null, `${tag} (${ops.length})`);
    link.href = `#tag-${tag}`;
    toc.append(link);
  }
  toc.prepend(el("span", "muted", `${count} operations: `));
  toc.hidden = false;

  const list = document.getElementById("schema-list");
  for (const [name, schema] of Object.entries(doc.components?.schemas || {})) {
    const view = el("div", "card", el("span", "prop", name), " ", el("span", "type", typeLabel(schema)));
    if (schema.description) view.append(prose(schema.description, "muted description"));
    const tree = schemaTree(doc, { $ref: `#/components/schemas/${name}` });
    if (tree) view.append(tree);
    const details = el("details", "op", el("summary", null, el("span", "path", name)), el("div", "op-body", view));
    details.dataset.search = `schema ${name}`.toLowerCase();
    list.append(details);
  }
  document.getElementById("schemas").hidden = false;

  // A link to an operation (`/docs#post-biometrico-jobs`) opens it.
  const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (target instanceof HTMLDetailsElement) {
    target.open = true;
    target.scrollIntoView();
  }

  const filter = document.getElementById("filter");
  filter.addEventListener("input", () => {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const op of document.querySelectorAll("details.op")) {
      op.classList.toggle("hidden", !words.every((w) => op.dataset.search.includes(w)));
    }
    for (const section of document.querySelectorAll("section.tag")) {
      section.classList.toggle("hidden", !section.querySelector("details.op:not(.hidden)"));
    }
  });
}

fetch("/openapi.json", { headers: { Accept: "application/json" } })
  .then((res) => {
    if (!res.ok) throw new Error(`/openapi.json answered HTTP ${res.status}`);
    return res.json();
  })
  .then(render)
  .catch((err) => {
    document.getElementById("status").textContent = `Could not load the API document: ${err.message}`;
  });
