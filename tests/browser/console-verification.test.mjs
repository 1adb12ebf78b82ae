// The console's financing toolbox and re-verification in a real browser (Debian's headless
// Chromium driven by playwright-core), against a running `onconet serve --demo` in development
// mode (started by scripts/browser-test.sh):
//
//   ONCONET_URL=http://127.0.0.1:8080 ONCONET_STAFF_TOKEN=$(onconet token --role iknl_staff) \
//     ONCONET_DATA_DIR=<the server's data dir> node --test console-verification.test.mjs
//
// An adviser of the demo ROS sees, under each financing entry of a network, the toolbox items
// for its form (as `GET /v1/toolbox` lists them, in the console's language); and finds a
// network whose verification ran out (aged in the database) under "Verificatie nodig",
// confirms it with "Nog actueel" and a note, IKNL confirms that in the review queue, and it
// leaves that list. An adviser's change to a published network is a proposal IKNL accepts. axe-core checks every
// page; no request leaves the server's origin. Screenshots go to <repository>/artifacts/.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
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

/**
 * Makes the last verification of network `id` `months` older, in the server's embedded
 * PostgreSQL (its data dir: ONCONET_DATA_DIR), as a year passing would.
 */
function ageVerification(id, months) {
  const dir = process.env.ONCONET_DATA_DIR;
  assert.ok(dir, "ONCONET_DATA_DIR: the data dir of the server under test");
  execFileSync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", `id=${id}`, "-v", `months=${months}`, "-h", `${dir}/run`, "-p", "5432", "-U", "onconet", "-d", "onconet"], {
    input: "UPDATE networks SET last_verified_at = now() - make_interval(months => :months) WHERE id = :'id';\n",
    stdio: ["pipe", "pipe", "inherit"],
  });
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

  test("an adviser sees an aged network in the due list, confirms it is still correct, and it leaves the list", async () => {
    // A published network of the demo ROS whose verification is 13 months old (the database
    // is aged directly: nothing in the API makes a verification older).
    let made = await staffApi("/v1/networks", {
      method: "POST",
      json: { name: "[TEST] Verificatie verlopen", type: "oncology_care_network", scale: "local", lifecycle: "active", ros_org: ROS, website: "https://verlopen.example.nl", service_area: { municipalities: ["GM0014"] } },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const id = made.body.id;
    for (const to of ["submitted", "published"]) {
      made = await staffApi(`/v1/networks/${id}/transitions`, { method: "POST", json: { to }, headers: { "If-Match": made.etag } });
      assert.equal(made.status, 200, JSON.stringify(made.body));
    }
    ageVerification(id, 13);
    const due = (await staffApi("/v1/networks?verification_overdue=true&state=draft,submitted,published,archived&per_page=100")).body.items;
    const ours = due.filter((n) => n.ros_org === ROS).map((n) => n.name);
    assert.ok(ours.includes("[TEST] Verificatie verlopen"), ours.join(", "));

    const page = await newPage();
    await signIn(page, "ros_adviser", ROS, "/console/", "nl");
    await page.locator("#filters").waitFor();
    await page.getByLabel("Verificatie nodig").check();
    await page.getByRole("button", { name: "Filteren", exact: true }).click();
    await page.waitForURL(/verification_overdue=true/);
    await page.locator("#networks tbody tr").first().waitFor();
    assert.deepEqual(await page.locator("#networks tbody th").allTextContents(), ours, "the ROS's due networks, as the API lists them");
    for (const cell of await page.locator("#networks tbody td:last-child").allTextContents()) assert.match(cell, /verificatie verlopen/);
    assert.equal(await page.isChecked("#filter-verification-overdue"), true, "the form shows the filter in use");
    await axe(page, "the due list (nl)");
    await shot(page, "console-verification-due-nl.png");
    await page.locator("#filters").screenshot({ path: `${ARTIFACTS}/console-verification-filter-nl.png` });

    // The network's page: when it was verified, and "Nog actueel" with a note.
    await page.getByRole("link", { name: "[TEST] Verificatie verlopen" }).click();
    await page.locator("#verify").waitFor();
    assert.equal(await page.getAttribute("#last-verified", "data-overdue"), "true");
    assert.match(await page.textContent("#last-verified"), /^Laatst geverifieerd: .+ \(verificatie verlopen\)$/);
    await previewSettled(page);
    assert.equal(await page.getAttribute('li.criterion[data-key="website"]', "class"), "criterion missing", "criterion 7 is not met while the verification has run out");
    await axe(page, "a network whose verification is due (nl)");
    await shot(page, "console-verify-due-nl.png");
    await page.locator("#verify").screenshot({ path: `${ARTIFACTS}/console-verify-section-due-nl.png` });
    await page.getByLabel("Hoe gecontroleerd (optioneel)").fill("Telefonisch gecontroleerd met de coördinator.");
    await page.getByRole("button", { name: "Nog actueel" }).click();
    // An adviser's "still correct" waits for IKNL: the network stays overdue until then.
    await page.getByText(/^Doorgestuurd naar IKNL/).waitFor();
    assert.equal(await page.getAttribute("#proposal", "data-kind"), "verification");
    assert.match(await page.textContent("#proposal"), /wacht op bevestiging door IKNL/);
    assert.equal((await staffApi(`/v1/networks/${id}`)).body.verification_overdue, true);
    await axe(page, "a verification waiting for IKNL (nl)");
    await page.locator("#proposal").screenshot({ path: `${ARTIFACTS}/console-verification-proposed-nl.png` });

    // IKNL confirms it in the review queue.
    const staff = await newPage();
    await signIn(staff, "iknl_staff", null, "/console/review", "nl");
    const queued = staff.locator(`#proposal-queue li[data-kind="verification"]`).filter({ hasText: "[TEST] Verificatie verlopen" });
    await queued.waitFor();
    assert.match(await queued.textContent(), /Toelichting: Telefonisch gecontroleerd met de coördinator\./);
    await axe(staff, "the review queue with a verification (nl)");
    await shot(staff, "console-review-proposals-nl.png");
    await queued.getByRole("button", { name: "Accepteren" }).click();
    await staff.getByText(/is geaccepteerd en gepubliceerd\.$/).waitFor();
    await staff.close();

    await page.reload();
    await page.locator("#verify").waitFor();
    assert.equal(await page.locator("#proposal").count(), 0, "nothing waits any more");
    assert.equal(await page.getAttribute("#last-verified", "data-overdue"), "false");
    const today = new Date().toLocaleString("nl-NL", { year: "numeric", month: "long", day: "numeric" });
    assert.equal(await page.textContent("#last-verified"), `Laatst geverifieerd: ${today}`);
    await page.locator('li.criterion.met[data-key="website"]').waitFor();
    const verified = (await staffApi(`/v1/networks/${id}`)).body;
    assert.equal(verified.verification_overdue, false);
    assert.ok(Date.now() - Date.parse(verified.last_verified_at) < 120_000, verified.last_verified_at);
    assert.equal(verified.state, "published");
    const last = (await staffApi(`/v1/networks/${id}/history`)).body.items.at(-1);
    assert.equal(last.action, "verified");
    assert.deepEqual(last.changes.filter((c) => c.field === "reason").map((c) => c.new), ["Telefonisch gecontroleerd met de coördinator."]);
    assert.equal(last.changes.find((c) => c.field === "proposal")?.new.kind, "verification");
    await axe(page, "a network just verified (nl)");
    await shot(page, "console-verified-nl.png");
    await page.locator("#verify").screenshot({ path: `${ARTIFACTS}/console-verify-section-verified-nl.png` });

    // It has left the due list.
    await page.goto(`${API}/console/?verification_overdue=true&lang=nl`);
    await page.locator("#filters").waitFor();
    await page.waitForFunction(() => document.getElementById("status")?.textContent.match(/^\d+ netwerken$/));
    assert.ok(!(await page.locator("#networks tbody th").allTextContents()).includes("[TEST] Verificatie verlopen"));
    const left = (await staffApi("/v1/networks?verification_overdue=true&per_page=100")).body.items.filter((n) => n.ros_org === ROS);
    if (left.length === 0) assert.equal(await page.textContent("p.empty"), "Er zijn geen netwerken waarvan de verificatie verlopen is.");
    await axe(page, "the due list, emptied (nl)");
    await shot(page, "console-verification-due-after-nl.png");

    // In English: the filter and the action in English words.
    await page.goto(`${API}/console/networks/${id}?lang=en`);
    await page.locator("#verify").waitFor();
    await page.getByRole("button", { name: "Still correct" }).waitFor();
    assert.match(await page.textContent("#last-verified"), /^Last verified: /);
    await previewSettled(page);
    await axe(page, "a network's re-verification (en)");
    await page.locator("#verify").screenshot({ path: `${ARTIFACTS}/console-verify-section-en.png` });
    await page.goto(`${API}/console/?lang=en`);
    await page.getByLabel("Verification due").waitFor();
  });

  test("an adviser's change to a published network waits for IKNL, who sees what changes and accepts it", async () => {
    let made = await staffApi("/v1/networks", {
      method: "POST",
      json: { name: "[TEST] Voorstel gepubliceerd", type: "oncology_care_network", scale: "local", lifecycle: "active", ros_org: ROS, website: "https://voorstel.example.nl", service_area: { municipalities: ["GM0014"] } },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const id = made.body.id;
    for (const to of ["submitted", "published"]) {
      made = await staffApi(`/v1/networks/${id}/transitions`, { method: "POST", json: { to }, headers: { "If-Match": made.etag } });
      assert.equal(made.status, 200, JSON.stringify(made.body));
    }
    const page = await newPage();
    await signIn(page, "ros_adviser", ROS, `/console/networks/${id}`, "en");
    await page.locator("#network-form").waitFor();
    await page.getByLabel("Name", { exact: true }).fill("[TEST] Voorstel gepubliceerd, nieuwe naam");
    await previewSettled(page);
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText(/^Proposed: IKNL reviews your change/).waitFor();
    assert.equal(await page.getAttribute("#proposal", "data-mine"), "true");
    assert.match(await page.textContent("#proposal"), /Your proposed change \(1 field/);
    assert.equal((await staffApi(`/v1/networks/${id}`)).body.name, "[TEST] Voorstel gepubliceerd", "the published profile stays as it is");
    // Reopened, the form shows the proposal, and "Withdraw proposal" is there.
    await page.reload();
    await page.locator("#proposal").waitFor();
    assert.equal(await page.inputValue("#f-name"), "[TEST] Voorstel gepubliceerd, nieuwe naam");
    await page.getByRole("button", { name: "Withdraw proposal" }).waitFor();
    await previewSettled(page);
    await axe(page, "a network with the adviser's pending proposal (en)");
    await shot(page, "console-proposal-pending-en.png");

    const staff = await newPage();
    await signIn(staff, "iknl_staff", null, "/console/review", "en");
    const queued = staff.locator(`#proposal-queue li[data-kind="change"]`).filter({ hasText: "[TEST] Voorstel gepubliceerd" });
    await queued.waitFor();
    assert.equal(await queued.locator('tr[data-field="name"] td.old').textContent(), "[TEST] Voorstel gepubliceerd");
    assert.equal(await queued.locator('tr[data-field="name"] td.new').textContent(), "[TEST] Voorstel gepubliceerd, nieuwe naam");
    // Rejecting needs a reason; accepting does not.
    await queued.getByRole("button", { name: "Reject" }).click();
    assert.equal(await queued.locator("textarea").getAttribute("aria-invalid"), "true");
    await axe(staff, "the review queue with a proposed change (en)");
    await queued.screenshot({ path: `${ARTIFACTS}/console-review-proposal-en.png` });
    await queued.getByRole("button", { name: "Accept" }).click();
    await staff.getByText(/has been accepted and published\.$/).waitFor();
    await staff.close();
    const now = (await staffApi(`/v1/networks/${id}`)).body;
    assert.equal(now.name, "[TEST] Voorstel gepubliceerd, nieuwe naam");
    assert.equal(now.state, "published");
    await page.reload();
    await page.locator("#network-form").waitFor();
    assert.equal(await page.locator("#proposal").count(), 0);
  });

  test("no page asked another origin for anything, and none threw", () => {
    const origin = new URL(API).origin;
    const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith("data:"));
    assert.deepEqual(foreign, []);
    assert.deepEqual(pageErrors, []);
  });
});
