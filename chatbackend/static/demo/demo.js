// The demo client: REST (api.js) for accounts, rooms and history; Socket.IO (the official client, vendored) for live
// chat. Plain modules, no build step. Text always goes into the page through textContent: the server stores it as
// written. Each feature is a few named functions under its heading; `state` is the one place the page's data lives.
import { api, attachmentBlobUrl, clearSession, describe, rememberOpenRoom, saveSession, session, upload } from "./api.js";
import { setupSearch } from "./search.js";

const $ = (selector) => document.querySelector(selector);
const PAGE_SIZE = 30;
const SEND_TIMEOUT_MS = 8000;
const QUICK_REACTIONS = ["👍", "❤️", "😂"];
const MODERATORS = ["owner", "admin"];

const state = {
  socket: null,
  connectedOnce: false,
  rooms: new Map(), // roomId -> room of GET /api/rooms (with role, unreadCount, isDirect)
  roomId: null, // the open room
  nextCursor: null,
  loadingOlder: false,
  shown: new Map(), // messageId -> message shown in the open room
  members: new Map(), // userId -> member of the open room
  names: new Map(), // userId -> name, from every member list and event seen
  online: new Set(), // userIds known to be online
  myReactions: new Set(), // "messageId emoji" the signed-in user added
  readUpTo: 0, // newest message id marked read in the open room
  editing: null, // the message being edited in the composer
  replyingTo: null, // the message the composer's next send replies to
  thread: null, // the open thread: {parent, replies: Map messageId -> reply, nextCursor}
  typers: new Map(), // userId -> timeout handle, in the open room
  typingSent: false,
  typingTimer: null,
};

function me() {
  return session.user;
}

function element(tag, { className, text, dataset } = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  Object.assign(node.dataset, dataset || {});
  return node;
}

function button(text, onClick, className = "quiet") {
  const node = element("button", { className, text });
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

// Feedback: toasts for refusals, a banner and a badge for the connection ----------------------------------------

let toastTimer = null;
function toast(error) {
  const box = $("#toast");
  box.textContent = typeof error === "string" ? error : describe(error);
  box.dataset.code = error.code || "";
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (box.hidden = true), 5000);
}

function showConnection(status, message = "") {
  const badge = $("#connection");
  badge.textContent = status;
  badge.className = `badge ${status}`;
  $("#banner").textContent = message;
  $("#banner").hidden = !message;
}

// Sign-up and log-in --------------------------------------------------------------------------------------------

function signedIn(answer) {
  saveSession(answer);
  start();
}

function logout() {
  clearSession();
  if (state.socket) state.socket.disconnect();
  location.reload();
}

function formData(form) {
  return Object.fromEntries(new FormData(form).entries());
}

function onSubmit(selector, handler) {
  $(selector).addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await handler(event.target);
    } catch (error) {
      if (error.code === "invalid_token") return logout();
      toast(error);
    }
  });
}

onSubmit("#login-form", async (form) => signedIn(await api("POST", "/auth/login", formData(form))));
onSubmit("#register-form", async (form) => signedIn(await api("POST", "/auth/register", formData(form))));
$("#logout").addEventListener("click", logout);

// The room list: rooms and direct messages, with unread badges --------------------------------------------------

async function loadRooms() {
  const rooms = await api("GET", "/rooms");
  state.rooms = new Map(rooms.map((room) => [room.id, room]));
  renderRooms();
}

function roomItem(room) {
  const item = element("li", { dataset: { roomId: room.id } });
  const label = room.isDirect ? "@ " : room.isPrivate ? "🔒 " : "# ";
  item.append(element("span", { className: "name", text: label + room.name }));
  if (room.unreadCount > 0) {
    item.append(element("span", { className: "unread", text: String(room.unreadCount), dataset: { count: room.unreadCount } }));
  }
  item.classList.toggle("active", room.id === state.roomId);
  item.addEventListener("click", () => openRoom(room.id));
  return item;
}

function renderRooms() {
  const rooms = [...state.rooms.values()];
  $("#rooms").replaceChildren(...rooms.filter((room) => !room.isDirect).map(roomItem));
  $("#dms").replaceChildren(...rooms.filter((room) => room.isDirect).map(roomItem));
}

