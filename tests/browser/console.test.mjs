// The console in a real browser (Debian's headless Chromium driven by playwright-core),
// against a running `onconet serve --demo` in development mode:
//
//   ONCONET_URL=http://127.0.0.1:8080 ONCONET_STAFF_TOKEN=$(onconet token --role iknl_staff) \
//     node --test console.test.mjs
//
// An adviser of the demo ROS signs in on the development page with the keyboard alone, sees
// "My networks" (what the API lists for that ROS), switches to English and signs out. axe-core
// checks every page (no serious or critical violation) and no request leaves the server's
// origin. Screenshots go to <repository>/artifacts/.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import zlib from "node:zlib";
import { launchChromium } from "./chromium.mjs";
import { ARTIFACTS, axe, dashboardReady, drawGroningenAssenAndCircle, previewSettled, shot } from "./console-kit.mjs";

const API = (process.env.ONCONET_URL || "http://127.0.0.1:8080").replace(/\/+$/, "");
const STAFF_TOKEN = process.env.ONCONET_STAFF_TOKEN || "";
const TIMEOUT = 20_000;
const ROS = "demo-ros";

let browser;
const requests = [];
const pageErrors = [];

async function newPage() {
  // bypassCSP lets the test inject axe-core into pages whose CSP (rightly) forbids inline script.
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1, bypassCSP: true });
  context.on("request", (request) => requests.push(request.url()));
  const page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  page.setDefaultTimeout(TIMEOUT);
  return page;
}

/** Signs in on the development page (mouse and keyboard both work; the keyboard story is above). */
async function signIn(page, role, org, next = "/console/", lang = "en") {
  await page.goto(`${API}/console/sign-in?lang=${lang}&next=${encodeURIComponent(next)}`);
  await page.selectOption("#role", role);
  if (org) await page.fill("#org", org);
  await page.getByRole("button", { name: lang === "en" ? "Sign in" : "Inloggen" }).click();
  await page.waitForURL((url) => url.pathname === next);
}

/** The API as IKNL staff (the test's token). */
async function staffApi(path, options = {}) {
  const headers = { Authorization: `Bearer ${STAFF_TOKEN}`, Accept: "application/json", ...(options.headers || {}) };
  if (options.json !== undefined) headers["Content-Type"] = headers["Content-Type"] || "application/json";
  const r = await fetch(`${API}${path}`, { method: options.method || "GET", headers, body: options.json === undefined ? undefined : JSON.stringify(options.json) });
  return { status: r.status, etag: r.headers.get("etag"), body: await r.json().catch(() => null) };
}

/** The networks the API lists for the demo ROS in every state (what "My networks" shows). */
async function rosNetworks() {
  const r = await fetch(`${API}/v1/networks?state=draft,submitted,published,archived&per_page=100`, {
    headers: { Authorization: `Bearer ${STAFF_TOKEN}`, Accept: "application/json" },
  });
  assert.equal(r.status, 200);
  const body = await r.json();
  return body.items.filter((n) => n.ros_org === ROS).map((n) => n.name).sort();
}

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
});

