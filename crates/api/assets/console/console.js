// onconet console: a client of the public API, signed in by the session cookie. Writes send
// the CSRF cookie's value in X-CSRF-Token (the server refuses cookie-authenticated writes
// without it). Dutch by default, English with ?lang=en.

const lang = document.documentElement.lang === "en" ? "en" : "nl";

const TEXT = {
  nl: {
    skip: "Naar de inhoud",
    signOut: "Uitloggen",
    otherLang: "English",
    myNetworks: "Mijn netwerken",
    allNetworks: "Alle netwerken",
    loading: "Bezig met laden…",
    none: "Er zijn nog geen netwerken.",
    name: "Naam",
    type: "Type",
    state: "Status",
    lifecycle: "Levensfase",
    qualified: "Gekwalificeerd",
    lastVerified: "Laatst geverifieerd",
    yes: "ja",
    no: "nee",
    notApplicable: "n.v.t.",
    never: "nooit",
    overdue: "verificatie verlopen",
    previous: "Vorige",
    next: "Volgende",
    page: (p, n, total) => `Pagina ${p} van ${n} (${total} netwerken)`,
    count: (total) => `${total} netwerken`,
    roles: { ros_adviser: "ROS-adviseur", iknl_staff: "IKNL-medewerker", admin: "beheerder" },
    states: { draft: "concept", submitted: "ingediend", published: "gepubliceerd", archived: "gearchiveerd" },
    lifecycles: { in_formation: "in oprichting", active: "actief", inactive: "inactief" },
    failed: "Het laden is mislukt",
  },
  en: {
    skip: "Skip to content",
    signOut: "Sign out",
    otherLang: "Nederlands",
    myNetworks: "My networks",
    allNetworks: "All networks",
    loading: "Loading…",
    none: "There are no networks yet.",
    name: "Name",
    type: "Type",
    state: "State",
    lifecycle: "Lifecycle",
    qualified: "Qualified",
    lastVerified: "Last verified",
    yes: "yes",
    no: "no",
    notApplicable: "n/a",
    never: "never",
    overdue: "verification overdue",
    previous: "Previous",
    next: "Next",
    page: (p, n, total) => `Page ${p} of ${n} (${total} networks)`,
    count: (total) => `${total} networks`,
    roles: { ros_adviser: "ROS adviser", iknl_staff: "IKNL staff", admin: "admin" },
    states: { draft: "draft", submitted: "submitted", published: "published", archived: "archived" },
    lifecycles: { in_formation: "in formation", active: "active", inactive: "inactive" },
    failed: "Loading failed",
  },
}[lang];

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

/** The CSRF cookie's value, for writes. */
export function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)onconet_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

/** Calls the API; a 401 sends the user to sign in (and back here afterwards). */
export async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  headers.set("Accept-Language", lang);
  if (options.method && !["GET", "HEAD"].includes(options.method)) headers.set("X-CSRF-Token", csrfToken());
  const response = await fetch(path, { ...options, headers, credentials: "same-origin" });
  if (response.status === 401) {
    location.assign(`/console/sign-in?lang=${lang}`);
    throw new Error("signed out");
  }
  if (!response.ok) {
    let detail = `${response.status}`;
    try {
      const problem = await response.json();
      detail = problem.detail || problem.title || detail;
    } catch (_) { /* not a problem document */ }
    throw new Error(detail);
  }
  return response.json();
}

function chrome(me) {
  document.title = `${me.roles.includes("ros_adviser") && !isStaff(me) ? TEXT.myNetworks : TEXT.allNetworks} · onconet`;
  $("skip").textContent = TEXT.skip;
  $("sign-out-button").textContent = TEXT.signOut;
  $("sign-out").hidden = false;
  const other = lang === "en" ? "nl" : "en";
  const sw = $("lang-switch");
  sw.textContent = TEXT.otherLang;
  sw.setAttribute("lang", other);
  sw.setAttribute("href", `?lang=${other}`);
  const role = me.roles.map((r) => TEXT.roles[r] || r).join(", ");
  $("who").textContent = me.org ? `${role} · ${me.org}` : role;
}

function isStaff(me) {
  return me.roles.includes("iknl_staff") || me.roles.includes("admin");
}

function date(value) {
  if (!value) return TEXT.never;
  return new Date(value).toLocaleDateString(lang === "en" ? "en-GB" : "nl-NL", { year: "numeric", month: "long", day: "numeric" });
}

async function networks(me, types, page = 1) {
  const title = isStaff(me) ? TEXT.allNetworks : TEXT.myNetworks;
  $("title").textContent = title;
  $("status").textContent = TEXT.loading;
  const query = new URLSearchParams({ state: "draft,submitted,published,archived", per_page: "50", page: String(page) });
  const list = await api(`/v1/networks?${query}`);
  const content = $("content");
  content.replaceChildren();
  $("status").textContent = TEXT.count(list.page.total_items);
  if (list.items.length === 0) {
    content.append(el("p", { class: "empty" }, TEXT.none));
    return;
  }
  const head = el("tr", {}, ...[TEXT.name, TEXT.type, TEXT.state, TEXT.lifecycle, TEXT.qualified, TEXT.lastVerified].map((h) => el("th", { scope: "col" }, h)));
  const rows = list.items.map((n) => {
    const q = n.qualification;
    const verified = date(n.last_verified_at) + (n.verification_overdue ? ` (${TEXT.overdue})` : "");
    return el(
      "tr",
      { "data-id": n.id },
      el("th", { scope: "row" }, n.name),
      el("td", {}, types[n.type] || n.type),
      el("td", {}, el("span", { class: `state state-${n.state}` }, TEXT.states[n.state] || n.state)),
      el("td", {}, TEXT.lifecycles[n.lifecycle] || n.lifecycle),
      el("td", {}, q.applicable ? (q.qualified ? TEXT.yes : TEXT.no) : TEXT.notApplicable),
      el("td", {}, verified),
    );
  });
  content.append(el("table", { id: "networks" }, el("caption", {}, title), el("thead", {}, head), el("tbody", {}, ...rows)));
  const pages = list.page.total_pages;
  if (pages > 1) {
    const prev = el("button", { type: "button" }, TEXT.previous);
    const next = el("button", { type: "button" }, TEXT.next);
    prev.disabled = page <= 1;
    next.disabled = page >= pages;
    prev.addEventListener("click", () => networks(me, types, page - 1));
    next.addEventListener("click", () => networks(me, types, page + 1));
    content.append(el("nav", { class: "pager", "aria-label": TEXT.page(page, pages, list.page.total_items) }, prev, el("span", {}, TEXT.page(page, pages, list.page.total_items)), next));
  }
}

async function main() {
  try {
    const me = await api("/v1/me");
    chrome(me);
    const vocabularies = await api("/v1/vocabularies");
    const types = Object.fromEntries((vocabularies.network_types || []).map((t) => [t.code, t.label]));
    await networks(me, types);
  } catch (e) {
    if (e.message !== "signed out") {
      $("status").textContent = "";
      $("alert").textContent = `${TEXT.failed}: ${e.message}`;
    }
  }
}

main();
