// onconet console: a client of the public API, signed in by the session cookie (see api.js).
// Every page of the console is this one document; the path says which view it shows.

import { api, ApiError } from "./api.js";
import { coverageDashboard } from "./dashboard.js";
import { $, alert, el, fill, status } from "./dom.js";
import { networkForm } from "./form.js";
import { networkHistory } from "./history.js";
import { href, lang, t } from "./i18n.js";
import { networkList } from "./list.js";
import { reviewQueue } from "./review.js";

const UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

/** The views, by path below /console/. */
const ROUTES = [
  [/^\/console\/(networks\/?)?$/, (ctx) => networkList(ctx)],
  [/^\/console\/networks\/new$/, (ctx) => networkForm(ctx, null)],
  [new RegExp(`^/console/networks/(${UUID})$`), (ctx, id) => networkForm(ctx, id.toLowerCase())],
  [new RegExp(`^/console/networks/(${UUID})/history$`), (ctx, id) => networkHistory(ctx, id.toLowerCase())],
  [/^\/console\/review$/, (ctx) => reviewQueue(ctx)],
  [/^\/console\/coverage$/, (ctx) => coverageDashboard(ctx)],
];

function chrome(ctx) {
  $("skip").textContent = t.skip;
  $("sign-out-button").textContent = t.signOut;
  $("sign-out").hidden = false;
  const other = lang === "en" ? "nl" : "en";
  const sw = $("lang-switch");
  sw.textContent = t.otherLang;
  sw.setAttribute("lang", other);
  const query = new URLSearchParams(location.search);
  query.set("lang", other);
  sw.setAttribute("href", `?${query}`);
  const me = ctx.me;
  const role = me.roles.map((r) => t.roles[r] || r).join(", ");
  $("who").textContent = me.org ? `${role} · ${me.org}` : role;
  fill($("nav"), 
    el("a", { href: href("/console/"), "aria-current": location.pathname === "/console/" ? "page" : null }, ctx.staff ? t.allNetworks : t.myNetworks),
    el("a", { href: href("/console/networks/new"), "aria-current": location.pathname === "/console/networks/new" ? "page" : null }, t.newNetwork),
    ctx.staff ? el("a", { href: href("/console/review"), "aria-current": location.pathname === "/console/review" ? "page" : null }, t.reviewQueue) : null,
    ctx.staff ? el("a", { href: href("/console/coverage"), "aria-current": location.pathname === "/console/coverage" ? "page" : null }, t.coverage) : null,
  );
}

function context(me, vocabularies) {
  const staff = me.roles.includes("iknl_staff") || me.roles.includes("admin");
  const labels = {};
  for (const [name, list] of Object.entries(vocabularies)) {
    if (Array.isArray(list)) labels[name] = Object.fromEntries(list.map((e) => [e.code, e.label]));
  }
  return {
    me,
    staff,
    vocabularies,
    label: (vocabulary, code) => labels[vocabulary]?.[code] || code,
    title(text) {
      $("title").textContent = text;
      document.title = `${text} · onconet`;
    },
    /** Whether the user may edit `network` (the server decides; this only avoids a dead form). */
    mayEdit(network) {
      if (staff) return true;
      return me.roles.includes("ros_adviser") && Boolean(me.org) && network.ros_org === me.org.toLowerCase();
    },
    /** A clear page instead of a form the user cannot use: 403 not allowed, 404 not found. */
    refused(code, message) {
      const forbidden = code === 403;
      this.title(forbidden ? t.notAllowedTitle : t.notFoundTitle);
      status("");
      fill($("content"), 
        el("p", { class: "refused", id: "refused", "data-status": String(code) }, message || (forbidden ? t.notAllowed : t.noNetwork)),
        el("p", {}, el("a", { href: href("/console/") }, t.backToList)),
      );
    },
  };
}

async function main() {
  try {
    const [{ body: me }, { body: vocabularies }] = await Promise.all([api("/v1/me"), api("/v1/vocabularies")]);
    const ctx = context(me, vocabularies);
    chrome(ctx);
    for (const [pattern, view] of ROUTES) {
      const m = location.pathname.match(pattern);
      if (m) return await view(ctx, ...m.slice(1));
    }
    ctx.title(t.notFoundTitle);
    fill($("content"), el("p", { class: "refused", "data-status": "404" }, t.notFound), el("p", {}, el("a", { href: href("/console/") }, t.backToList)));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return; // on the way to the sign-in page
    status("");
    alert(`${t.failed}: ${e.message}`);
  }
}

main();
