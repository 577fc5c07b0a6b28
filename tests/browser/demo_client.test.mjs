// The demo client at / in headless Chromium (Debian's package, driven by playwright-core): two browser contexts, two
// users, chatting in real time. Run by chatbackend/tests/test_demo_client.py, which creates the data named below.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launch, openPage } from "./chromium.mjs";

const {
  SERVER_URL, SCREENSHOT_DIR, ROOM_ID, HISTORY_COUNT, BOB_EMAIL, BOB_PASSWORD, BOB_ID,
} = process.env;
const PAGE_SIZE = 30; // the demo's history page size
const annEmail = `ann-${Date.now()}@example.com`;

let browser;
let ann; // signs up in the browser
let bob; // logs in with an account the test made

before(async () => {
  browser = await launch();
  const open = async () => {
    const page = await openPage(browser);
    await page.goto(SERVER_URL + "/");
    return page;
  };
  ann = await open();
  bob = await open();
});

after(async () => {
  await browser?.close();
});

const messages = (page) => page.locator("#messages li");
const message = (page, text) => page.locator("#messages li", { hasText: text });

async function send(page, text) {
  await page.fill("#send-form input[name=content]", text);
  await page.press("#send-form input[name=content]", "Enter");
}

test("a new user signs up and joins a public room by its id", async () => {
  await ann.fill("#register-form input[name=name]", "Ann");
  await ann.fill("#register-form input[name=email]", annEmail);
  await ann.fill("#register-form input[name=password]", "correct-horse-battery-staple");
  await ann.click("#register-form button");
  await ann.locator("#connection.online").waitFor();
  assert.match(await ann.textContent("#me"), /Ann/);

  await ann.fill("#join-room-form input[name=ref]", ROOM_ID);
  await ann.click("#join-room-form button");
  await ann.locator(`#rooms li.active[data-room-id="${ROOM_ID}"]`).waitFor();
  await ann.waitForFunction((n) => document.querySelectorAll("#messages li").length === n, PAGE_SIZE);
});

test("history loads older pages on scroll, without gaps or duplicates", async () => {
  await ann.locator("#messages").evaluate((list) => (list.scrollTop = 0));
  await ann.locator('#messages[data-complete="true"]').waitFor();
  const texts = await ann.locator("#messages li .content").allTextContents();
  const expected = Array.from({ length: Number(HISTORY_COUNT) }, (_, i) => `history ${i}`);
  assert.deepEqual(texts, expected);
});

test("an existing user logs in and sees the other come online", async () => {
  await bob.fill("#login-form input[name=email]", BOB_EMAIL);
  await bob.fill("#login-form input[name=password]", BOB_PASSWORD);
  await bob.click("#login-form button");
  await bob.locator("#connection.online").waitFor();
  await ann.locator(`#online li[data-user-id="${BOB_ID}"]`).waitFor();
  await bob.click(`#rooms li[data-room-id="${ROOM_ID}"]`);
  await bob.waitForFunction((n) => document.querySelectorAll("#messages li").length === n, PAGE_SIZE);
});

test("typing shows in the other browser and clears on send", async () => {
  await bob.fill("#send-form input[name=content]", "Hi Ann, welcome");
  await bob.locator("#send-form input[name=content]").dispatchEvent("input");
  await ann.locator("#typing", { hasText: "is typing" }).waitFor();
  await ann.screenshot({ path: `${SCREENSHOT_DIR}/demo-typing.png` });
  await bob.press("#send-form input[name=content]", "Enter");
  await ann.locator("#typing:empty").waitFor();
});

test("a message sent in one browser appears in the other", async () => {
  await message(ann, "Hi Ann, welcome").waitFor();
  const meta = await message(ann, "Hi Ann, welcome").locator(".meta").textContent();
  assert.match(meta, /^Bob · /, "senders are shown by name (from the room's members)");
  await send(ann, "Thanks Bob! <b>not bold</b>");
  await message(bob, "Thanks Bob! <b>not bold</b>").waitFor();
  assert.equal(await bob.locator("#messages li b").count(), 0, "message text must not be rendered as HTML");
  assert.equal(await message(ann, "Thanks Bob!").count(), 1, "the sender sees their message once");
  await ann.screenshot({ path: `${SCREENSHOT_DIR}/demo-chat.png` });
  await bob.screenshot({ path: `${SCREENSHOT_DIR}/demo-chat-other-user.png` });
});

test("sending too fast shows the rate-limit error", async () => {
  for (let i = 0; i < 7; i++) await send(ann, `burst ${i}`);
  await ann.locator('#toast[data-code="rate_limited"]').waitFor();
  assert.match(await ann.textContent("#toast"), /rate limited/i);
  await ann.screenshot({ path: `${SCREENSHOT_DIR}/demo-rate-limited.png` });
});

test("a private room is joined with its invite code", async () => {
  await ann.fill("#create-room-form input[name=name]", "ann-and-bob");
  await ann.check("#create-room-form input[name=isPrivate]");
  await ann.click("#create-room-form button");
  const room = ann.locator("#rooms li.active", { hasText: "ann-and-bob" });
  await room.waitFor();
  const code = (await room.locator("small").textContent()).replace(/^code /, "");

  await bob.fill("#join-room-form input[name=ref]", code);
  await bob.click("#join-room-form button");
  await bob.locator("#rooms li.active", { hasText: "ann-and-bob" }).waitFor();
  await send(bob, "in private");
  await message(ann, "in private").waitFor();
  assert.equal(await messages(bob).count(), 1);
});

test("closing the other browser takes its user offline", async () => {
  await bob.context().close();
  await ann.locator(`#online li[data-user-id="${BOB_ID}"]`).waitFor({ state: "detached" });
});
