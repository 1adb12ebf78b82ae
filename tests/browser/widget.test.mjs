// The <onconet-finder> widget, /docs and the coverage map in a real browser (Debian's headless
// Chromium driven by playwright-core), against a running onconet server.
//
//   ONCONET_URL=http://127.0.0.1:8080 ONCONET_STAFF_TOKEN=$(onconet token --role iknl_staff) \
//     node --test widget.test.mjs
//
// The only thing started here is a tiny static server for a host page on another origin
// (another 127.0.0.1 port), so the widget is tested the way a third-party site uses it.
// Screenshots go to <repository>/artifacts/.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "./chromium.mjs";

const API = (process.env.ONCONET_URL || "http://127.0.0.1:8080").replace(/\/+$/, "");
const STAFF_TOKEN = process.env.ONCONET_STAFF_TOKEN || "";
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = process.env.ARTIFACTS_DIR || path.resolve(HERE, "../../artifacts");
const TIMEOUT = 20_000;

let browser;
let host; // { server, origin }
let closedPort; // a port nobody listens on, for the network-failure state
const requests = []; // every URL any page asked for
const pageErrors = []; // uncaught exceptions in any page

/** Fetches from the API directly (Node, not the browser): the reference answers. */
async function api(pathAndQuery, headers = {}) {
  const response = await fetch(API + pathAndQuery, {
    headers: { Accept: "application/json", "Accept-Language": "nl", ...headers },
  });
  const body = await response.json();
  return { status: response.status, body };
}

function hostPage({ lang = "nl", attrs = "", apiBase = API } = {}) {
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<title>A hospital's site (host page)</title>
<style>
  /* Hostile host CSS: none of it may reach inside the widget. */
  * { color: red !important; display: block; font-family: "Comic Sans MS", cursive !important;
      font-size: 30px !important; line-height: 3 !important; letter-spacing: 3px !important; }
  head { display: none; }
  ul, li, p, button, input, label, h2, h3, a, section, form, div, dl, dt, dd, span {
      background: yellow !important; border: 5px dashed lime !important; margin: 40px !important;
      padding: 0 !important; text-transform: uppercase !important; }
  ul { list-style: square; }
  body { margin: 0 !important; width: 900px; }
</style>
</head>
<body>
<p id="host-text">Tekst van de site zelf</p>
<ul id="host-list"><li>eigen lijst</li></ul>
<onconet-finder id="finder" api="${apiBase}" lang="${lang}" ${attrs}></onconet-finder>
<script src="${API}/widget/onconet-finder.js"></script>
</body>
</html>`;
}

function startHost() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://host");
    const pages = {
      "/": () => hostPage(),
      "/en": () => hostPage({ lang: "en", attrs: 'type="oncology_care_network" limit="2"' }),
      "/offline": () => hostPage({ apiBase: `http://127.0.0.1:${closedPort}` }),
      "/blank": () => "<!doctype html><title>blank</title>",
    };
    const page = pages[url.pathname];
    if (!page) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    res.end(page());
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({ server, origin: `http://127.0.0.1:${server.address().port}` });
    });
  });
}

