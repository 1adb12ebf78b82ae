// The console signed in through a real OpenID provider (tests/oidc/provider.mjs, Node's
// oidc-provider), on a server of its own started in OpenID Connect mode:
//
//   ONCONET_OIDC_URL=http://127.0.0.1:8081 ONCONET_OIDC_ISSUER=http://127.0.0.1:9555 \
//     node --test console-oidc.test.mjs
//
// An adviser signs in at the provider, creates a network by clicking two municipalities and
// drawing a circle, sees the km² and the LOPPSOZ list, saves and submits; staff signs in at the
// provider, finds it in the review queue and publishes it; the dashboard's covered population
// for its discipline rises by what the API says, and switching it off in what-if restores the
// earlier figure; the public widget finds it for a postcode inside the area. axe-core on every console page; no console page asks another
// origin for anything (the provider's own pages are its business).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { launchChromium } from "./chromium.mjs";
import { ARTIFACTS, axe, dashboardReady, drawGroningenAssenAndCircle, previewSettled, shot } from "./console-kit.mjs";

const API = (process.env.ONCONET_OIDC_URL || "").replace(/\/+$/, "");
const ISSUER = (process.env.ONCONET_OIDC_ISSUER || "").replace(/\/+$/, "");
const TIMEOUT = 20_000;
const ROS = "demo-ros";

let browser;
/** Requests made by console pages (their frame is on the API's origin), navigations aside:
 *  going to the provider to sign in is the user's step, not the page fetching something. */
const consoleRequests = [];
const pageErrors = [];

/** A person's own browser (cookies of their own). Nothing may leave the machine. */
async function newPerson() {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1, bypassCSP: true });
  // The provider's development login page asks Google for a font: not here.
  await context.route((url) => url.hostname !== "127.0.0.1", (route) => route.abort());
  context.on("request", (request) => {
    const frame = request.frame()?.url() || "";
    if (!request.isNavigationRequest() && frame.startsWith(`${API}/`)) consoleRequests.push(`${frame} → ${request.url()}`);
  });
  const page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  page.setDefaultTimeout(TIMEOUT);
  return page;
}

/**
 * Opens a console page signed out: the console sends the user to its sign-in page, "Sign in"
 * leads to the provider, whose login (`role@org`, any password) and consent pages send the
 * browser back to the page it asked for.
 */
async function signInAtProvider(page, login, next) {
  await page.goto(`${API}${next}?lang=en`);
  await page.waitForURL((url) => url.pathname === "/console/sign-in");
  await axe(page, "the sign-in page (OpenID Connect)");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.href.startsWith(`${ISSUER}/`));
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', "any password");
  await page.locator('button[type="submit"]').click();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL((url) => url.origin === API && url.pathname === next);
  await page.locator("#who").filter({ hasText: /\S/ }).waitFor();
}

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
});