// Every room's live events reach this connection, so that unread badges move in rooms that are not open.
function subscribeAll() {
  for (const room of state.rooms.values()) {
    if (room.id !== state.roomId) state.socket.emit("join_room", { roomId: room.id }, () => {});
  }
}

async function enterRoom(room) {
  await loadRooms();
  state.socket.emit("join_room", { roomId: room.id }, () => {});
  await openRoom(room.id);
}

onSubmit("#create-room-form", async (form) => {
  const room = await api("POST", "/rooms", { name: form.name.value, isPrivate: form.isPrivate.checked });
  form.reset();
  await enterRoom(room);
});

onSubmit("#join-room-form", async (form) => {
  const ref = form.ref.value.trim();
  const room = /^\d+$/.test(ref)
    ? await api("POST", `/rooms/${ref}/join`, {})
    : await api("POST", "/rooms/join", { inviteCode: ref });
  form.reset();
  await enterRoom(room);
});

async function openDirect(userId) {
  try {
    await enterRoom(await api("POST", "/dms", { userId }));
  } catch (error) {
    toast(error);
  }
}

async function leaveOpenRoom() {
  try {
    await api("POST", `/rooms/${state.roomId}/leave`);
    forgetRoom(state.roomId);
  } catch (error) {
    toast(error);
  }
}
$("#leave-room").addEventListener("click", leaveOpenRoom);

function forgetRoom(roomId) {
  state.rooms.delete(roomId);
  if (roomId === state.roomId) closeRoom();
  renderRooms();
}

// The open room: header, members, history ------------------------------------------------------------------------

function closeRoom() {
  state.roomId = null;
  rememberOpenRoom(null);
  $("#messages").replaceChildren();
  $("#members").replaceChildren();
  $("#room-title").textContent = "Pick or create a room";
  $("#room-info").replaceChildren();
  $("#leave-room").hidden = true;
  for (const control of $("#send-form").elements) control.disabled = true;
}

async function openRoom(roomId) {
  state.roomId = roomId;
  rememberOpenRoom(roomId);
  Object.assign(state, { nextCursor: null, shown: new Map(), members: new Map(), readUpTo: 0, editing: null });
  stopReplying();
  closeThread();
  state.typers.forEach(clearTimeout);
  state.typers.clear();
  renderTyping();
  $("#messages").replaceChildren();
  renderRooms();
  renderRoomHeader();
  state.socket.emit("join_room", { roomId }, (ack) => ack.ok || toast(ack.error));
  try {
    await loadMembers(roomId);
    const page = await api("GET", `/rooms/${roomId}/messages?limit=${PAGE_SIZE}`);
    if (roomId !== state.roomId) return;
    prependPage(page);
    $("#messages").scrollTop = $("#messages").scrollHeight;
    markRead();
  } catch (error) {
    toast(error);
  }
  for (const control of $("#send-form").elements) control.disabled = false;
  $("#send-form").content.focus();
}

function renderRoomHeader() {
  const room = state.rooms.get(state.roomId);
  if (!room) return;
  $("#room-title").textContent = `${room.isDirect ? "@" : room.isPrivate ? "🔒" : "#"} ${room.name}`;
  const info = $("#room-info");
  if (room.isDirect) {
    info.replaceChildren(element("small", { text: "direct message" }));
  } else if (room.isPrivate) {
    const code = element("code", { className: "invite-code", text: room.inviteCode });
    const copy = button("Copy", () => navigator.clipboard?.writeText(room.inviteCode));
    info.replaceChildren(element("small", { text: "invite code " }), code, copy);
  } else {
    info.replaceChildren(element("small", { text: `public · id ${room.id}` }));
  }
  if (!room.isDirect && MODERATORS.includes(room.role)) info.append(button("Invite link", createInviteLink));
  $("#leave-room").hidden = room.isDirect;
}

// Owners and admins hand out invite links: a code of its own, here for 10 joins within 7 days.
async function createInviteLink() {
  try {
    const body = { maxUses: 10, expiresInSeconds: 7 * 24 * 3600 };
    const link = await api("POST", `/rooms/${state.roomId}/invites`, body);
    const shown = element("span", { className: "invite-link-box" });
    shown.title = `up to ${link.maxUses} joins until ${new Date(link.expiresAt).toLocaleString()}`;
    const code = element("code", { className: "invite-link", text: link.code, dataset: { testid: "invite-link" } });
    shown.append(element("small", { text: "link " }), code, button("Copy", () => navigator.clipboard?.writeText(link.code)));
    $("#room-info .invite-link-box")?.remove();
    $("#room-info").append(shown);
  } catch (error) {
    toast(error);
  }
}