function freePortThenClose() {
  return new Promise((resolve) => {
    const s = http.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function newPage(contextOptions = {}) {
  const context = await browser.newContext({
    viewport: { width: 900, height: 1000 },
    deviceScaleFactor: 1,
    ...contextOptions,
  });
  context.on("request", (request) => requests.push(request.url()));
  const page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  page.setDefaultTimeout(TIMEOUT);
  return page;
}

/** Everything the widget shows for its results, read through the open shadow root. */
async function renderedResults(page) {
  return page.locator("#finder").evaluate((finder) => {
    const root = finder.shadowRoot;
    const text = (node) => (node ? node.textContent.trim() : null);
    return {
      summary: text(root.querySelector(".summary")),
      total: root.querySelector(".summary")?.getAttribute("data-total") ?? null,
      hits: [...root.querySelectorAll("[part~=result]")].map((li) => {
        return {
          name: text(li.querySelector("[part~=name]")),
          nameHref: li.querySelector("[part~=name] a")?.getAttribute("href") ?? null,
          fields: Object.fromEntries(
            [...li.querySelectorAll("dt")].map((dt) => [dt.textContent, text(dt.nextElementSibling)])
          ),
          tags: [...li.querySelectorAll(".tags li")].map((t) => t.textContent),
          hrefs: [...li.querySelectorAll("a")].map((a) => a.getAttribute("href")),
          distance: text(li.querySelector(".distance")),
        };
      }),
    };
  });
}

/** Distinct colours and spread of an image, computed on a canvas in a blank page. */
async function imageStats(pngBuffer) {
  const page = await newPage();
  await page.goto(`${host.origin}/blank`);
  const stats = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(img, 0, 0);
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const colours = new Set();
    let sum = 0;
    let sumSq = 0;
    const n = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      const lum = 0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2];
      sum += lum;
      sumSq += lum * lum;
      if (colours.size < 5000) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    }
    const mean = sum / n;
    return { width: canvas.width, height: canvas.height, colours: colours.size, stddev: Math.sqrt(sumSq / n - mean * mean) };
  }, pngBuffer.toString("base64"));
  await page.context().close();
  return stats;
}

async function assertNotBlank(file, buffer) {
  const stats = await imageStats(buffer);
  assert.ok(fs.statSync(file).size > 5_000, `${file} is suspiciously small`);
  assert.ok(stats.colours >= 16, `${file} has only ${stats.colours} colours`);
  assert.ok(stats.stddev > 10, `${file} is almost uniform (luminance stddev ${stats.stddev.toFixed(1)})`);
  return stats;
}

/** Types a postcode into the widget's labelled field and submits it with the Enter key. */
async function searchByKeyboard(page, postcode) {
  const input = page.getByLabel("Postcode");
  await input.focus();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.type(postcode);
  await page.keyboard.press("Enter");
}

before(async () => {
  closedPort = await freePortThenClose();
  host = await startHost();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (host) host.server.close();
});