describe("the console signed in through an OpenID provider", { concurrency: false, skip: !API || !ISSUER ? "ONCONET_OIDC_URL and ONCONET_OIDC_ISSUER are not set" : false }, () => {
  let id;
  let name;

  test("an adviser signs in at the provider, creates a network by two clicked municipalities and a drawn circle, sees km² and LOPPSOZ, saves and submits", async () => {
    const page = await newPerson();
    await signInAtProvider(page, `ros_adviser@${ROS}`, "/console/networks/new");
    assert.equal(await page.textContent("#who"), `ROS adviser · ${ROS}`);
    await page.waitForFunction(() => document.getElementById("area-map")?.leafletMap);
    name = `[TEST] Oncologiezorgnetwerk via OpenID ${Date.now()}`;
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByLabel("Lifecycle").selectOption("active");
    for (const d of ["Physiotherapy", "Dietetics", "Psychology", "Occupational therapy", "Podiatry"]) {
      await page.getByRole("checkbox", { name: d, exact: true }).check();
    }
    await drawGroningenAssenAndCircle(page);
    await previewSettled(page);
    await page.locator('li.criterion.met[data-key="disciplines"]').waitFor();
    const km2 = Number(await page.getAttribute("#area-summary", "data-km2"));
    assert.ok(km2 > 281.2, `${km2} km²: Groningen and Assen (CBS 197.8 + 83.5) and the circle`);
    assert.match(await page.textContent("#area-summary"), /km², about [\d,]+ people, in \d+ municipalities/);
    assert.ok((await page.locator("#loppsoz li.criterion").count()) >= 10, "the ten LOPPSOZ criteria are listed");
    await axe(page, "the new network's form (OpenID Connect session)");
    await shot(page, "console-oidc-form.png");

    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Created as a draft.").waitFor();
    id = new URL(page.url()).pathname.split("/").pop();
    await page.getByRole("button", { name: "Submit for review" }).click();
    await page.getByText("Submitted for review.").waitFor();
    const saved = await (await page.request.get(`${API}/v1/networks/${id}`)).json();
    assert.equal(saved.state, "submitted");
    assert.deepEqual(saved.service_area.municipalities, ["GM0014", "GM0106"]);
    assert.equal(saved.service_area.circles.length, 1);
  });

  test("staff signs in at the provider and publishes it from the review queue; the dashboard rises by what the API says and what-if restores it; the widget finds it", async () => {
    assert.ok(id, "the adviser's network");
    const page = await newPerson();
    await signInAtProvider(page, "iknl_staff", "/console/review");
    assert.equal(await page.textContent("#who"), "IKNL staff");
    // The dashboard before: covered population for physiotherapy, as the API says.
    const filter = "layer=municipality&type=oncology_care_network&discipline=physiotherapy";
    const covered = async (extra = "") => (await (await page.request.get(`${API}/v1/coverage?${filter}${extra}`)).json()).summary.covered_population;
    const dashboard = await newPerson();
    await dashboard.context().addCookies(await page.context().cookies());
    await dashboard.goto(`${API}/console/coverage?lang=en&discipline=physiotherapy`);
    const before = await dashboardReady(dashboard);
    assert.equal(before.covered, await covered());

    await page.goto(`${API}/console/review?lang=en`);
    const item = page.locator(`li[data-id="${id}"]`);
    await item.getByRole("button", { name: `Review: ${name}` }).click();
    await item.getByRole("heading", { name: "Never published: everything is new" }).waitFor();
    await axe(page, "the review queue (OpenID Connect session)");
    await item.getByRole("button", { name: "Publish" }).click();
    await page.getByText(`${name} has been published.`).waitFor();
    await shot(page, "console-oidc-review.png");
    const published = await (await page.request.get(`${API}/v1/networks/${id}`)).json();
    assert.equal(published.state, "published");

    // The dashboard after: the covered population rose by what the API says, and switching the
    // network off (what-if) restores the earlier figure.
    const after = await covered();
    assert.ok(after > before.covered, `${after} > ${before.covered}`);
    await dashboard.reload();
    const raised = await dashboardReady(dashboard);
    assert.equal(raised.covered - before.covered, after - before.covered);
    await dashboard.locator(`#wi-${id}`).uncheck();
    const excluded = await dashboardReady(dashboard, raised.generation);
    assert.equal(excluded.covered, before.covered, "excluding it restores the earlier figure");
    assert.equal(excluded.covered, await covered(`&exclude=${id}`));
    await axe(dashboard, "the coverage dashboard (OpenID Connect session)");
    await shot(dashboard, "console-oidc-coverage.png");

    // Anyone's widget: 9711 is in the centre of Groningen.
    const widget = await newPerson();
    await widget.goto(`${API}/widget/demo`);
    const finder = widget.locator("onconet-finder").first();
    await finder.getByLabel("Postcode").fill("9711");
    await finder.getByLabel("Postcode").press("Enter");
    await finder.locator("[part~=result]", { hasText: name }).waitFor();

    // Signing out ends the session: the console asks to sign in again.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/console/sign-in");
    assert.equal((await page.request.get(`${API}/v1/me`)).status(), 401);
  });

  test("no console page asked another origin for anything, and none threw", () => {
    const foreign = consoleRequests.filter((r) => !r.split(" → ")[1].startsWith(`${API}/`));
    assert.deepEqual(foreign, []);
    assert.deepEqual(pageErrors.filter((e) => e.startsWith(API)), []);
  });
});