describe("the console in headless Chromium", { concurrency: false }, () => {
  test("an adviser signs in with the keyboard, sees their ROS's networks, switches to English, signs out", async () => {
    const expected = await rosNetworks();
    assert.ok(expected.length > 0, "the demo data has networks of the demo ROS");
    const page = await newPage();

    // Signed out, the console sends you to the (development) sign-in page, in Dutch.
    await page.goto(`${API}/console/`);
    await page.waitForURL(/\/console\/sign-in/);
    await page.getByText("Alleen voor ontwikkeling").waitFor();
    assert.equal(await page.getAttribute("html", "lang"), "nl");
    await axe(page, "the sign-in page");
    await shot(page, "console-sign-in.png");

    // Keyboard only: Tab to the role, keep "ROS-adviseur", Tab to the organisation, type, Enter.
    await page.keyboard.press("Tab"); // the language link
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "role");
    assert.equal(await page.inputValue("#role"), "ros_adviser");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "org");
    await page.keyboard.type(ROS);
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/console\/\?lang=nl/);
    await page.locator("#networks tbody tr").first().waitFor();
    assert.equal(await page.textContent("#title"), "Mijn netwerken");
    const shown = (await page.locator("#networks tbody th").allTextContents()).sort();
    assert.deepEqual(shown, expected, "the table lists what the API lists for the ROS");
    const headers = await page.locator("#networks thead th").allTextContents();
    assert.deepEqual(headers, ["Naam", "Type", "Status", "Levensfase", "Gekwalificeerd", "Laatst geverifieerd"]);
    await axe(page, "My networks (nl)");
    const nl = await shot(page, "console-my-networks-nl.png");

    // The session cookie is HttpOnly: the page's script cannot read it.
    const cookies = await page.evaluate(() => document.cookie);
    assert.ok(!cookies.includes("onconet_session"), cookies);
    assert.ok(cookies.includes("onconet_csrf"), cookies);

    // English with the switch.
    await page.getByRole("link", { name: "English" }).click();
    await page.waitForURL(/lang=en/);
    await page.locator("#networks tbody tr").first().waitFor();
    assert.equal(await page.textContent("#title"), "My networks");
    assert.equal(await page.getAttribute("html", "lang"), "en");
    const en = await page.locator("#networks thead th").allTextContents();
    assert.deepEqual(en.slice(0, 2), ["Name", "Type"]);
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await axe(page, "My networks (en)");
    const enShot = await shot(page, "console-my-networks-en.png");

    // Signing out ends the session: the console sends you to sign in again.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/console\/sign-in/);
    await page.goto(`${API}/console/?lang=en`);
    await page.waitForURL(/\/console\/sign-in\?lang=en/);
    await page.getByText("Development only").waitFor();
    for (const file of [nl, enShot]) assert.ok(fs.statSync(file).size > 5_000, file);
  });

  test("the adviser's story with the keyboard alone: sign in, new network, name, disciplines, municipality typed, save, submit", async () => {
    const page = await newPage();
    /** Tabs until the focused element matches `selector` (and has `text`, if given). */
    const tabTo = async (selector, text) => {
      for (let i = 0; i < 400; i++) {
        const there = await page.evaluate(([s, t]) => {
          const a = document.activeElement;
          return Boolean(a && a.matches(s) && (!t || a.textContent.trim() === t));
        }, [selector, text]);
        if (there) return;
        await page.keyboard.press("Tab");
      }
      throw new Error(`Tab never reached ${selector} ${text || ""}`);
    };
    await page.goto(`${API}/console/sign-in?lang=en&next=${encodeURIComponent("/console/")}`);
    await tabTo("#org");
    await page.keyboard.type(ROS);
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/console\/\?lang=en/);
    await tabTo('a[href^="/console/networks/new"]');
    await page.keyboard.press("Enter");
    await page.locator("#network-form").waitFor();
    await tabTo("#f-name");
    const name = `[TEST] Toetsenbord ${Date.now()}`;
    await page.keyboard.type(name);
    for (const code of ["physiotherapy", "dietetics", "speech_therapy", "psychology", "sexology"]) { // in the form's order
      await tabTo(`#f-disciplines-${code}`);
      await page.keyboard.press("Space");
    }
    await tabTo("#f-service-area-municipalities");
    await page.keyboard.type("GM0014");
    await page.locator('li.criterion.met[data-key="disciplines"]').waitFor();
    await previewSettled(page);
    assert.equal(await page.getAttribute("#area-summary", "data-population"), "243768");
    await tabTo("button", "Save");
    await page.keyboard.press("Enter");
    await page.getByText("Created as a draft.").waitFor();
    await tabTo("button", "Submit for review");
    await page.keyboard.press("Enter");
    await page.getByText("Submitted for review.").waitFor();
    const id = new URL(page.url()).pathname.split("/").pop();
    const saved = (await staffApi(`/v1/networks/${id}`)).body;
    assert.equal(saved.name, name);
    assert.equal(saved.state, "submitted");
    assert.deepEqual([...saved.disciplines].sort(), ["dietetics", "physiotherapy", "psychology", "sexology", "speech_therapy"]);
    assert.deepEqual(saved.service_area.municipalities, ["GM0014"]);
  });

  test("an adviser creates a network: errors by field, LOPPSOZ and km² follow the form, save, submit, history", async () => {
    const page = await newPage();
    await signIn(page, "ros_adviser", ROS, "/console/networks/new");
    await page.locator("#network-form").waitFor();
    assert.equal(await page.textContent("#title"), "New network");
    await axe(page, "the new-network form");

    await page.getByLabel("Name", { exact: true }).fill("[TEST] Oncologiezorgnetwerk Browser");
    for (const d of ["Physiotherapy", "Dietetics", "Psychology", "Speech therapy", "Sexology"]) {
      await page.getByRole("checkbox", { name: d, exact: true }).check();
    }
    await page.getByLabel("Municipalities (CBS codes)").fill("GM0014, GM9999");
    // The server's 422 for the unknown code shows next to the field and in the summary.
    const error = page.locator('[data-error-for="/service_area/municipalities"]');
    await error.filter({ hasText: "GM9999" }).waitFor();
    assert.equal(await page.getAttribute("#f-service-area-municipalities", "aria-invalid"), "true");
    assert.match(await page.textContent("#error-summary"), /Municipalities \(CBS codes\): `GM9999` is not a known municipality code/);
    await axe(page, "the form with a field error");
    await shot(page, "console-form-error.png");

    await page.getByLabel("Municipalities (CBS codes)").fill("GM0014");
    await page.locator('li.criterion.met[data-key="disciplines"]').waitFor();
    await previewSettled(page);
    assert.equal(await error.textContent(), "");
    assert.equal(await page.getAttribute("#area-summary", "data-population"), "243768");
    assert.equal(await page.locator('li.criterion.missing[data-key="contact_point"]').count(), 1);

    // A contact: private until marked public; a public one is the network's contact point.
    await page.getByRole("button", { name: "Add contact" }).click();
    assert.equal(await page.locator(".badge.private").count(), 1);
    await page.locator("#f-contacts-0-name").fill("Anna de Vries");
    // A rule across fields lands on the row: a contact needs an e-mail address or a phone.
    await page.locator('[data-error-for="/contacts/0"]').filter({ hasText: "needs an email address or a phone number" }).waitFor();
    await page.locator("#f-contacts-0-email").fill("anna@example.nl");
    await page.getByLabel("Public (shown to everyone)").check();
    assert.equal(await page.locator(".badge.public").count(), 1);
    await page.locator('li.criterion.met[data-key="contact_point"]').waitFor();
    const km2 = Number(await page.getAttribute("#area-summary", "data-km2"));
    await shot(page, "console-form-valid.png");

    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL(/\/console\/networks\/[0-9a-f-]{36}\?lang=en$/);
    await page.getByText("Created as a draft.").waitFor();
    const id = new URL(page.url()).pathname.split("/").pop();
    const saved = await staffApi(`/v1/networks/${id}`);
    assert.equal(saved.body.name, "[TEST] Oncologiezorgnetwerk Browser");
    assert.equal(saved.body.ros_org, ROS);
    assert.equal(saved.body.state, "draft");
    assert.deepEqual(saved.body.service_area.municipalities, ["GM0014"]);
    assert.equal(saved.body.contacts[0].public, true);
    assert.ok(Math.abs(saved.body.area_km2 - km2) < 0.06, `${saved.body.area_km2} vs ${km2}`);

    await page.getByRole("button", { name: "Submit for review" }).click();
    await page.getByText("Submitted for review.").waitFor();
    assert.equal((await staffApi(`/v1/networks/${id}`)).body.state, "submitted");

    await page.getByRole("link", { name: "History" }).click();
    await page.locator(".revision").first().waitFor();
    const headings = await page.locator(".revision h2").allTextContents();
    assert.equal(headings.length, 2, headings.join(" | "));
    assert.match(headings[0], /^Version 2: state changed by /);
    assert.match(headings[1], /^Version 1: created by /);
    assert.ok((await page.locator(".revision").last().textContent()).includes("GM0014"));
    await axe(page, "the history");
    await shot(page, "console-history.png");
  });

  test("an adviser draws the service area on the map: two municipalities clicked, a circle drawn, km² and LOPPSOZ, save and submit", async () => {
    const page = await newPage();
    await signIn(page, "ros_adviser", ROS, "/console/networks/new");
    await page.waitForFunction(() => document.getElementById("area-map")?.leafletMap);
    await page.getByLabel("Name", { exact: true }).fill("[TEST] Oncologiezorgnetwerk Kaart");
    for (const d of ["Physiotherapy", "Dietetics", "Social work", "Occupational therapy", "Podiatry"]) {
      await page.getByRole("checkbox", { name: d, exact: true }).check();
    }
    const radius = await drawGroningenAssenAndCircle(page);
    assert.ok(radius > 3 && radius < 9, `radius ${radius} km`);
    await previewSettled(page);
    await page.locator('li.criterion.met[data-key="disciplines"]').waitFor();
    const km2 = Number(await page.getAttribute("#area-summary", "data-km2"));
    // Groningen 197.8 km² and Assen 83.5 km² (CBS), plus the circle's part outside them.
    assert.ok(km2 > 281.2 + 0.5 * Math.PI * radius * radius, `${km2} km² for a ${radius} km circle`);
    assert.match(await page.textContent("#area-summary"), /km², about [\d,]+ people, in \d+ municipalities/);
    assert.ok(Number(await page.getAttribute("#area-summary", "data-population")) > 243_768 + 69_701);
    assert.equal(await page.locator('#area-map path[stroke-dasharray="6 4"]').count() > 0, true, "the derived area is outlined");
    await axe(page, "the form with the map");
    await shot(page, "console-map.png");

    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Created as a draft.").waitFor();
    const id = new URL(page.url()).pathname.split("/").pop();
    await page.getByRole("button", { name: "Submit for review" }).click();
    await page.getByText("Submitted for review.").waitFor();
    const saved = (await staffApi(`/v1/networks/${id}`)).body;
    assert.equal(saved.state, "submitted");
    assert.deepEqual(saved.service_area.municipalities, ["GM0014", "GM0106"]);
    assert.equal(saved.service_area.circles.length, 1);
    assert.ok(Math.abs(saved.area_km2 - km2) < 0.06, `${saved.area_km2} vs ${km2}`);
  });

  test("two tabs edit one network: the second save shows the conflict, both edits end up saved or the user chooses", async () => {
    const created = await staffApi("/v1/networks", { method: "POST", json: { name: "[TEST] Twee tabbladen", type: "oncology_care_network", scale: "local", ros_org: ROS } });
    assert.equal(created.status, 201);
    const id = created.body.id;
    const a = await newPage();
    await signIn(a, "ros_adviser", ROS);
    const b = await a.context().newPage();
    b.on("pageerror", (error) => pageErrors.push(`${b.url()}: ${error.message}`));
    for (const tab of [a, b]) {
      await tab.goto(`${API}/console/networks/${id}?lang=en`);
      await tab.locator("#network-form").waitFor();
      await previewSettled(tab);
    }
    // Different fields: B re-applies A's name under its own website change.
    await a.getByLabel("Name", { exact: true }).fill("[TEST] Twee tabbladen (A)");
    await a.getByRole("button", { name: "Save" }).click();
    await a.getByText("Saved.").waitFor();
    await b.getByLabel("Website").fill("https://b.example.nl");
    await b.getByRole("button", { name: "Save" }).click();
    await b.locator("#conflict h2").waitFor();
    assert.match(await b.textContent("#conflict"), /Changed by them:\s*Name: \[TEST\] Twee tabbladen \(A\)/);
    await axe(b, "the conflict");
    await shot(b, "console-conflict.png");
    await b.getByRole("button", { name: "Apply my changes to the latest version" }).click();
    assert.equal(await b.inputValue("#f-name"), "[TEST] Twee tabbladen (A)");
    assert.equal(await b.inputValue("#f-website"), "https://b.example.nl");
    await b.getByRole("button", { name: "Save" }).click();
    await b.getByText("Saved.").waitFor();
    let now = (await staffApi(`/v1/networks/${id}`)).body;
    assert.equal(now.name, "[TEST] Twee tabbladen (A)");
    assert.equal(now.website, "https://b.example.nl/"); // as the API normalises it

    // The same field: A (still at its version) changes the website too and chooses theirs.
    await a.getByLabel("Website").fill("https://a.example.nl");
    await a.getByRole("button", { name: "Save" }).click();
    await a.locator("#conflict fieldset.choice").waitFor();
    assert.match(await a.textContent("#conflict fieldset.choice legend"), /Website/);
    await a.getByLabel("Their version: https://b.example.nl/").check();
    await a.getByRole("button", { name: "Apply my changes to the latest version" }).click();
    assert.equal(await a.inputValue("#f-website"), "https://b.example.nl/");
    await a.getByRole("button", { name: "Save" }).click();
    await a.getByText("Saved.").waitFor();
    now = (await staffApi(`/v1/networks/${id}`)).body;
    assert.equal(now.website, "https://b.example.nl/");
    assert.equal(now.name, "[TEST] Twee tabbladen (A)");
  });

  test("staff reviews the queue oldest first, sees what changed since publication, sends one back and publishes one; the widget finds it", async () => {
    const make = async (name, extra = {}) => {
      const r = await staffApi("/v1/networks", {
        method: "POST",
        json: { name, type: "oncology_care_network", scale: "local", lifecycle: "active", ros_org: ROS, disciplines: ["physiotherapy"], service_area: { municipalities: ["GM0935"] }, ...extra },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r;
    };
    const move = async (id, etag, to) => {
      const r = await staffApi(`/v1/networks/${id}/transitions`, { method: "POST", json: { to }, headers: { "If-Match": etag } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r;
    };
    // One published before, taken back for rework and changed since; one never published.
    let older = await make("[TEST] Maastricht eerder gepubliceerd");
    older = await move(older.body.id, older.etag, "submitted");
    older = await move(older.body.id, older.etag, "published");
    older = await move(older.body.id, older.etag, "draft");
    older = await staffApi(`/v1/networks/${older.body.id}`, {
      method: "PATCH", json: { website: "https://maastricht.example.nl" },
      headers: { "Content-Type": "application/merge-patch+json", "If-Match": older.etag },
    });
    older = await move(older.body.id, older.etag, "submitted");
    let fresh = await make("[TEST] Maastricht nieuw");
    fresh = await move(fresh.body.id, fresh.etag, "submitted");
    const queue = (await staffApi("/v1/networks?state=submitted&sort=updated_at&per_page=100")).body.items.map((n) => n.name);

    const page = await newPage();
    await signIn(page, "iknl_staff", null, "/console/review");
    await page.locator("#queue").waitFor();
    assert.equal(await page.textContent("#title"), "Review queue");
    assert.deepEqual(await page.locator("#queue li h2").allTextContents(), queue, "oldest first, as the API orders them");
    await axe(page, "the review queue");

    // The one published before: only the website changed since.
    const olderItem = page.locator(`li[data-id="${older.body.id}"]`);
    await olderItem.getByRole("button", { name: `Review: ${older.body.name}` }).click();
    await olderItem.locator("table.changes").waitFor();
    assert.equal(await olderItem.locator("h3").textContent(), "Changes since the published version");
    assert.deepEqual(await olderItem.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.field)), ["website"]);
    assert.equal(await olderItem.locator("td.new").textContent(), "https://maastricht.example.nl/");
    // Sending back needs a reason.
    await olderItem.getByRole("button", { name: "Send back" }).click();
    await olderItem.getByText("Give a reason").waitFor();
    await olderItem.getByLabel("Reason (for sending back)").fill("Graag de website controleren.");
    await axe(page, "a review with its panel open");
    await shot(page, "console-review.png");
    await olderItem.getByRole("button", { name: "Send back" }).click();
    await page.getByText(`${older.body.name} has been sent back to the ROS.`).waitFor();
    const back = (await staffApi(`/v1/networks/${older.body.id}`)).body;
    assert.equal(back.state, "draft");
    const reasons = (await staffApi(`/v1/networks/${older.body.id}/history`)).body.items.at(-1).changes.filter((c) => c.field === "reason");
    assert.deepEqual(reasons.map((c) => c.new), ["Graag de website controleren."]);

    // The new one: everything is new; publish.
    const freshItem = page.locator(`li[data-id="${fresh.body.id}"]`);
    await freshItem.getByRole("button", { name: `Review: ${fresh.body.name}` }).click();
    await freshItem.getByRole("heading", { name: "Never published: everything is new" }).waitFor();
    await freshItem.getByRole("button", { name: "Publish" }).click();
    await page.getByText(`${fresh.body.name} has been published.`).waitFor();
    assert.equal((await staffApi(`/v1/networks/${fresh.body.id}`)).body.state, "published");

    // The public widget finds it for a postcode inside its area (6211, Maastricht).
    const widget = await newPage();
    await widget.goto(`${API}/widget/demo`);
    const finder = widget.locator("onconet-finder").first();
    await finder.getByLabel("Postcode").fill("6211");
    await finder.getByLabel("Postcode").press("Enter");
    await finder.locator("[part~=result]", { hasText: fresh.body.name }).waitFor();

    // An adviser has no review queue.
    const adviser = await newPage();
    await signIn(adviser, "ros_adviser", ROS, "/console/review");
    await adviser.locator('#refused[data-status="403"]').waitFor();
    assert.match(await adviser.textContent("#refused"), /Reviewing is for IKNL staff/);
  });

  test("an adviser of another ROS gets a clear 'not allowed' page, a hidden draft a 'not found' one", async () => {
    const published = (await staffApi("/v1/networks?per_page=100")).body.items.find((n) => n.ros_org === ROS);
    const draft = await staffApi("/v1/networks", { method: "POST", json: { name: "[TEST] Verborgen concept", type: "oncology_care_network", scale: "local", ros_org: ROS } });
    const page = await newPage();
    await signIn(page, "ros_adviser", "andere-ros");
    await page.goto(`${API}/console/networks/${published.id}?lang=en`);
    await page.locator('#refused[data-status="403"]').waitFor();
    assert.equal(await page.textContent("#title"), "Not allowed");
    assert.match(await page.textContent("#refused"), /You may not edit this network/);
    await axe(page, "the not-allowed page");
    await shot(page, "console-not-allowed.png");
    await page.goto(`${API}/console/networks/${draft.body.id}?lang=en`);
    await page.locator('#refused[data-status="404"]').waitFor();
    assert.equal(await page.textContent("#title"), "Not found");
  });

  test("a session that ends while typing: sign in again and the form is back as it was", async () => {
    const page = await newPage();
    await signIn(page, "ros_adviser", ROS, "/console/networks/new");
    await page.locator("#network-form").waitFor();
    await page.getByLabel("Name", { exact: true }).fill("[TEST] Na het opnieuw inloggen");
    await page.getByRole("checkbox", { name: "Dietetics", exact: true }).check();
    await page.context().clearCookies(); // the session expires
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL(/\/console\/sign-in\?lang=en&next=%2Fconsole%2Fnetworks%2Fnew/);
    await page.selectOption("#role", "ros_adviser");
    await page.fill("#org", ROS);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/console\/networks\/new/);
    await page.locator("#network-form").waitFor();
    assert.equal(await page.inputValue("#f-name"), "[TEST] Na het opnieuw inloggen");
    assert.equal(await page.isChecked("#f-disciplines-dietetics"), true);
    await page.getByText("Your unsaved changes from before signing in again have been restored.").waitFor();
  });

  test("staff filters all networks as the API does and downloads exactly them as CSV, formulas neutralised", async () => {
    const formula = await staffApi("/v1/networks", { method: "POST", json: { name: "=1+1 [TEST] formule", type: "oncology_care_network", scale: "local", ros_org: ROS } });
    assert.equal(formula.status, 201, JSON.stringify(formula.body));
    const page = await newPage();
    await signIn(page, "iknl_staff", null, "/console/");
    await page.locator("#filters").waitFor();
    assert.equal(await page.textContent("#title"), "All networks");
    await page.getByLabel("Type").selectOption("oncology_care_network");
    await page.getByLabel("State").selectOption("draft");
    await page.getByRole("button", { name: "Filter", exact: true }).click();
    await page.waitForURL(/type=oncology_care_network/);
    await page.locator("#networks tbody tr").first().waitFor();
    const api = (await staffApi("/v1/networks?type=oncology_care_network&state=draft&per_page=100")).body;
    assert.deepEqual(await page.locator("#networks tbody th").allTextContents(), api.items.map((n) => n.name));
    assert.equal(await page.getByLabel("State").inputValue(), "draft", "the form shows the filter in use");
    await axe(page, "all networks, filtered");
    await shot(page, "console-all-networks.png");

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
    const csv = fs.readFileSync(await download.path(), "utf8").replace(/^\ufeff/, "");
    const lines = csv.trim().split("\r\n");
    assert.equal(lines[0].split(",")[1], '"name"');
    assert.equal(lines.length - 1, api.page.total_items, "one row per network that matches");
    assert.ok(lines.some((l) => l.includes(`"'=1+1 [TEST] formule"`)), "a leading = is neutralised");
    assert.ok(!lines.some((l) => l.includes(',"=1+1')), "no cell starts with =");
  });

  test("the console's own JS and CSS stay under 150 kB compressed", async () => {
    await assetBudget("/js/form.js");
  });

  test("no console page asked another origin for anything, and none threw", () => {
    noForeignRequests();
  });
});

