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
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const API = (process.env.ONCONET_URL || "http://127.0.0.1:8080").replace(/\/+$/, "");
const STAFF_TOKEN = process.env.ONCONET_STAFF_TOKEN || "";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = process.env.ARTIFACTS_DIR || path.resolve(HERE, "../../artifacts");
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

/** axe-core on the page as it is: the serious and critical violations (none allowed). */
async function axe(page, name) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } }),
  );
  const bad = result.violations.filter((v) => ["serious", "critical"].includes(v.impact));
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`),
    [],
    `axe-core on ${name}`,
  );
  return result;
}

async function shot(page, file) {
  const target = path.join(ARTIFACTS, file);
  await page.screenshot({ path: target, fullPage: true });
  return target;
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
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
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

  test("no console page asked another origin for anything, and none threw", () => {
    const origin = new URL(API).origin;
    const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith("data:"));
    assert.deepEqual(foreign, []);
    assert.ok(requests.length > 5, `the pages made requests (${requests.length})`);
    assert.deepEqual(pageErrors, []);
  });
});