async function loadMembers(roomId) {
  const page = await api("GET", `/rooms/${roomId}/members?limit=100`);
  if (roomId !== state.roomId) return;
  for (const member of page.members) {
    state.members.set(member.id, member);
    state.names.set(member.id, member.name);
    if (member.online) state.online.add(member.id);
    else state.online.delete(member.id);
  }
  renderMembers();
}

function renderMembers() {
  const room = state.rooms.get(state.roomId);
  const members = [...state.members.values()].sort((a, b) => state.online.has(b.id) - state.online.has(a.id));
  $("#members").replaceChildren(
    ...members.map((member) => {
      const online = state.online.has(member.id);
      const item = element("li", { dataset: { userId: member.id, online: String(online) } });
      item.append(element("span", { className: "name", text: userLabel(member.id) }));
      if (member.role !== "member") item.append(element("small", { className: "role", text: member.role }));
      if (member.id !== me().id && room && !room.isDirect) item.append(button("Message", () => openDirect(member.id)));
      return item;
    }),
  );
}

function userLabel(userId) {
  if (userId === me().id) return `${me().name} (you)`;
  return state.names.get(userId) || `user #${userId}`;
}

// Messages: one list item per message, rendered again whenever it changes ----------------------------------------

function canDelete(message) {
  const room = state.rooms.get(message.roomId);
  return message.senderId === me().id || (room && !room.isDirect && MODERATORS.includes(room.role));
}

function messageItem(message, item = element("li")) {
  item.replaceChildren();
  item.className = "";
  item.dataset.id = message.id;
  item.classList.toggle("mine", message.senderId === me().id);
  item.classList.toggle("deleted", Boolean(message.deletedAt));
  const edited = message.editedAt && !message.deletedAt ? " · edited" : "";
  const meta = element("span", { className: "meta" });
  if (message.replyToId) meta.append(element("span", { className: "reply-to", text: "↪", dataset: { replyToId: message.replyToId } }));
  meta.append(`${userLabel(message.senderId)} · ${new Date(message.createdAt).toLocaleTimeString()}${edited}`);
  item.append(meta);
  item.append(element("span", { className: "content", text: message.deletedAt ? "message deleted" : message.content }));
  if (message.replyCount > 0) item.append(repliesButton(message));
  if (message.deletedAt) return item;
  for (const attachment of message.attachments || []) item.append(attachmentLink(attachment));
  item.append(reactionsOf(message));
  const actions = element("span", { className: "actions" });
  for (const emoji of QUICK_REACTIONS) actions.append(button(emoji, () => toggleReaction(message.id, emoji), "react"));
  actions.append(button("Reply", () => startReplying(message)));
  if (message.senderId === me().id) actions.append(button("Edit", () => startEditing(message)));
  if (canDelete(message)) actions.append(button("Delete", () => deleteMessage(message.id)));
  meta.append(actions);
  return item;
}

// A link to an attachment: its url needs the token, so a click fetches it and saves it under its name.
function attachmentLink(attachment) {
  const link = element("a", { className: "attachment", text: `📎 ${attachment.name} (${Math.ceil(attachment.size / 1024)} KB)` });
  link.href = "#";
  link.dataset.attachmentId = attachment.id;
  link.addEventListener("click", async (event) => {
    event.preventDefault();
    try {
      const saver = element("a");
      saver.href = await attachmentBlobUrl(attachment.url);
      saver.download = attachment.name;
      saver.click();
      setTimeout(() => URL.revokeObjectURL(saver.href), 10_000);
    } catch (error) {
      toast(error);
    }
  });
  return link;
}

function reactionsOf(message) {
  const chips = element("span", { className: "reactions" });
  for (const [emoji, count] of Object.entries(message.reactions || {})) {
    const chip = button(`${emoji} ${count}`, () => toggleReaction(message.id, emoji), "reaction");
    chip.dataset.emoji = emoji;
    chip.classList.toggle("mine", state.myReactions.has(`${message.id} ${emoji}`));
    chips.append(chip);
  }
  return chips;
}