/** The console's own JS and CSS the pages so far loaded (`must` among them): under 150 kB gzip. */
async function assetBudget(must) {
  const origin = new URL(API).origin;
  const files = [...new Set(requests.filter((u) => u.startsWith(`${origin}/console/static/`)).map((u) => u.split("?")[0]))].sort();
  assert.ok(files.some((f) => f.endsWith(must)), files.join(" "));
  let raw = 0;
  let gzipped = 0;
  for (const file of files) {
    const body = Buffer.from(await (await fetch(file)).arrayBuffer());
    raw += body.length;
    gzipped += zlib.gzipSync(body, { level: 9 }).length;
  }
  console.log(`console assets: ${files.length} files, ${(raw / 1024).toFixed(1)} kB, ${(gzipped / 1024).toFixed(1)} kB gzip -9 (budget 150 kB)`);
  assert.ok(gzipped < 150 * 1024, `${gzipped} bytes compressed`);
}

/** No page asked another origin for anything, and none threw. */
function noForeignRequests() {
  const origin = new URL(API).origin;
  // blob: URLs of this origin are the downloads the page makes itself.
  const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith("data:") && !u.startsWith(`blob:${origin}/`));
  assert.deepEqual(foreign, []);
  assert.ok(requests.length > 5, `the pages made requests (${requests.length})`);
  assert.deepEqual(pageErrors, []);
}

