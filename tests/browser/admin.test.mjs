// The Django admin as a moderator uses it, in headless Chromium: find a room's messages, delete one (a tombstone,
// announced live), remove a member, deactivate a user. Run by chatbackend/tests/test_admin_browser.py, which
// creates the data named below and watches the member's socket for the live events.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launch, openPage } from "./chromium.mjs";

const {
  SERVER_URL, SCREENSHOT_DIR, ADMIN_EMAIL, ADMIN_PASSWORD, ROOM_ID, MESSAGE_TEXT, MEMBER_EMAIL, MESSAGE_COUNT,
} = process.env;

let browser;
let page;
const offHost = [];

before(async () => {
  browser = await launch();
  page = await openPage(browser, { offHost, viewport: { width: 1440, height: 800 } });
  // The admin's navigation sidebar collapsed, as a moderator working in one list would keep it.
  await page.addInitScript(() => localStorage.setItem("django.admin.navSidebarIsOpen", "false"));
});

after(async () => {
  await browser?.close();
});

// Tick the row of the changelist that contains `text` and run the action named `action` on it.
async function runAction(text, action) {
  await page.locator("#result_list tbody tr", { hasText: text }).locator("input.action-select").check();
  await page.selectOption("select[name=action]", action);
  await page.click("button[name=index]");
  await page.locator(".messagelist").waitFor();
}

test("a staff user signs in to the admin", async () => {
  await page.goto(`${SERVER_URL}/admin/`);
  await page.fill("#id_username", ADMIN_EMAIL);
  await page.fill("#id_password", ADMIN_PASSWORD);
  await page.click("input[type=submit]");
  await page.locator("#site-name").waitFor();
  for (const model of ["Messages", "Reactions", "Rooms", "Room members", "Room bans", "Users"]) {
    await page.locator("#content-main a", { hasText: model }).first().waitFor();
  }
});

test("a room's page shows raw-id boxes and read-only counters, no list of every row", async () => {
  await page.goto(`${SERVER_URL}/admin/rooms/room/${ROOM_ID}/change/`);
  assert.equal(await page.locator("select").count(), 0, "no <select> on the room page");
  await page.locator("input#id_created_by.vForeignKeyRawIdAdminField").waitFor();
  assert.equal(await page.locator("[name=message_seq], [name=last_message], [name=invite_code]").count(), 0);
  await page.locator(".field-message_seq .readonly", { hasText: MESSAGE_COUNT }).waitFor();
  await page.screenshot({ path: `${SCREENSHOT_DIR}/admin-room.png`, fullPage: true });
});

test("messages are filtered by room in the sidebar box and deleted as a tombstone", async () => {
  await page.goto(`${SERVER_URL}/admin/messaging/message/`);
  await page.fill('#changelist-filter input[name="room_id"]', ROOM_ID);
  await page.press('#changelist-filter input[name="room_id"]', "Enter");
  await page.waitForURL(/room_id=/);
  assert.equal(await page.locator("#result_list tbody tr").count(), Number(MESSAGE_COUNT));
  await runAction(MESSAGE_TEXT, "delete_as_moderator");
  assert.match(await page.textContent(".messagelist"), /Messages deleted: 1\./);
  await page.locator("#result_list tbody tr", { hasText: "(deleted)" }).waitFor();
  assert.equal(await page.locator('select[name=action] option[value="delete_selected"]').count(), 0);
  await page.screenshot({ path: `${SCREENSHOT_DIR}/admin-messages.png`, fullPage: true });
});

test("a member is removed from the room from the memberships list", async () => {
  await page.goto(`${SERVER_URL}/admin/rooms/roommember/?room_id=${ROOM_ID}`);
  await runAction(MEMBER_EMAIL, "remove_from_room");
  assert.match(await page.textContent(".messagelist"), /Members removed: 1\./);
});

test("a user found by email is deactivated", async () => {
  await page.goto(`${SERVER_URL}/admin/accounts/user/`);
  await page.fill("#searchbar", MEMBER_EMAIL);
  await page.press("#searchbar", "Enter");
  await page.waitForURL(/q=/);
  assert.equal(await page.locator("#result_list tbody tr").count(), 1);
  await runAction(MEMBER_EMAIL, "deactivate");
  assert.match(await page.textContent(".messagelist"), /Users deactivated: 1\./);
  await page.screenshot({ path: `${SCREENSHOT_DIR}/admin-users.png` });
});

test("nothing was fetched from anywhere but this server", () => {
  assert.deepEqual(offHost, []);
});