function showMessage(message) {
  if (message.roomId !== state.roomId) return;
  const list = $("#messages");
  const existing = state.shown.has(message.id) && list.querySelector(`li[data-id="${message.id}"]`);
  state.shown.set(message.id, message);
  if (existing) return messageItem(message, existing);
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  // One's own message may come back before its ack: it then takes its "sending" item's place.
  const sending = message.senderId === me().id && [...list.querySelectorAll("li.pending")].find((li) => li.dataset.content === message.content);
  if (sending) return messageItem(message, sending);
  list.append(messageItem(message));
  if (atBottom || message.senderId === me().id) list.scrollTop = list.scrollHeight;
}

function prependPage(page) {
  const list = $("#messages");
  const before = list.scrollHeight;
  const older = page.messages.filter((m) => !state.shown.has(m.id)).reverse(); // the page is newest first
  older.forEach((m) => state.shown.set(m.id, m));
  list.prepend(...older.map((m) => messageItem(m)));
  list.scrollTop += list.scrollHeight - before; // keep what the reader was looking at in place
  state.nextCursor = page.nextCursor;
  list.dataset.complete = String(page.nextCursor === null);
}

async function loadOlder() {
  if (state.loadingOlder || !state.nextCursor || state.roomId === null) return;
  state.loadingOlder = true;
  const roomId = state.roomId;
  try {
    const query = `limit=${PAGE_SIZE}&cursor=${encodeURIComponent(state.nextCursor)}`;
    const page = await api("GET", `/rooms/${roomId}/messages?${query}`);
    if (roomId === state.roomId) prependPage(page);
  } catch (error) {
    toast(error);
  } finally {
    state.loadingOlder = false;
  }
}

$("#messages").addEventListener("scroll", (event) => {
  if (event.target.scrollTop < 60) loadOlder();
});

function markRead() {
  const newest = Math.max(0, ...state.shown.keys());
  const room = state.rooms.get(state.roomId);
  if (!room || newest <= state.readUpTo) return;
  state.readUpTo = newest;
  state.socket.emit("mark_read", { roomId: room.id, messageId: newest }, () => {});
  room.unreadCount = 0;
  renderRooms();
}

function onReceiveMessage(message) {
  const room = state.rooms.get(message.roomId);
  showInThread(message);
  if (message.roomId === state.roomId) {
    showMessage(message);
    if (document.visibilityState === "visible") markRead();
  } else if (room && message.senderId !== me().id) {
    room.unreadCount += 1;
    renderRooms();
  }
}

// Sending: a message is shown as "sending" and kept, with Retry, if it is refused or unanswered ------------------

function newClientMsgId() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

function pendingItem(content, clientMsgId, replyToId) {
  const item = element("li", { className: "mine pending", dataset: { clientMsgId, content, replyToId: replyToId || "" } });
  item.append(element("span", { className: "meta", text: "sending…" }), element("span", { className: "content", text: content }));
  $("#messages").append(item);
  $("#messages").scrollTop = $("#messages").scrollHeight;
  return item;
}

function sendMessage(content, item) {
  const roomId = state.roomId;
  const { clientMsgId } = item.dataset;
  const replyToId = Number(item.dataset.replyToId) || undefined; // a retry replies to the same message
  const attachmentIds = JSON.parse(item.dataset.attachmentIds || "[]");
  item.className = "mine pending";
  item.querySelector(".meta").textContent = "sending…";
  item.querySelector(".failure")?.remove();
  if (!state.socket.connected) return sendFailed(item, content, { code: "offline", message: "You are offline." });
  state.socket.timeout(SEND_TIMEOUT_MS).emit("send_message", { roomId, content, clientMsgId, replyToId, attachmentIds }, (timedOut, ack) => {
    if (timedOut) return sendFailed(item, content, { code: "timeout" });
    if (!ack.ok) return sendFailed(item, content, ack.error);
    const input = $("#send-form").content;
    if (input.value === content) input.value = ""; // cleared only once the message is stored
    // The room's receive_message may have come first (and taken this item already, or another one).
    if (item.dataset.id === String(ack.message.id)) return;
    showInThread(ack.message);
    if (state.shown.has(ack.message.id) || ack.message.roomId !== state.roomId) return item.remove();
    state.shown.set(ack.message.id, ack.message);
    messageItem(ack.message, item);
  });
}

