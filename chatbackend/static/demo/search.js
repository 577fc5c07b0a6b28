// Message search (GET /api/search): a box in the rooms column; results list newest first, "More" follows
// nextCursor, and a click on a result opens its room. Text goes into the page through textContent only.
import { api } from "./api.js";

const $ = (selector) => document.querySelector(selector);
const PAGE_SIZE = 20;
let query = null; // { q, nextCursor } of the search shown

function resultItem(message, { openRoom, roomName }) {
  const item = document.createElement("li");
  item.dataset.messageId = message.id;
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = `${roomName(message.roomId)} · ${new Date(message.createdAt).toLocaleString()}`;
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = message.content;
  item.append(meta, text);
  item.addEventListener("click", () => openRoom(message.roomId));
  return item;
}

async function showPage(options, { more }) {
  const params = new URLSearchParams({ q: query.q, limit: PAGE_SIZE });
  if (more) params.set("cursor", query.nextCursor);
  const page = await api("GET", `/search?${params}`);
  const list = $("#search-results");
  const items = page.messages.map((message) => resultItem(message, options));
  if (more) list.append(...items);
  else list.replaceChildren(...items);
  query.nextCursor = page.nextCursor;
  $("#search-more").hidden = !page.nextCursor;
  if (!list.children.length) {
    const none = document.createElement("li");
    none.className = "none";
    none.textContent = "No message found";
    list.append(none);
  }
}

export function setupSearch(options) {
  $("#search-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    query = { q: event.target.q.value, nextCursor: null };
    try {
      await showPage(options, { more: false });
    } catch (error) {
      options.toast(error);
    }
  });
  $("#search-more").addEventListener("click", () => showPage(options, { more: true }).catch(options.toast));
}
