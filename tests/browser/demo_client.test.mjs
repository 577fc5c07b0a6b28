// The demo client at / in headless Chromium (Debian's package, driven by playwright-core): two browser contexts, two
// users, using every part of the API the demo shows. Run by chatbackend/tests/test_demo_client.py, which creates the
// data named below. The steps build on each other, in order.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { launch, openPage } from "./chromium.mjs";

const { SERVER_URL, SCREENSHOT_DIR, ROOM_ID, HISTORY_COUNT, BOB_EMAIL, BOB_PASSWORD, BOB_ID } = process.env;
const PAGE_SIZE = 30; // the demo's history page size
const annEmail = `ann-${Date.now()}@example.com`;

let browser;
let ann; // signs up in the browser
let bob; // logs in with an account the test made
let annId;
const offHost = [];

before(async () => {
  browser = await launch();
  const open = async () => {
    const page = await openPage(browser, { offHost });
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
const roomEntry = (page, name) => page.locator(".room-list li", { hasText: name });
const member = (page, userId) => page.locator(`#members li[data-user-id="${userId}"]`);

async function send(page, text) {
  await page.fill("#send-form input[name=content]", text);
  await page.press("#send-form input[name=content]", "Enter");
}

test("the sign-up hint states the real password rule, and a password that short is accepted", async () => {
  const password = ann.locator("#register-form input[name=password]");
  assert.match(await password.getAttribute("placeholder"), /at least 6 characters/);
  await ann.fill("#register-form input[name=name]", "Ann");
  await ann.fill("#register-form input[name=email]", annEmail);
  await password.fill("abc123");
  await ann.click("#register-form button");
  await ann.locator("#connection.online").waitFor();
  assert.match(await ann.textContent("#me"), /Ann/);
  annId = await ann.evaluate(() => JSON.parse(localStorage.getItem("chat.user")).id);
});

test("a new user joins a public room by its id and sees its latest page", async () => {
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

test("a member who comes online while the room is open appears online at once", async () => {
  await member(ann, BOB_ID).waitFor();
  assert.equal(await member(ann, BOB_ID).getAttribute("data-online"), "false");
  await bob.fill("#login-form input[name=email]", BOB_EMAIL);
  await bob.fill("#login-form input[name=password]", BOB_PASSWORD);
  await bob.click("#login-form button");
  await bob.locator("#connection.online").waitFor();
  await ann.locator(`#members li[data-user-id="${BOB_ID}"][data-online="true"]`).waitFor();
  await bob.click(`#rooms li[data-room-id="${ROOM_ID}"]`);
  await bob.waitForFunction((n) => document.querySelectorAll("#messages li").length === n, PAGE_SIZE);
  await bob.locator(`#members li[data-user-id="${annId}"][data-online="true"]`).waitFor();
});

test("typing shows in the other browser and clears on send", async () => {
  await bob.fill("#send-form input[name=content]", "Hi Ann, welcome");
  await bob.locator("#send-form input[name=content]").dispatchEvent("input");
  await ann.locator("#typing", { hasText: "is typing" }).waitFor();
  await bob.press("#send-form input[name=content]", "Enter");
  await ann.locator("#typing:empty").waitFor();
});

test("a message sent in one browser appears in the other, as text", async () => {
  await message(ann, "Hi Ann, welcome").waitFor();
  assert.match(await message(ann, "Hi Ann, welcome").locator(".meta").textContent(), /^Bob · /);
  await send(ann, "Thanks Bob! <b>not bold</b>");
  await message(bob, "Thanks Bob! <b>not bold</b>").waitFor();
  assert.equal(await bob.locator("#messages li b").count(), 0, "message text must not be rendered as HTML");
  assert.equal(await message(ann, "Thanks Bob!").count(), 1, "the sender sees their message once");
  assert.equal(await ann.inputValue("#send-form input[name=content]"), "", "a stored message clears the input");
});

test("an edit shows in both browsers", async () => {
  await message(ann, "Thanks Bob!").getByRole("button", { name: "Edit" }).click();
  assert.equal(await ann.inputValue("#send-form input[name=content]"), "Thanks Bob! <b>not bold</b>");
  await ann.fill("#send-form input[name=content]", "Thanks Bob, edited");
  await ann.press("#send-form input[name=content]", "Enter");
  await message(bob, "Thanks Bob, edited").locator(".meta", { hasText: "edited" }).waitFor();
  await message(ann, "Thanks Bob, edited").waitFor();
});

test("a search finds the edited message in the other browser, and a click opens its room", async () => {
  await bob.fill("#search-form input[name=q]", "EDITED thanks");
  await bob.press("#search-form input[name=q]", "Enter");
  await bob.locator("#search-results li", { hasText: "Thanks Bob, edited" }).waitFor();
  assert.equal(await bob.locator("#search-results li").count(), 1);
  await bob.fill("#search-form input[name=q]", "not bold");
  await bob.press("#search-form input[name=q]", "Enter");
  await bob.locator("#search-results li.none", { hasText: "No message found" }).waitFor();
  await bob.fill("#search-form input[name=q]", "history");
  await bob.press("#search-form input[name=q]", "Enter");
  await bob.locator("#search-results li", { hasText: `history ${Number(HISTORY_COUNT) - 1}` }).waitFor();
  await bob.click("#search-more");
  await bob.locator("#search-results li").nth(39).waitFor(); // two pages of 20
  await bob.locator("#search-results li").first().click();
  await bob.locator("#room-title", { hasText: "general" }).waitFor();
});

test("a reaction shows its count in both browsers", async () => {
  await message(bob, "Thanks Bob, edited").getByRole("button", { name: "👍" }).first().click();
  await message(ann, "Thanks Bob, edited").locator('button.reaction[data-emoji="👍"]', { hasText: "1" }).waitFor();
  await message(bob, "Thanks Bob, edited").locator('button.reaction.mine[data-emoji="👍"]').waitFor();
  await ann.screenshot({ path: `${SCREENSHOT_DIR}/demo-chat.png` });
});

test("a reply shows in both browsers, and its count opens the thread, which follows live", async () => {
  const parent = (page) => message(page, "Thanks Bob, edited");
  await parent(bob).getByRole("button", { name: "Reply", exact: true }).click();
  await bob.locator("#replying", { hasText: "Replying to Ann" }).waitFor();
  await send(bob, "a reply in a thread");
  await message(ann, "a reply in a thread").locator(".reply-to").waitFor();
  assert.equal(await bob.locator("#replying").isHidden(), true, "a sent reply ends replying");
  await parent(ann).locator('button.replies[data-count="1"]').click();
  await ann.locator("#thread-replies li", { hasText: "a reply in a thread" }).waitFor();
  await parent(bob).getByRole("button", { name: "Reply", exact: true }).click();
  await send(bob, "and another");
  await ann.locator("#thread-replies li", { hasText: "and another" }).waitFor();
  await parent(ann).locator('button.replies[data-count="2"]').waitFor();
  await parent(bob).locator('button.replies[data-count="2"]').waitFor();
  await ann.screenshot({ path: `${SCREENSHOT_DIR}/demo-thread.png` });
  await ann.click("#close-thread");
});

test("a deleted message becomes a tombstone in both browsers", async () => {
  await send(ann, "oops, wrong room");
  await message(bob, "oops, wrong room").waitFor();
  await message(ann, "oops, wrong room").getByRole("button", { name: "Delete" }).click();
  await bob.locator("#messages li.deleted", { hasText: "message deleted" }).waitFor();
  assert.equal(await message(bob, "oops, wrong room").count(), 0);
});

test("a file sent from the composer is a download link in the other browser", async () => {
  const file = { name: "notes.html", mimeType: "text/html", buffer: Buffer.from("<b>hello from a file</b>\n") };
  await ann.setInputFiles("#send-form input[name=file]", file);
  await send(ann, "see attached");
  const link = message(bob, "see attached").locator("a.attachment", { hasText: "notes.html" });
  await link.waitFor();
  assert.equal(await ann.inputValue("#send-form input[name=file]"), "", "a sent file clears the picker");
  const [download] = await Promise.all([bob.waitForEvent("download"), link.click()]);
  assert.equal(download.suggestedFilename(), "notes.html");
  assert.equal(await readFile(await download.path(), "utf8"), "<b>hello from a file</b>\n");
});

test("a private room is joined with its invite code, and unread messages show as a badge", async () => {
  await ann.fill("#create-room-form input[name=name]", "ann-and-bob");
  await ann.check("#create-room-form input[name=isPrivate]");
  await ann.click("#create-room-form button");
  await roomEntry(ann, "ann-and-bob").and(ann.locator(".active")).waitFor();
  const code = await ann.textContent("#room-info .invite-code");

  await bob.fill("#join-room-form input[name=ref]", code);
  await bob.click("#join-room-form button");
  await roomEntry(bob, "ann-and-bob").and(bob.locator(".active")).waitFor();
  await member(ann, BOB_ID).waitFor(); // member_joined, live
  await bob.click(`#rooms li[data-room-id="${ROOM_ID}"]`);
  await send(ann, "in private");
  await roomEntry(bob, "ann-and-bob").locator(".unread", { hasText: "1" }).waitFor();
  await bob.screenshot({ path: `${SCREENSHOT_DIR}/demo-unread.png` });
  await roomEntry(bob, "ann-and-bob").click();
  await message(bob, "in private").waitFor();
  await roomEntry(bob, "ann-and-bob").locator(".unread").waitFor({ state: "detached" });
});

test("a direct message is opened from the member list", async () => {
  await member(bob, annId).getByRole("button", { name: "Message" }).click();
  await bob.locator("#dms li.active").waitFor();
  await send(bob, "just between us");
  await message(bob, "just between us").waitFor();
});

test("after a reload the open room is open again, and new direct rooms are listed", async () => {
  await ann.reload();
  await ann.locator("#connection.online").waitFor();
  await roomEntry(ann, "ann-and-bob").and(ann.locator(".active")).waitFor();
  await message(ann, "in private").waitFor();
  await ann.locator("#dms li", { hasText: "Bob" }).locator(".unread", { hasText: "1" }).waitFor();
});

test("a refused send keeps its text, with a retry that sends it once", async () => {
  await roomEntry(bob, "ann-and-bob").click();
  await message(bob, "in private").waitFor();
  // Seven sends in one go (faster than typing): the rate limit (5 per second on the test server) refuses two.
  await ann.evaluate(() => {
    const form = document.querySelector("#send-form");
    for (let i = 0; i < 7; i++) {
      form.content.value = `burst ${i}`;
      form.requestSubmit();
    }
  });
  await ann.locator('#toast[data-code="rate_limited"]').waitFor();
  await ann.locator("#messages li.failed", { hasText: "burst 6" }).waitFor();
  assert.equal(await ann.inputValue("#send-form input[name=content]"), "burst 6", "the input keeps a failed send");
  await ann.screenshot({ path: `${SCREENSHOT_DIR}/demo-failed-send.png` });
  await ann.waitForTimeout(1200); // the test server's rate window is 1 s
  const failed = await ann.locator("#messages li.failed").count();
  for (let i = 0; i < failed; i++) {
    await ann.locator("#messages li.failed").first().getByRole("button", { name: "Retry" }).click();
  }
  await ann.waitForFunction(() => !document.querySelector("#messages li.failed, #messages li.pending"));
  for (let i = 0; i < 7; i++) await message(bob, `burst ${i}`).waitFor();
  for (let i = 0; i < 7; i++) assert.equal(await message(bob, `burst ${i}`).count(), 1, `burst ${i} once`);
  assert.equal(await ann.inputValue("#send-form input[name=content]"), "");
});

test("a dropped connection is said in plain words, and what was missed arrives on reconnect", async () => {
  await ann.context().setOffline(true);
  await ann.evaluate(() => window.demo.socket.io.engine.close());
  await ann.locator("#banner", { hasText: "Connection lost" }).waitFor();
  assert.match(await ann.textContent("#connection"), /reconnecting/);
  await ann.screenshot({ path: `${SCREENSHOT_DIR}/demo-reconnecting.png` });
  await send(bob, "while you were away");
  await message(bob, "while you were away").waitFor();
  await ann.context().setOffline(false);
  await ann.locator("#connection.online").waitFor({ timeout: 20_000 });
  await ann.locator("#banner").waitFor({ state: "hidden" });
  await message(ann, "while you were away").waitFor();
  assert.equal(await message(ann, "while you were away").count(), 1);
});

test("leaving a room takes it off the list and the member off the others' list", async () => {
  await bob.click("#leave-room");
  await roomEntry(bob, "ann-and-bob").waitFor({ state: "detached" });
  await member(ann, BOB_ID).waitFor({ state: "detached" });
});

test("an owner creates an invite link that brings the member back", async () => {
  await ann.getByRole("button", { name: "Invite link" }).click();
  const code = await ann.textContent("#room-info .invite-link");
  assert.match(code, /^[A-Za-z0-9_-]{22}$/);
  await bob.fill("#join-room-form input[name=ref]", code);
  await bob.click("#join-room-form button");
  await roomEntry(bob, "ann-and-bob").and(bob.locator(".active")).waitFor();
  await member(ann, BOB_ID).waitFor();
  assert.equal(await bob.getByRole("button", { name: "Invite link" }).count(), 0, "members create no links");
});

test("closing the other browser shows its user offline", async () => {
  await ann.click(`#rooms li[data-room-id="${ROOM_ID}"]`);
  await ann.locator(`#members li[data-user-id="${BOB_ID}"][data-online="true"]`).waitFor();
  await bob.context().close();
  await ann.locator(`#members li[data-user-id="${BOB_ID}"][data-online="false"]`).waitFor();
});

test("nothing was fetched from anywhere but this server", () => {
  assert.deepEqual(offHost, []);
});