function sendFailed(item, content, error) {
  item.className = "mine failed";
  item.querySelector(".meta").textContent = "not sent";
  const failure = element("span", { className: "failure", text: describe(error) + " " });
  failure.append(button("Retry", () => sendMessage(content, item)), button("Discard", () => item.remove()));
  item.append(failure);
  if (error.code === "rate_limited") toast(error);
}

function submitMessage(content) {
  stopTyping();
  // Sending the same text again retries the failed send (same clientMsgId: stored at most once).
  const failed = [...$("#messages").querySelectorAll("li.failed")].find((li) => li.dataset.content === content);
  sendMessage(content, failed || pendingItem(content, newClientMsgId(), state.replyingTo?.id));
  stopReplying();
}

// A message with a file: the file is uploaded first, then sent with its id (content may be empty then).
async function submitWithFile(content, input) {
  stopTyping();
  let uploaded;
  try {
    uploaded = await upload(input.files[0]);
  } catch (error) {
    return toast(error);
  }
  input.value = "";
  const item = pendingItem(content, newClientMsgId(), state.replyingTo?.id);
  item.dataset.attachmentIds = JSON.stringify([uploaded.id]);
  sendMessage(content, item);
  stopReplying();
}

$("#send-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const content = event.target.content.value;
  const fileInput = event.target.file;
  if (state.roomId === null) return;
  if (fileInput.files.length && !state.editing) return submitWithFile(content, fileInput);
  if (!content.trim()) return;
  if (state.editing) saveEdit(content);
  else submitMessage(content);
});

// Editing, deleting, reacting ------------------------------------------------------------------------------------

function startEditing(message) {
  state.editing = message;
  const input = $("#send-form").content;
  input.value = message.content;
  input.focus();
  $("#send-form button").textContent = "Save";
  $("#send-form").classList.add("editing");
}

function stopEditing() {
  state.editing = null;
  $("#send-form").content.value = "";
  $("#send-form button").textContent = "Send";
  $("#send-form").classList.remove("editing");
}

async function saveEdit(content) {
  try {
    showMessage(await api("PATCH", `/messages/${state.editing.id}`, { content }));
    stopEditing();
  } catch (error) {
    toast(error);
  }
}

$("#send-form").content.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && state.editing) stopEditing();
  if (event.key === "Escape") stopReplying();
});

async function deleteMessage(messageId) {
  try {
    showMessage(await api("DELETE", `/messages/${messageId}`));
  } catch (error) {
    toast(error);
  }
}

async function toggleReaction(messageId, emoji) {
  const key = `${messageId} ${emoji}`;
  const mine = state.myReactions.has(key);
  try {
    const message = mine
      ? await api("DELETE", `/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`)
      : await api("POST", `/messages/${messageId}/reactions`, { emoji });
    if (mine) state.myReactions.delete(key);
    else state.myReactions.add(key);
    showMessage(message);
  } catch (error) {
    toast(error);
  }
}

function onMessageChanged(message) {
  showMessage(message);
  if (state.thread && state.thread.replies.has(message.id)) {
    state.thread.replies.set(message.id, message);
    renderThread();
  }
}

function onReactionUpdated({ roomId, messageId, userId, emoji, added, reactions }) {
  if (userId === me().id) state.myReactions[added ? "add" : "delete"](`${messageId} ${emoji}`);
  const message = state.shown.get(messageId);
  if (roomId === state.roomId && message) showMessage({ ...message, reactions });
}

// Replies: "Reply" makes the next send a reply; a message's reply count opens its thread beside the room ----------

function startReplying(message) {
  if (state.editing) stopEditing();
  state.replyingTo = message;
  $("#replying-to").textContent = `Replying to ${userLabel(message.senderId)}: ${message.content.slice(0, 60)}`;
  $("#replying").hidden = false;
  $("#send-form").content.focus();
}

function stopReplying() {
  state.replyingTo = null;
  $("#replying").hidden = true;
}
$("#cancel-reply").addEventListener("click", stopReplying);

