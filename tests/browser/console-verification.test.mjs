// The console's financing toolbox and re-verification in a real browser (Debian's headless
// Chromium driven by playwright-core), against a running `onconet serve --demo` in development
// mode (started by scripts/browser-test.sh):
//
//   ONCONET_URL=http://127.0.0.1:8080 ONCONET_STAFF_TOKEN=$(onconet token --role iknl_staff) \
//     ONCONET_DATA_DIR=<the server's data dir> node --test console-verification.test.mjs
//
// An adviser of the demo ROS sees, under each financing entry of a network, the toolbox items
// for its form (as `GET /v1/toolbox` lists them, in the console's language). axe-core checks
// every page; no request leaves the server's origin. Screenshots go to <repository>/artifacts/.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { launchChromium } from "./chromium.mjs";
import { ARTIFACTS, axe, previewSettled, shot } from "./console-kit.mjs";

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

async function signIn(page, role, org, next, lang) {
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

/** The toolbox items the console should list for `form`, in `lang`. */
async function toolbox(form, lang) {
  const r = await fetch(`${API}/v1/toolbox?financing_form=${form}&per_page=5`, { headers: { "Accept-Language": lang } });
  assert.equal(r.status, 200);
  return (await r.json()).items;
}

/** What the console lists under financing entry `i`: `[{title, href, summary}]`. */
async function listed(page, i) {
  const box = page.locator(`[data-field="/financing/${i}"] section.toolbox`);
  await box.locator("li, p.hint:not(:has-text('…'))").first().waitFor();
  await page.waitForFunction((n) => !document.querySelector(`[data-field="/financing/${n}"] section.toolbox`)?.hasAttribute("aria-busy"), i);
  return box.locator("li").evaluateAll((items) =>
    items.map((li) => ({
      title: (li.querySelector("a, strong").firstChild?.textContent || "").trim(),
      href: li.querySelector("a")?.getAttribute("href") || null,
      summary: li.querySelector(".toolbox-summary").textContent,
    })),
  );
}

const expected = (items, lang) => items.map((item) => ({ title: item.title[lang], href: item.url || null, summary: item.summary[lang] }));

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
});

describe("the financing toolbox and re-verification in the console", { concurrency: false }, () => {
  test("under each financing entry the adviser sees the toolbox items for its form, in their language; changing the form changes them; saving works", async () => {
    const created = await staffApi("/v1/networks", {
      method: "POST",
      json: {
        name: "[TEST] Toolbox bij financiering", type: "oncology_care_network", scale: "local", ros_org: ROS,
        financing: [{ form: "insurer_contract", funder: "Demo verzekeraar" }, { form: "membership_fee" }],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    assert.equal(created.body.financing[0].toolbox, "/v1/toolbox?financing_form=insurer_contract", "the API links each entry to the toolbox");

    const page = await newPage();
    await signIn(page, "ros_adviser", ROS, `/console/networks/${id}`, "nl");
    await page.locator("#network-form").waitFor();
    const insurer = await toolbox("insurer_contract", "nl");
    assert.ok(insurer.length > 0, "the demo toolbox has items on insurer contracts");
    assert.deepEqual(await listed(page, 0), expected(insurer, "nl"));
    assert.deepEqual(await listed(page, 1), expected(await toolbox("membership_fee", "nl"), "nl"));
    assert.match(await page.textContent('[data-field="/financing/0"] .toolbox-title'), /^Uit de toolbox over /);
    await previewSettled(page);
    await axe(page, "a network's financing with its toolbox items (nl)");
    await page.locator('[data-field="/financing/0"]').scrollIntoViewIfNeeded();
    await shot(page, "console-financing-toolbox-nl.png");
    await page.locator('[data-field="/financing/0"]').screenshot({ path: `${ARTIFACTS}/console-financing-toolbox-entry-nl.png` });

    // Another form: the list follows; the network saves (the registry's links are not sent back).
    await page.selectOption("#f-financing-0-form", "sponsorship");
    await page.locator('[data-field="/financing/0"] section.toolbox[data-form="sponsorship"]').waitFor();
    assert.deepEqual(await listed(page, 0), expected(await toolbox("sponsorship", "nl"), "nl"));
    await previewSettled(page);
    assert.equal(await page.locator('[data-error-for^="/financing"]:not(:empty)').count(), 0, "the preview took the document");
    await page.getByRole("button", { name: "Opslaan" }).click();
    await page.getByText("Opgeslagen.").waitFor();
    const saved = (await staffApi(`/v1/networks/${id}`)).body;
    assert.deepEqual(saved.financing.map((f) => [f.form, f.toolbox]), [
      ["sponsorship", "/v1/toolbox?financing_form=sponsorship"],
      ["membership_fee", "/v1/toolbox?financing_form=membership_fee"],
    ]);

    // In English, the same items in English.
    await page.goto(`${API}/console/networks/${id}?lang=en`);
    await page.locator("#network-form").waitFor();
    assert.deepEqual(await listed(page, 1), expected(await toolbox("membership_fee", "en"), "en"));
    assert.match(await page.textContent('[data-field="/financing/1"] .toolbox-title'), /^From the toolbox on /);
    await previewSettled(page);
    await axe(page, "a network's financing with its toolbox items (en)");
    await page.locator('[data-field="/financing/1"]').screenshot({ path: `${ARTIFACTS}/console-financing-toolbox-entry-en.png` });
  });

  test("no page asked another origin for anything, and none threw", () => {
    const origin = new URL(API).origin;
    const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith("data:"));
    assert.deepEqual(foreign, []);
    assert.deepEqual(pageErrors, []);
  });
});
