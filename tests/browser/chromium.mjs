// Launching Debian's Chromium for the browser tests (playwright-core drives it; no browser download), and a watch
// on every request a page makes: the served pages must work with nothing but this server (no CDN, no fonts).
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

// A page in its own context (its own cookies and storage: another user), failing the test on a script error.
// `offHost` collects every request to anywhere but the server under test, except those the page's
// Content-Security-Policy stopped inside the browser (they never reach the network).
export async function openPage(browser, { offHost, viewport = { width: 1100, height: 640 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on("pageerror", (error) => assert.fail(`page error: ${error.message}`));
  if (offHost) {
    const origin = new URL(process.env.SERVER_URL).origin;
    page.on("request", (request) => {
      const url = request.url();
      if (!url.startsWith(origin) && !url.startsWith("data:") && !url.startsWith("blob:")) offHost.push(url);
    });
    page.on("requestfailed", (request) => {
      const index = offHost.indexOf(request.url());
      if (index >= 0 && /^csp$|BLOCKED_BY_CSP/.test(request.failure()?.errorText || "")) offHost.splice(index, 1);
    });
  }
  return page;
}