function repliesButton(message) {
  const label = `${message.replyCount} ${message.replyCount === 1 ? "reply" : "replies"}`;
  const node = button(label, () => openThread(message), "quiet replies");
  node.dataset.count = message.replyCount;
  return node;
}

async function openThread(parent) {
  state.thread = { parent, replies: new Map(), nextCursor: null };
  $("#thread-panel").hidden = false;
  renderThread();
  await loadThreadPage();
}

function closeThread() {
  state.thread = null;
  $("#thread-panel").hidden = true;
}
$("#close-thread").addEventListener("click", closeThread);

async function loadThreadPage() {
  const thread = state.thread;
  const cursor = thread.nextCursor ? `&cursor=${encodeURIComponent(thread.nextCursor)}` : "";
  try {
    const page = await api("GET", `/messages/${thread.parent.id}/replies?limit=${PAGE_SIZE}${cursor}`);
    if (state.thread !== thread) return;
    page.messages.forEach((reply) => thread.replies.set(reply.id, reply));
    thread.nextCursor = page.nextCursor;
    renderThread();
  } catch (error) {
    toast(error);
  }
}
$("#more-replies").addEventListener("click", loadThreadPage);
$("#reply-in-thread").addEventListener("click", () => startReplying(state.thread.parent));

function renderThread() {
  const { parent, replies, nextCursor } = state.thread;
  $("#thread-parent").textContent = `${userLabel(parent.senderId)}: ${parent.deletedAt ? "message deleted" : parent.content}`;
  const items = [...replies.values()].sort((a, b) => a.id - b.id).map((reply) => {
    const item = element("li", { dataset: { id: reply.id }, className: reply.deletedAt ? "deleted" : "" });
    item.append(element("span", { className: "meta", text: userLabel(reply.senderId) }));
    item.append(element("span", { className: "content", text: reply.deletedAt ? "message deleted" : reply.content }));
    return item;
  });
  $("#thread-replies").replaceChildren(...items);
  $("#more-replies").hidden = !nextCursor;
  $("#reply-in-thread").hidden = Boolean(parent.deletedAt);
}

function onThreadUpdated({ messageId, replyCount }) {
  const message = state.shown.get(messageId);
  if (message && replyCount > message.replyCount) showMessage({ ...message, replyCount });
  if (state.thread && state.thread.parent.id === messageId) state.thread.parent = { ...state.thread.parent, replyCount };
}

function showInThread(message) {
  const thread = state.thread;
  if (!thread || message.replyToId !== thread.parent.id || thread.nextCursor) return; // unseen pages come first
  thread.replies.set(message.id, message);
  renderThread();
}

// Typing ---------------------------------------------------------------------------------------------------------

function stopTyping() {
  clearTimeout(state.typingTimer);
  if (state.typingSent && state.roomId !== null) state.socket.emit("typing", { roomId: state.roomId, isTyping: false });
  state.typingSent = false;
}

$("#send-form").content.addEventListener("input", (event) => {
  if (state.roomId === null || state.editing) return;
  if (!event.target.value) return stopTyping();
  if (!state.typingSent) state.socket.emit("typing", { roomId: state.roomId, isTyping: true });
  state.typingSent = true;
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(stopTyping, 2000);
});