describe("the coverage dashboard in headless Chromium", { concurrency: false }, () => {
  const DISCIPLINE = "physiotherapy";
  const filter = `type=oncology_care_network&discipline=${DISCIPLINE}`;
  const covered = async (extra = "") => (await staffApi(`/v1/coverage?${filter}${extra}`)).body.summary.covered_population;

  test("staff sees coverage, a new network raises it by what the API says, what-if restores it; fast, accessible, keyboard", async () => {
    assert.equal((await staffApi("/v1/coverage/snapshots", { method: "POST" })).status, 201);
    const page = await newPage();
    await signIn(page, "iknl_staff", null, "/console/coverage");
    const first = await dashboardReady(page);
    assert.equal(await page.textContent("#title"), "Coverage by region");
    assert.equal(await page.locator("#gaps tbody tr").count(), 342);
    assert.equal(await page.evaluate(() => Object.keys(document.getElementById("coverage-map").leafletMap._layers).length > 342), true, "every region is drawn");

    // Speed: a fresh browser (no cache) on a warm server; the first visit above warmed it.
    const fresh = await newPage();
    await fresh.context().addCookies(await page.context().cookies());
    await fresh.goto(`${API}/console/coverage?lang=en`);
    const warm = await dashboardReady(fresh);
    await fresh.close();

    // The discipline, chosen with the keyboard: the select, then the option.
    await page.focus("#d-discipline");
    const before = await page.evaluate(() => performance.now());
    await page.selectOption("#d-discipline", DISCIPLINE);
    const switched = await dashboardReady(page, first.generation);
    const switchMs = switched.readyAt - before;
    console.log(`dashboard interactive in ${first.readyAt} ms (first visit), ${warm.readyAt} ms (fresh browser, warm server); discipline switch ${Math.round(switchMs)} ms (change to redraw in the page ${switched.redrawMs} ms)`);
    const baseline = await covered();
    assert.equal(switched.covered, baseline, "the dashboard shows what the API says");
    assert.match(await page.textContent("#covered-population"), /^[\d,]+$/);

    // The most populous municipality without physiotherapy coverage gets a network.
    const report = (await staffApi(`/v1/coverage?${filter}`)).body;
    const gap = report.regions.filter((r) => r.coverage === 0 && r.population).sort((a, b) => b.population - a.population)[0];
    assert.ok(gap, "there is an uncovered municipality");
    let made = await staffApi("/v1/networks", {
      method: "POST",
      json: { name: "[TEST] Dekking fysiotherapie", type: "oncology_care_network", scale: "local", lifecycle: "active", ros_org: ROS, disciplines: [DISCIPLINE], service_area: { municipalities: [gap.code] } },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const id = made.body.id;
    for (const to of ["submitted", "published"]) {
      made = await staffApi(`/v1/networks/${id}/transitions`, { method: "POST", json: { to }, headers: { "If-Match": made.etag } });
      assert.equal(made.status, 200, JSON.stringify(made.body));
    }
    const after = await covered();
    assert.ok(after > baseline, `${after} > ${baseline}`);

    await page.reload();
    const raised = await dashboardReady(page);
    assert.equal(await page.inputValue("#d-discipline"), DISCIPLINE, "the choice is kept in the address");
    assert.equal(raised.covered - baseline, after - baseline, "the rise is what the API says");
    assert.equal(raised.covered, after);

    // The region on the map lists the new network (a click on its interior point).
    const place = (await staffApi(`/v1/regions/municipality/${gap.code}`)).body.interior_point;
    // Into view first: the point is where the map is on the screen after scrolling.
    await page.locator("#coverage-map").scrollIntoViewIfNeeded();
    const point = await page.evaluate(([lon, lat]) => {
      const map = document.getElementById("coverage-map").leafletMap;
      const p = map.latLngToContainerPoint([lat, lon]);
      const box = map.getContainer().getBoundingClientRect();
      return { x: box.left + p.x, y: box.top + p.y };
    }, place);
    await page.mouse.click(point.x, point.y);
    await page.locator(`#region-title[data-code="${gap.code}"]`).waitFor();
    const link = page.locator(`#region-networks li[data-id="${id}"] a`);
    assert.equal(await link.textContent(), "[TEST] Dekking fysiotherapie");
    assert.equal(await link.getAttribute("href"), `/console/networks/${id}?lang=en`);
    const listed = (await staffApi(`/v1/coverage/regions/${gap.code}?${filter}`)).body.networks.map((n) => n.id);
    assert.deepEqual(await page.locator("#region-networks li").evaluateAll((li) => li.map((l) => l.dataset.id)), listed);

    // What-if with the keyboard: the network's switch, Space; the figure is back where it was.
    const toggle = page.locator(`#wi-${id}`);
    await toggle.focus();
    await page.keyboard.press("Space");
    const excluded = await dashboardReady(page, raised.generation);
    assert.equal(excluded.covered, baseline, "excluding it restores the earlier figure");
    assert.equal(excluded.covered, await covered(`&exclude=${id}`));
    assert.equal(Number(await page.getAttribute("#what-if-delta", "data-delta")), baseline - after);
    assert.match(await page.textContent("#what-if-delta"), /^Change in covered population: −[\d,]+ \(−[\d.]+ % of the population\)/);

    // Downloads are exactly what is shown (what-if included).
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "CSV" }).click()]);
    const csv = fs.readFileSync(await download.path(), "utf8");
    const expected = await (await fetch(`${API}/v1/coverage?layer=municipality&${filter}&exclude=${id}&format=csv`, { headers: { Authorization: `Bearer ${STAFF_TOKEN}` } })).text();
    assert.equal(csv, expected);
    assert.equal(csv.trim().split("\n").length, 343);
    for (const [name, start] of [["GeoJSON", "{"], ["SVG", "<svg"]]) {
      const [file] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name, exact: true }).click()]);
      assert.ok(fs.readFileSync(await file.path(), "utf8").trimStart().startsWith(start), name);
    }

    // A row of the gaps table, with the keyboard: Enter lists the region and moves focus there.
    const row = page.locator("#gaps tbody tr").first().locator("button");
    const code = await page.locator("#gaps tbody tr").first().getAttribute("data-code");
    await row.focus();
    await page.keyboard.press("Enter");
    await page.locator(`#region-title[data-code="${code}"]`).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), "region-title");

    // The trend, drawn by uPlot from the snapshots (under the page's CSP).
    await page.locator("#trend-chart canvas").waitFor();
    assert.match(await page.textContent("#trend-summary"), /snapshots? from/);
    await axe(page, "the coverage dashboard");
    const file = await shot(page, "console-coverage.png");
    assert.ok(fs.statSync(file).size > 20_000, file);

    // Province and PC4 layers draw too.
    const g = (await dashboardReady(page, 0)).generation;
    await page.selectOption("#d-layer", "province");
    await dashboardReady(page, g);
    assert.equal(await page.locator("#gaps tbody tr").count(), 12);

    // A ROS adviser gets the "not allowed" page.
    const adviser = await newPage();
    await signIn(adviser, "ros_adviser", ROS, "/console/coverage");
    await adviser.locator('#refused[data-status="403"]').waitFor();
    assert.match(await adviser.textContent("#refused"), /for IKNL staff/);
  });

  test("unmet demand as a layer: searches without result colour the map, lead the gaps table and the SVG", async () => {
    // Seven searches for a place no physiotherapy network covers (anonymous, as the widget).
    const report = (await staffApi(`/v1/coverage?${filter}`)).body;
    const gap = report.regions.filter((r) => r.coverage === 0 && r.population).sort((a, b) => b.population - a.population)[0];
    for (let i = 0; i < 7; i++) {
      const r = await fetch(`${API}/v1/search?municipality=${gap.code}&discipline=${DISCIPLINE}`);
      assert.equal(r.status, 200);
    }
    let counted;
    for (let i = 0; i < 100; i++) {
      counted = (await staffApi(`/v1/coverage?${filter}`)).body.regions.find((r) => r.code === gap.code);
      if (counted.searches_without_result >= 7) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(counted.searches_without_result >= 7, JSON.stringify(counted));
    const page = await newPage();
    await signIn(page, "iknl_staff", null, "/console/coverage");
    await page.goto(`${API}/console/coverage?lang=en&discipline=${DISCIPLINE}`);
    const shown = await dashboardReady(page);
    assert.equal(await page.getAttribute("#legend", "data-show"), "coverage");
    await page.selectOption("#d-show", "unmet_demand");
    await page.locator('#legend[data-show="unmet_demand"]').waitFor();
    assert.match(await page.textContent("#gaps-title"), /most searches without result first/);
    const first = page.locator("#gaps tbody tr").first();
    assert.equal(await first.getAttribute("data-code"), gap.code, "the most searched gap leads");
    assert.equal(await first.locator("td").last().textContent(), String(counted.searches_without_result));
    assert.match(await page.textContent("#searches-without-result"), /^[\d,]+$/);
    assert.ok(page.url().includes("show=unmet_demand"), "kept in the address");
    // The region's colour on the map is the darkest class (it has the most), the others grey or lighter.
    const fills = await page.evaluate((code) => {
      const map = document.getElementById("coverage-map").leafletMap;
      const out = {};
      map.eachLayer((l) => { if (l.feature) out[l.feature.properties.code] = l.options.fillColor; });
      return [out[code], new Set(Object.values(out)).size];
    }, gap.code);
    assert.equal(fills[0], "#bd0026");
    // The SVG download is the demand map too.
    const [svg] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "SVG", exact: true }).click()]);
    const text = fs.readFileSync(await svg.path(), "utf8");
    assert.ok(text.includes("Unmet demand") && text.includes("Gaps most searched in"), text.slice(0, 400));
    await axe(page, "the coverage dashboard showing unmet demand");
    await shot(page, "console-coverage-demand.png");
    // PC4 has no demand figures: the choice falls back to coverage and is not offered.
    await page.selectOption("#d-layer", "pc4");
    await dashboardReady(page, shown.generation);
    assert.equal(await page.inputValue("#d-show"), "coverage");
    assert.equal(await page.locator('#d-show option[value="unmet_demand"]').isDisabled(), true);
  });

  test("the dashboard's JS and CSS are in the budget too, and it asked no other origin", async () => {
    await assetBudget("/js/dashboard.js");
    noForeignRequests();
  });
});
