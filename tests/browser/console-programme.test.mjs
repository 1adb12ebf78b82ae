// The programme's fields in the console, in a real browser (Debian's headless Chromium driven
// by playwright-core), against a running `onconet serve --demo` in development mode (started by
// scripts/browser-test.sh):
//
//   ONCONET_URL=http://127.0.0.1:8080 ONCONET_STAFF_TOKEN=$(onconet token --role iknl_staff) \
//     node --test console-programme.test.mjs
//
// An adviser registers an expert panel with how to consult it, and a regional network with its
// founding date, meetings, joint MDO, a member's roles per tumour type, a partner outside the
// registry and a funder by UZOVI code; the API then holds exactly that. A turnaround of 0 days
// is shown at its field. axe-core checks each page; screenshots go to <repository>/artifacts/.

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
const pageErrors = [];

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1, bypassCSP: true });
  const page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  page.setDefaultTimeout(TIMEOUT);
  return page;
}

async function signIn(page, next) {
  await page.goto(`${API}/console/sign-in?lang=en&next=${encodeURIComponent(next)}`);
  await page.selectOption("#role", "ros_adviser");
  await page.fill("#org", ROS);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === next);
}

async function staffApi(path) {
  const r = await fetch(`${API}${path}`, { headers: { Authorization: `Bearer ${STAFF_TOKEN}`, Accept: "application/json" } });
  return r.json();
}

/** Saves the new network; returns its id from the address. */
async function saveNew(page) {
  await previewSettled(page);
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForURL(/\/console\/networks\/[0-9a-f-]{36}/);
  return page.url().match(/networks\/([0-9a-f-]{36})/)[1];
}

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
});

describe("the programme's fields in the console", { concurrency: false }, () => {
  test("an expert panel says how to consult it; a turnaround of 0 days is refused at its field", async () => {
    const page = await newPage();
    await signIn(page, "/console/networks/new");
    await page.locator("#network-form").waitFor();
    await page.getByLabel("Name", { exact: true }).fill("[TEST] Expertpanel sarcomen");
    await page.selectOption("#f-type", "expert_panel");
    await page.getByRole("checkbox", { name: "Sarcoma", exact: true }).check();
    await page.getByLabel("This expert panel can be consulted").check();
    await page.selectOption("#f-consultation-channel", "web_form");
    await page.getByLabel("Contact point").fill("Secretariaat expertpanel, 050 361 0000");
    await page.getByLabel("Expected turnaround (working days, 1–60)").fill("0");
    await page.getByLabel("Referral form (URL)").fill("https://panel.example.nl/verwijzen");
    await previewSettled(page);
    assert.match(await page.textContent('[data-error-for="/consultation/turnaround_days"]'), /between 1 and 60 working days/);
    await page.getByLabel("Expected turnaround (working days, 1–60)").fill("5");
    const id = await saveNew(page);
    const saved = await staffApi(`/v1/networks/${id}`);
    assert.deepEqual(saved.consultation, { channel: "web_form", contact_point: "Secretariaat expertpanel, 050 361 0000", turnaround_days: 5, referral_form_url: "https://panel.example.nl/verwijzen" });
    await page.locator("#programme").scrollIntoViewIfNeeded();
    await axe(page, "an expert panel's consultation (en)");
    await page.locator("#programme").screenshot({ path: `${ARTIFACTS}/console-programme-panel-en.png` });
  });

  test("a regional network: founding date, meetings, joint MDO, member roles, a partner, a funder by UZOVI code", async () => {
    const page = await newPage();
    await signIn(page, "/console/networks/new");
    await page.locator("#network-form").waitFor();
    await page.getByLabel("Name", { exact: true }).fill("[TEST] Regionaal netwerk Noord");
    await page.selectOption("#f-type", "regional_oncology_network");
    await page.getByLabel("Founded on").fill("2019-03-01");
    await page.selectOption("#f-meeting-frequency", "quarterly");
    await page.getByLabel("The network has a joint MDO").check();
    await page.getByLabel("When", { exact: true }).fill("Every Tuesday 16:00");
    await page.getByLabel("How to submit a patient").fill("Through the regional MDO form, by Friday noon");
    await page.getByRole("button", { name: "Add member" }).click();
    await page.locator("#f-members-0-name").fill("Martini Ziekenhuis");
    await page.selectOption("#f-members-0-kind", "hospital");
    await page.getByRole("button", { name: "Add tumour type" }).click();
    await page.selectOption("#f-members-0-roles-0-tumour-type", "breast");
    await page.locator("#f-members-0-roles-0-roles-triage").check();
    await page.getByRole("button", { name: "Add partner" }).click();
    await page.locator("#f-partners-0-name").fill("Revalidatiecentrum Beatrixoord");
    await page.selectOption("#f-partners-0-kind", "rehabilitation");
    await page.locator("#f-partners-0-agb").fill("05012345");
    await page.getByRole("button", { name: "Add financing" }).click();
    await page.selectOption("#f-financing-0-form", "insurer_contract");
    await page.locator("#f-financing-0-funder").fill("Zilveren Kruis");
    await page.getByLabel("Funder with a register code").check();
    await page.locator("#f-financing-0-funder-id-code").fill("3311");
    const id = await saveNew(page);
    const saved = await staffApi(`/v1/networks/${id}`);
    assert.equal(saved.founded_on, "2019-03-01");
    assert.equal(saved.meeting_frequency, "quarterly");
    assert.deepEqual(saved.mdo, { schedule: "Every Tuesday 16:00", how_to_submit: "Through the regional MDO form, by Friday noon", submission_url: null });
    assert.deepEqual(saved.members[0].roles, [{ tumour_type: "breast", roles: ["triage", "treatment"] }]);
    assert.deepEqual(saved.partners, [{ name: "Revalidatiecentrum Beatrixoord", kind: "rehabilitation", agb: "05012345", kvk: null }]);
    assert.deepEqual(saved.financing[0].funder_id, { register: "uzovi", code: "3311" });
    await page.locator("#programme").scrollIntoViewIfNeeded();
    await previewSettled(page);
    await axe(page, "a regional network's programme fields (en)");
    await shot(page, "console-programme-regional-en.png");
    await page.locator("#programme").screenshot({ path: `${ARTIFACTS}/console-programme-regional-section-en.png` });
  });

  test("no page threw", () => {
    assert.deepEqual(pageErrors, []);
  });
});
