// "My networks" (a ROS adviser's own) and "All networks" (IKNL staff), in every state, with
// the API's filters (kept in the page's address, so a filtered list can be bookmarked) and a
// CSV download of everything that matches.

import { api } from "./api.js";
import { $, el, fill, status } from "./dom.js";
import { date, href, lang, t } from "./i18n.js";

const STATES = ["draft", "submitted", "published", "archived"];
/** The API's list parameters the filter form sets. */
const FILTERS = ["q", "type", "discipline", "lifecycle", "state", "qualified", "verification_overdue", "municipality", "sort"];

function query(page, perPage) {
  const from = new URLSearchParams(location.search);
  const q = new URLSearchParams();
  for (const k of FILTERS) if (from.get(k)) q.set(k, from.get(k));
  if (!q.has("state")) q.set("state", STATES.join(","));
  q.set("per_page", String(perPage));
  q.set("page", String(page));
  return q;
}

function filterForm(ctx) {
  const from = new URLSearchParams(location.search);
  const v = ctx.vocabularies;
  const select = (name, label, options) =>
    el(
      "p",
      { class: "field" },
      el("label", { for: `filter-${name}` }, label),
      el("select", { id: `filter-${name}`, name }, el("option", { value: "" }, t.any), options.map(([value, text]) => el("option", { value, selected: from.get(name) === value }, text))),
    );
  return el(
    "form",
    { id: "filters", class: "filters", method: "get", action: location.pathname, role: "search", "aria-label": t.filters },
    el("input", { type: "hidden", name: "lang", value: lang }),
    el("p", { class: "field" }, el("label", { for: "filter-q" }, t.searchText), el("input", { id: "filter-q", name: "q", type: "search", value: from.get("q") || "" })),
    select("type", t.type, v.network_types.map((e) => [e.code, e.label])),
    select("discipline", t.discipline, v.disciplines.map((e) => [e.code, e.label])),
    select("lifecycle", t.lifecycle, Object.entries(t.lifecycles)),
    select("state", t.state, STATES.map((s) => [s, t.states[s]])),
    select("qualified", t.qualified, [["true", t.yes], ["false", t.no]]),
    el(
      "p",
      { class: "field check" },
      el("input", { type: "checkbox", id: "filter-verification-overdue", name: "verification_overdue", value: "true", checked: from.get("verification_overdue") === "true" }),
      el("label", { for: "filter-verification-overdue" }, t.verificationDue),
    ),
    el("p", { class: "field" }, el("label", { for: "filter-municipality" }, t.municipalityCode), el("input", { id: "filter-municipality", name: "municipality", value: from.get("municipality") || "", placeholder: "GM0014", spellcheck: "false" })),
    select("sort", t.sortBy, [["name", t.name], ["updated_at", t.oldestChange], ["-updated_at", t.newestChange]]),
    el("p", { class: "actions" }, el("button", { type: "submit", class: "primary" }, t.applyFilters), el("a", { href: href(location.pathname) }, t.clearFilters)),
  );
}

export async function networkList(ctx, page = 1) {
  const title = ctx.staff ? t.allNetworks : t.myNetworks;
  ctx.title(title);
  status(t.loading);
  let list;
  try {
    ({ body: list } = await api(`/v1/networks?${query(page, 50)}`));
  } catch (e) {
    if (e.status === 400) {
      fill($("content"), filterForm(ctx));
      throw e;
    }
    throw e;
  }
  status(t.count(list.page.total_items));
  const head = el("tr", {}, [t.name, t.type, t.state, t.lifecycle, t.qualified, t.lastVerified].map((h) => el("th", { scope: "col" }, h)));
  const rows = list.items.map((n) => {
    const q = n.qualification;
    const verified = date(n.last_verified_at) + (n.verification_overdue ? ` (${t.overdue})` : "");
    return el(
      "tr",
      { "data-id": n.id },
      el("th", { scope: "row" }, el("a", { href: href(`/console/networks/${n.id}`) }, n.name)),
      el("td", {}, ctx.label("network_types", n.type)),
      el("td", {}, el("span", { class: `state state-${n.state}` }, t.states[n.state] || n.state)),
      el("td", {}, t.lifecycles[n.lifecycle] || n.lifecycle),
      el("td", {}, q.applicable ? (q.qualified ? t.yes : t.no) : t.notApplicable),
      el("td", {}, verified),
    );
  });
  const pages = list.page.total_pages;
  const label = t.page(page, pages, list.page.total_items);
  fill(
    $("content"),
    el("p", {}, el("a", { class: "button primary", href: href("/console/networks/new") }, t.newNetwork)),
    filterForm(ctx),
    list.items.length === 0
      ? el("p", { class: "empty" }, new URLSearchParams(location.search).get("verification_overdue") === "true" ? t.noneDue : t.none)
      : [
          el("p", {}, el("button", { type: "button", class: "add", id: "download-csv", onclick: () => downloadCsv(ctx) }, t.downloadCsv)),
          el("table", { id: "networks" }, el("caption", { class: "visually-hidden" }, title), el("thead", {}, head), el("tbody", {}, rows)),
        ],
    pages > 1
      ? el(
          "nav",
          { class: "pager", "aria-label": label },
          el("button", { type: "button", disabled: page <= 1, onclick: () => networkList(ctx, page - 1) }, t.previous),
          el("span", {}, label),
          el("button", { type: "button", disabled: page >= pages, onclick: () => networkList(ctx, page + 1) }, t.next),
        )
      : null,
  );
}

/** A CSV cell: quoted, and a leading = + - @ (a formula in a spreadsheet) neutralised. */
export function csvCell(value) {
  let text = value === null || value === undefined ? "" : Array.isArray(value) ? value.join(" ") : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

const COLUMNS = [
  ["id", (n) => n.id],
  ["name", (n) => n.name],
  ["type", (n) => n.type],
  ["state", (n) => n.state],
  ["lifecycle", (n) => n.lifecycle],
  ["scale", (n) => n.scale],
  ["ros_org", (n) => n.ros_org],
  ["qualified", (n) => (n.qualification.applicable ? n.qualification.qualified : "")],
  ["disciplines", (n) => n.disciplines],
  ["municipalities", (n) => n.service_area.municipalities],
  ["area_km2", (n) => n.area_km2],
  ["website", (n) => n.website],
  ["last_verified_at", (n) => n.last_verified_at],
  ["updated_at", (n) => n.updated_at],
];

/** Every network the filters match (all pages), as a CSV file. */
async function downloadCsv(ctx) {
  status(t.loading);
  const items = [];
  for (let page = 1; ; page += 1) {
    const { body } = await api(`/v1/networks?${query(page, 100)}`);
    items.push(...body.items);
    if (page >= body.page.total_pages) break;
  }
  const lines = [COLUMNS.map(([name]) => csvCell(name)).join(","), ...items.map((n) => COLUMNS.map(([, get]) => csvCell(get(n))).join(","))];
  const blob = new Blob([`\ufeff${lines.join("\r\n")}\r\n`], { type: "text/csv;charset=utf-8" });
  const link = el("a", { href: URL.createObjectURL(blob), download: `onconet-networks-${new Date().toISOString().slice(0, 10)}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  status(t.downloaded(items.length));
  ctx.lastCsv = lines.length - 1;
}