describe("onconet in headless Chromium", { concurrency: false }, () => {
  test("the script is served for any origin, cacheable, with an ETag and 304", async () => {
    const first = await fetch(`${API}/widget/onconet-finder.js`, { headers: { Origin: host.origin } });
    assert.equal(first.status, 200);
    assert.match(first.headers.get("content-type"), /^text\/javascript; charset=utf-8$/i);
    assert.equal(first.headers.get("cache-control"), "public, max-age=3600");
    assert.equal(first.headers.get("access-control-allow-origin"), "*");
    const etag = first.headers.get("etag");
    assert.match(etag, /^"[0-9a-f]{16}"$/);
    assert.match(await first.text(), /customElements\.define\(TAG/);
    const again = await fetch(`${API}/widget/onconet-finder.js`, { headers: { "If-None-Match": etag } });
    assert.equal(again.status, 304);
  });

  test("postcode 9713 from a foreign origin: the widget lists what /v1/search returns", async () => {
    const expected = await api("/v1/search?postcode=9713&per_page=5");
    assert.equal(expected.status, 200);
    assert.ok(expected.body.items.length > 0, "the demo data has networks around 9713");
    const vocab = (await api("/v1/vocabularies")).body;
    const label = (list, code) => vocab[list].find((e) => e.code === code).label;

    const page = await newPage();
    const searches = [];
    page.on("request", (r) => {
      if (r.url().includes("/v1/search")) searches.push({ url: r.url(), headers: r.headers() });
    });
    await page.goto(`${host.origin}/`);
    assert.notEqual(new URL(page.url()).origin, new URL(API).origin, "the host page is on another origin");
    await page.waitForFunction(() => customElements.get("onconet-finder") !== undefined);

    // Keyboard only: Tab from the top of the page reaches the postcode field first.
    await page.keyboard.press("Tab");
    assert.equal(
      await page.locator("#finder").evaluate((f) => f.shadowRoot.activeElement?.getAttribute("name")),
      "postcode"
    );
    await page.keyboard.type("9713");
    await page.keyboard.press("Enter");

    const region = page.locator("#finder [aria-live=polite]");
    await region.locator(".summary").waitFor();
    const shown = await renderedResults(page);
    const items = expected.body.items;
    assert.deepEqual(
      shown.hits.map((h) => h.name),
      items.map((i) => i.network.name),
      "the same networks in the same order"
    );
    assert.equal(shown.hits.length, items.length);
    assert.equal(Number(shown.total), expected.body.page.total_items);
    assert.match(shown.summary, new RegExp(`^${expected.body.page.total_items} netwerk(en)? gevonden`));
    items.forEach((item, i) => {
      const hit = shown.hits[i];
      const n = item.network;
      assert.equal(hit.fields.Soort, label("network_types", n.type));
      assert.equal(hit.distance, item.covers ? "binnen het gebied" : `${item.distance_km.toFixed(1).replace(".", ",")} km`);
      assert.equal(hit.nameHref, n.website ?? null);
      for (const d of n.disciplines) assert.ok(hit.tags.includes(label("disciplines", d)), `${n.name}: ${d}`);
      for (const c of n.contacts.filter((c) => c.public)) {
        if (c.email) assert.ok(hit.hrefs.includes(`mailto:${c.email}`), `${n.name}: mailto ${c.email}`);
        if (c.phone) assert.ok(hit.hrefs.some((h) => h.startsWith("tel:+")), `${n.name}: tel link`);
        if (c.name) assert.ok(hit.fields.Contact.includes(c.name));
      }
    });

    // The request the widget made: the right parameters and language.
    const sent = new URL(searches.at(-1).url);
    assert.equal(sent.searchParams.get("postcode"), "9713");
    assert.equal(sent.searchParams.get("per_page"), "5");
    assert.equal(searches.at(-1).headers["accept-language"], "nl");

    // Isolation: the hostile host CSS is live outside, and changes nothing inside.
    const styles = await page.evaluate(() => {
      const finder = document.querySelector("#finder");
      const root = finder.shadowRoot;
      const cs = (el) => getComputedStyle(el);
      return {
        hostText: cs(document.querySelector("#host-text")).color,
        hostFont: cs(document.querySelector("#host-text")).fontFamily,
        hostList: cs(document.querySelector("#host-list")).listStyleType,
        hostSheets: document.styleSheets.length,
        adopted: document.adoptedStyleSheets.length,
        title: cs(root.querySelector("h2")).color,
        titleSize: cs(root.querySelector("h2")).fontSize,
        name: cs(root.querySelector("[part~=name]")).color,
        nameTransform: cs(root.querySelector("[part~=name]")).textTransform,
        inputBorder: cs(root.querySelector("input")).borderTopStyle,
        listStyle: cs(root.querySelector(".list")).listStyleType,
        font: cs(root.querySelector("h2")).fontFamily,
      };
    });
    assert.equal(styles.hostText, "rgb(255, 0, 0)", "the host CSS is active on the host page");
    assert.match(styles.hostFont, /Comic Sans/);
    assert.equal(styles.hostList, "square", "the widget's list style did not leak out");
    assert.equal(styles.hostSheets, 1, "the widget added no style sheet to the host document");
    assert.equal(styles.adopted, 0);
    assert.notEqual(styles.title, "rgb(255, 0, 0)");
    assert.equal(styles.title, "rgb(27, 27, 27)");
    assert.equal(styles.titleSize, "20px");
    assert.notEqual(styles.name, "rgb(255, 0, 0)");
    assert.equal(styles.nameTransform, "none");
    assert.equal(styles.inputBorder, "solid");
    assert.equal(styles.listStyle, "none");
    assert.doesNotMatch(styles.font, /Comic Sans/);

    // WCAG 2.1 AA: every piece of text in the widget has a contrast of at least 4.5:1.
    const lowContrast = await page.locator("#finder").evaluate((finder) => {
      // Computed colours come as rgb()/rgba(), or as color(srgb …) when color-mix() made them.
      const parse = (c) => {
        let m = c.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/);
        if (m) return { r: +m[1], g: +m[2], b: +m[3], a: m[4] === undefined ? 1 : +m[4] };
        m = c.match(/color\(srgb ([\d.]+) ([\d.]+) ([\d.]+)(?: \/ ([\d.]+))?\)/);
        if (m) return { r: 255 * m[1], g: 255 * m[2], b: 255 * m[3], a: m[4] === undefined ? 1 : +m[4] };
        throw new Error(`unknown colour format: ${c}`);
      };
      const lum = ({ r, g, b }) => {
        const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
      };
      const background = (el) => {
        for (let node = el; node; node = node.parentElement || node.getRootNode().host) {
          if (node.nodeType !== 1) break;
          const bg = parse(getComputedStyle(node).backgroundColor);
          if (bg && bg.a > 0.5) return bg;
          if (node === finder) break;
        }
        return { r: 255, g: 255, b: 255, a: 1 };
      };
      const bad = [];
      const walker = document.createTreeWalker(finder.shadowRoot, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) {
        const node = walker.currentNode;
        if (!node.textContent.trim() || !node.parentElement) continue;
        const el = node.parentElement;
        const fg = parse(getComputedStyle(el).color);
        const bg = background(el);
        const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
        const ratio = (hi + 0.05) / (lo + 0.05);
        if (ratio < 4.5) bad.push(`${node.textContent.trim().slice(0, 30)}: ${ratio.toFixed(2)}`);
      }
      return bad;
    });
    assert.deepEqual(lowContrast, [], "text below 4.5:1");

    // Keyboard focus is visible.
    await page.getByLabel("Postcode").focus();
    await page.keyboard.press("Tab");
    const focused = await page.locator("#finder").evaluate((f) => {
      const el = f.shadowRoot.activeElement;
      return { text: el.textContent, outline: getComputedStyle(el).outlineStyle, width: getComputedStyle(el).outlineWidth };
    });
    assert.equal(focused.text, "Zoeken");
    assert.equal(focused.outline, "solid");
    assert.equal(focused.width, "3px");
    await page.getByLabel("Postcode").focus(); // the screenshot shows the focused field

    const file = path.join(ARTIFACTS, "widget.png");
    const png = await page.locator("#finder").screenshot({ path: file });
    const stats = await assertNotBlank(file, png);
    assert.ok(stats.height > 400, `the results list is in the screenshot (height ${stats.height})`);
    // The whole host page too: its hostile CSS all around, the widget untouched.
    const hostFile = path.join(ARTIFACTS, "widget-host-page.png");
    await assertNotBlank(hostFile, await page.screenshot({ path: hostFile, fullPage: true }));
    await page.context().close();
  });

  test("empty state: no network near 4331 (Middelburg)", async () => {
    const expected = await api("/v1/search?postcode=4331&per_page=5");
    assert.equal(expected.status, 200);
    assert.equal(expected.body.items.length, 0, "the demo data has no network near Middelburg");
    const page = await newPage();
    await page.goto(`${host.origin}/`);
    await page.getByLabel("Postcode").fill("4331");
    // Tab to the search button and press it with the space bar.
    await page.getByLabel("Postcode").focus();
    await page.keyboard.press("Tab");
    await page.keyboard.press("Space");
    const empty = page.locator("#finder [aria-live=polite] [part~=empty]");
    await empty.waitFor();
    assert.match(await empty.textContent(), /^Geen netwerk gevonden/);
    assert.match(await empty.textContent(), /25 km/);
    assert.equal(await page.locator("#finder [part~=result]").count(), 0);
    await page.context().close();
  });

  test("error states: an invalid postcode shows the API's message, an unknown one says so", async () => {
    const problem = await api("/v1/search?postcode=12&per_page=5");
    assert.equal(problem.status, 400);
    const detail = problem.body.errors?.find((e) => e.parameter === "postcode")?.detail ?? problem.body.detail;
    assert.ok(detail);

    const page = await newPage();
    await page.goto(`${host.origin}/`);
    await searchByKeyboard(page, "12");
    const error = page.locator("#finder [aria-live=polite] [part~=error]");
    await error.waitFor();
    const text = await error.textContent();
    assert.match(text, /^Controleer de postcode\./);
    assert.ok(text.includes(detail), `"${text}" shows the API's detail "${detail}"`);
    assert.equal(await page.getByLabel("Postcode").getAttribute("aria-invalid"), "true");
    const describedBy = await page.getByLabel("Postcode").getAttribute("aria-describedby");
    assert.ok(describedBy.includes(await error.getAttribute("id")), "the field points at its error");

    const unknown = await api("/v1/search?postcode=1000&per_page=5");
    assert.equal(unknown.status, 404, "postcode 1000 is not in the PC4 layer");
    await searchByKeyboard(page, "1000 ab");
    await page.locator("#finder [part~=error]", { hasText: "niet bekend" }).waitFor();
    assert.match(await error.textContent(), /^Postcode 1000 AB is niet bekend/);

    // Typing again clears the invalid state.
    await page.keyboard.type("x");
    assert.equal(await page.getByLabel("Postcode").getAttribute("aria-invalid"), null);
    await page.context().close();
  });

  test("network failure and the loading state", async () => {
    const page = await newPage();
    await page.goto(`${host.origin}/offline`);
    await searchByKeyboard(page, "9713");
    const error = page.locator("#finder [part~=error]");
    await error.waitFor();
    assert.match(await error.textContent(), /^De zoekdienst is niet bereikbaar/);
    await page.context().close();

    const slow = await newPage();
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    await slow.route(`${API}/v1/search**`, async (route) => {
      await gate;
      await route.continue();
    });
    await slow.goto(`${host.origin}/`);
    await searchByKeyboard(slow, "9713");
    const loading = slow.locator("#finder [part~=loading]");
    await loading.waitFor();
    assert.equal(await loading.textContent(), "Bezig met zoeken…");
    assert.equal(await slow.locator("#finder [aria-live=polite]").getAttribute("aria-busy"), "true");
    release();
    await slow.locator("#finder .summary").waitFor();
    assert.equal(await slow.locator("#finder [aria-live=polite]").getAttribute("aria-busy"), "false");
    assert.equal(await loading.count(), 0);
    await slow.context().close();
  });

  test("English, filtered, with 'use my location'", async () => {
    const [lat, lon] = [53.2194, 6.5665];
    const page = await newPage({
      permissions: ["geolocation"],
      geolocation: { latitude: lat, longitude: lon },
      locale: "en-GB",
    });
    await page.goto(`${host.origin}/en`);
    const button = page.getByRole("button", { name: "Use my location" });
    await button.focus();
    await page.keyboard.press("Enter");
    await page.locator("#finder .summary").waitFor();
    const query = `lat=${lat.toFixed(3)}&lon=${lon.toFixed(3)}&type=oncology_care_network&per_page=2`;
    const expected = await api(`/v1/search?${query}`, { "Accept-Language": "en" });
    const shown = await renderedResults(page);
    assert.deepEqual(shown.hits.map((h) => h.name), expected.body.items.map((i) => i.network.name));
    assert.ok(shown.hits.length > 0);
    assert.match(shown.summary, /networks? found/);
    assert.equal(shown.hits[0].fields.Type, "Oncology care network");
    if (expected.body.items[0].covers) assert.equal(shown.hits[0].distance, "in the area");
    assert.ok(shown.hits[0].tags.includes("Physiotherapy"));
    assert.equal(await page.getByLabel("Postcode").count(), 1);
    const file = path.join(ARTIFACTS, "widget-en.png");
    await assertNotBlank(file, await page.locator("#finder").screenshot({ path: file }));

    // Switching the language re-renders the texts and repeats the search.
    await page.locator("#finder").evaluate((f) => f.setAttribute("lang", "nl"));
    await page.locator("#finder .summary", { hasText: "gevonden" }).waitFor();
    assert.equal(await page.locator("#finder h2").textContent(), "Vind een oncologienetwerk");
    await page.context().close();
  });

  test("the demo page at /widget/demo shows the snippet and a working widget", async () => {
    const page = await newPage();
    const response = await page.goto(`${API}/widget/demo`);
    assert.equal(response.status(), 200);
    const snippet = await page.locator("#snippet").textContent();
    assert.ok(snippet.includes(`<script src="${API}/widget/onconet-finder.js"></script>`), snippet);
    assert.ok(snippet.includes("<onconet-finder"));
    const finder = page.locator("onconet-finder").first();
    await finder.getByLabel("Postcode").fill("9713 AB");
    await finder.getByLabel("Postcode").press("Enter");
    await finder.locator(".summary").waitFor();
    assert.ok((await finder.locator("[part~=result]").count()) > 0);
    const file = path.join(ARTIFACTS, "demo.png");
    await assertNotBlank(file, await page.screenshot({ path: file, fullPage: true }));
    await page.context().close();
  });

  test("/docs renders offline", async (t) => {
    const probe = await fetch(`${API}/docs`, { redirect: "follow" });
    if (probe.status !== 200) {
      t.skip(`/docs answers ${probe.status}`);
      return;
    }
    const page = await newPage();
    const response = await page.goto(`${API}/docs`);
    assert.equal(response.status(), 200);
    await page.locator(".swagger-ui .opblock").first().waitFor();
    assert.ok((await page.locator(".swagger-ui .opblock").count()) > 10, "operations are listed");
    const file = path.join(ARTIFACTS, "docs.png");
    await assertNotBlank(file, await page.screenshot({ path: file }));
    await page.context().close();
  });

  test("the coverage map (SVG) renders for IKNL staff", async (t) => {
    if (!STAFF_TOKEN) {
      t.skip("ONCONET_STAFF_TOKEN is not set");
      return;
    }
    const page = await newPage({ viewport: { width: 1000, height: 1020 } });
    await page.setExtraHTTPHeaders({ Authorization: `Bearer ${STAFF_TOKEN}` });
    const response = await page.goto(`${API}/v1/coverage?format=svg`);
    assert.equal(response.status(), 200);
    assert.match(response.headers()["content-type"], /^image\/svg\+xml/);
    const svg = await page.evaluate(() => ({
      root: document.documentElement.localName,
      paths: document.querySelectorAll("path").length,
      texts: [...document.querySelectorAll("text")].map((t) => t.textContent),
    }));
    assert.equal(svg.root, "svg");
    assert.ok(svg.paths >= 300, `${svg.paths} <path> elements`);
    assert.ok(svg.texts.some((t) => t.trim() === "Coverage" || /^Coverage\b/.test(t.trim())), "a legend titled Coverage");
    const file = path.join(ARTIFACTS, "coverage.png");
    await assertNotBlank(file, await page.screenshot({ path: file }));
    await page.context().close();
  });

  test("no request left 127.0.0.1 (and the API's host) and no page threw", () => {
    const allowed = new Set(["127.0.0.1", new URL(API).hostname]);
    assert.ok(requests.length > 10, `${requests.length} requests seen`);
    const outside = requests.filter((u) => {
      const url = new URL(u);
      if (url.protocol === "data:" || url.protocol === "about:" || url.protocol === "blob:") return false;
      return !allowed.has(url.hostname);
    });
    assert.deepEqual(outside, []);
    assert.deepEqual(pageErrors, []);
  });
});