function renderTyping() {
  const names = [...state.typers.keys()].map(userLabel);
  $("#typing").textContent = names.length ? `${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
}

function onTyping({ roomId, userId, isTyping }) {
  if (roomId !== state.roomId) return;
  clearTimeout(state.typers.get(userId));
  if (isTyping) {
    // The server clears typing after its timeout; this is only a safety net should that event be lost.
    state.typers.set(userId, setTimeout(() => onTyping({ roomId, userId, isTyping: false }), 10000));
  } else {
    state.typers.delete(userId);
  }
  renderTyping();
}

// Presence and membership ----------------------------------------------------------------------------------------

function onUserStatus({ userId, status }) {
  if (status === "online") state.online.add(userId);
  else {
    state.online.delete(userId);
    onTyping({ roomId: state.roomId, userId, isTyping: false });
  }
  renderMembers();
}

function onMemberJoined({ roomId, userId, name, role }) {
  state.names.set(userId, name);
  if (roomId !== state.roomId) return;
  state.members.set(userId, { id: userId, name, role, online: state.online.has(userId) });
  renderMembers();
}

function onMemberLeft({ roomId, userId, reason }) {
  if (userId === me().id) {
    if (reason !== "left") toast(`You were ${reason === "banned" ? "banned from" : "removed from"} ${state.rooms.get(roomId)?.name || "a room"}.`);
    return forgetRoom(roomId);
  }
  if (roomId === state.roomId) state.members.delete(userId);
  renderMembers();
}

function onMemberUpdated({ roomId, userId, name, role }) {
  const room = state.rooms.get(roomId);
  if (room && userId === me().id) room.role = role;
  if (roomId === state.roomId && state.members.has(userId)) state.members.set(userId, { ...state.members.get(userId), name, role });
  renderMembers();
}

function onRoomUpdated({ room }) {
  const known = state.rooms.get(room.id);
  if (!known) return;
  Object.assign(known, room);
  renderRooms();
  if (room.id === state.roomId) renderRoomHeader();
}

function onUserUpdated({ userId, name }) {
  state.names.set(userId, name);
  renderMembers();
}

// The connection ------------------------------------------------------------------------------------------------

const HANDSHAKE_WORDS = {
  too_many_connections: "Too many open tabs or devices for this account: close one and this page reconnects.",
  unavailable: "The chat server is busy or restarting. Reconnecting…",
};

function onConnect() {
  showConnection("online");
  const reconnected = state.connectedOnce;
  state.connectedOnce = true;
  loadRooms()
    .then(() => {
      subscribeAll();
      if (state.roomId !== null && !state.rooms.has(state.roomId)) return closeRoom();
      if (state.roomId === null) {
        if (state.rooms.has(session.openRoomId)) openRoom(session.openRoomId);
        return;
      }
      renderRoomHeader();
      // Back after a drop: subscribe again and catch up on what was missed (ids already shown are skipped).
      const after = Math.max(0, ...state.shown.keys());
      state.socket.emit("join_room", { roomId: state.roomId, after: reconnected ? after : undefined }, (ack) => {
        if (ack.ok) (ack.messages || []).forEach(onReceiveMessage);
      });
      loadMembers(state.roomId).catch(toast);
    })
    .catch(toast);
}

function onDisconnect(reason) {
  if (reason === "io client disconnect") return showConnection("offline");
  showConnection("reconnecting", "Connection lost. Reconnecting… Messages you send meanwhile are kept, with Retry.");
}

function onConnectError(error) {
  const code = error.data && error.data.code;
  if (code === "invalid_token" || code === "not_authenticated") return logout();
  const words = state.connectedOnce ? "Connection lost. Reconnecting…" : "Cannot reach the chat server. Retrying…";
  showConnection("reconnecting", HANDSHAKE_WORDS[code] || words);
}

function connect() {
  const socket = io({ auth: { token: session.token }, transports: ["websocket"] });
  state.socket = socket;
  socket.on("connect", onConnect);
  socket.on("disconnect", onDisconnect);
  socket.on("connect_error", onConnectError);
  socket.on("receive_message", onReceiveMessage);
  socket.on("message_updated", onMessageChanged);
  socket.on("message_deleted", onMessageChanged);
  socket.on("thread_updated", onThreadUpdated);
  socket.on("reaction_updated", onReactionUpdated);
  socket.on("typing", onTyping);
  socket.on("user_status", onUserStatus);
  socket.on("member_joined", onMemberJoined);
  socket.on("member_left", onMemberLeft);
  socket.on("member_updated", onMemberUpdated);
  socket.on("room_updated", onRoomUpdated);
  socket.on("user_updated", onUserUpdated);
  socket.on("error", toast);
  window.demo = { state, socket }; // for the browser test and the curious: the live state of the page
}

function start() {
  $("#auth-view").hidden = true;
  $("#chat-view").hidden = false;
  $("#logout").hidden = false;
  $("#me").textContent = `${me().name} <${me().email}>`;
  state.online.add(me().id);
  showConnection("connecting");
  connect();
}

setupSearch({ openRoom, toast, roomName: (roomId) => state.rooms.get(roomId)?.name ?? `room ${roomId}` });
if (session.token && session.user) start();
