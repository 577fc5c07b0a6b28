// The API docs in headless Chromium: Swagger UI, ReDoc and the Socket.IO reference render from this server alone
// (no font, script or badge from another host). Run by chatbackend/tests/test_docs.py.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launch, openPage } from "./chromium.mjs";

const { SERVER_URL, SCREENSHOT_DIR } = process.env;
let browser;
let page;
const offHost = [];

before(async () => {
  browser = await launch();
  page = await openPage(browser, { offHost, viewport: { width: 1280, height: 800 } });
});

after(async () => {
  await browser?.close();
});

test("Swagger UI lists the operations by their summaries", async () => {
  await page.goto(`${SERVER_URL}/api/docs/`);
  await page.locator(".opblock-summary-description", { hasText: "Sign in" }).first().waitFor();
  assert.equal(await page.locator(".opblock-summary-description", { hasText: "_create" }).count(), 0);
});

test("ReDoc shows each operation's summary and its documented errors", async () => {
  await page.goto(`${SERVER_URL}/api/docs/redoc/`);
  await page.locator("h2", { hasText: "Send a message" }).first().waitFor();
  const sendSection = page.locator("[data-section-id*='rooms_messages_create']").first();
  await sendSection.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SCREENSHOT_DIR}/docs-redoc.png` });
  const text = await page.textContent("body");
  assert.match(text, /rate_limited/);
  assert.doesNotMatch(text, /auth_login_create/);
});

test("the Socket.IO reference shows code spans as code, not backticks", async () => {
  await page.goto(`${SERVER_URL}/api/docs/socketio/`);
  await page.locator("#client-join_room p code", { hasText: "after" }).first().waitFor();
  assert.doesNotMatch(await page.textContent("body"), /`/);
});

test("nothing was fetched from anywhere but this server, and the favicon is there", async () => {
  const favicon = await page.request.get(`${SERVER_URL}/favicon.ico`);
  assert.equal(favicon.status(), 200);
  assert.deepEqual(offHost, []);
});
