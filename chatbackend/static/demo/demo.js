// The demo client: REST for accounts, rooms and history; Socket.IO (the official client, vendored) for live chat.
// Plain script, no build step. Text always goes into the page through textContent: the server stores it as written.
"use strict";

const $ = (selector) => document.querySelector(selector);
const PAGE_SIZE = 30;
const state = {
  token: localStorage.getItem("chat.token"),
  user: JSON.parse(localStorage.getItem("chat.user") || "null"),
  socket: null,
  rooms: [],
  roomId: null,
  nextCursor: null,
  loadingOlder: false,
  seen: new Set(),
  online: new Map(), // userId -> true
  names: new Map(), // userId -> name, from the members of the rooms opened
  typers: new Map(), // userId -> timeout handle, in the current room
  typingSent: false,
  typingTimer: null,
};

// REST ----------------------------------------------------------------------------------------------------------

async function api(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const response = await fetch(`/api${path}`, { method, headers, body: body && JSON.stringify(body) });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (data && data.error) || { code: "http_" + response.status, message: response.statusText };
    if (error.code === "invalid_token") logout();
    throw error;
  }
  return data;
}

function describe(error) {
  if (error.code === "rate_limited") {
    const seconds = Math.ceil((error.retryAfterMs || 1000) / 1000);
    return `Slow down: rate limited, try again in ${seconds}s.`;
  }
  const details = error.details ? " " + Object.values(error.details).flat().join(" ") : "";
  return `${error.message || error.code}${details} (${error.code})`;
}

let toastTimer = null;
function toast(error) {
  const box = $("#toast");
  box.textContent = typeof error === "string" ? error : describe(error);
  box.dataset.code = error.code || "";
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (box.hidden = true), 5000);
}

// Sign-up and log-in --------------------------------------------------------------------------------------------

function signedIn({ token, user }) {
  state.token = token;
  state.user = user;
  localStorage.setItem("chat.token", token);
  localStorage.setItem("chat.user", JSON.stringify(user));
  start();
}

function logout() {
  localStorage.removeItem("chat.token");
  localStorage.removeItem("chat.user");
  if (state.socket) state.socket.disconnect();
  location.reload();
}

function formData(form) {
  return Object.fromEntries(new FormData(form).entries());
}

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    signedIn(await api("POST", "/auth/login", formData(event.target)));
  } catch (error) {
    toast(error);
  }
});

$("#register-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    signedIn(await api("POST", "/auth/register", formData(event.target)));
  } catch (error) {
    toast(error);
  }
});

$("#logout").addEventListener("click", logout);

// Rooms ---------------------------------------------------------------------------------------------------------

function userLabel(userId) {
  if (state.user && userId === state.user.id) return `${state.user.name} (you)`;
  return state.names.get(userId) || `user #${userId}`;
}

async function loadMembers(roomId) {
  const page = await api("GET", `/rooms/${roomId}/members?limit=100`);
  for (const member of page.members) {
    state.names.set(member.id, member.name);
    if (member.online) state.online.set(member.id, true);
  }
  renderOnline();
}

function renderRooms() {
  const list = $("#rooms");
  list.replaceChildren(
    ...state.rooms.map((room) => {
      const item = document.createElement("li");
      item.dataset.roomId = room.id;
      item.textContent = `${room.isPrivate ? "🔒 " : "# "}${room.name} `;
      const info = document.createElement("small");
      info.textContent = room.isPrivate ? `code ${room.inviteCode}` : `id ${room.id}`;
      item.append(info);
      item.classList.toggle("active", room.id === state.roomId);
      item.addEventListener("click", () => openRoom(room.id));
      return item;
    }),
  );
}

async function loadRooms() {
  state.rooms = await api("GET", "/rooms");
  renderRooms();
}

$("#create-room-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    const room = await api("POST", "/rooms", { name: form.name.value, isPrivate: form.isPrivate.checked });
    form.reset();
    await loadRooms();
    await openRoom(room.id);
  } catch (error) {
    toast(error);
  }
});

$("#join-room-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const ref = event.target.ref.value.trim();
  try {
    const room = /^\d+$/.test(ref)
      ? await api("POST", `/rooms/${ref}/join`, {})
      : await api("POST", "/rooms/join", { inviteCode: ref });
    event.target.reset();
    await loadRooms();
    await openRoom(room.id);
  } catch (error) {
    toast(error);
  }
});

// Messages ------------------------------------------------------------------------------------------------------

function messageItem(message) {
  const item = document.createElement("li");
  item.dataset.id = message.id;
  item.classList.toggle("mine", state.user && message.senderId === state.user.id);
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = `${userLabel(message.senderId)} · ${new Date(message.createdAt).toLocaleTimeString()}`;
  const text = document.createElement("span");
  text.className = "content";
  text.textContent = message.content;
  item.append(meta, text);
  return item;
}

function appendMessage(message) {
  if (message.roomId !== state.roomId || state.seen.has(message.id)) return;
  state.seen.add(message.id);
  const list = $("#messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.append(messageItem(message));
  if (atBottom || message.senderId === state.user.id) list.scrollTop = list.scrollHeight;
}

async function loadOlder() {
  if (state.loadingOlder || !state.nextCursor || state.roomId === null) return;
  state.loadingOlder = true;
  const roomId = state.roomId;
  try {
    const page = await api("GET", `/rooms/${roomId}/messages?limit=${PAGE_SIZE}&cursor=${encodeURIComponent(state.nextCursor)}`);
    if (roomId !== state.roomId) return;
    prependPage(page);
  } catch (error) {
    toast(error);
  } finally {
    state.loadingOlder = false;
  }
}

function prependPage(page) {
  const list = $("#messages");
  const before = list.scrollHeight;
  const items = page.messages.filter((m) => !state.seen.has(m.id)).reverse(); // the page is newest first
  items.forEach((m) => state.seen.add(m.id));
  list.prepend(...items.map(messageItem));
  list.scrollTop += list.scrollHeight - before; // keep what the reader was looking at in place
  state.nextCursor = page.nextCursor;
  list.dataset.complete = String(page.nextCursor === null);
}

$("#messages").addEventListener("scroll", (event) => {
  if (event.target.scrollTop < 60) loadOlder();
});

async function openRoom(roomId) {
  state.roomId = roomId;
  state.nextCursor = null;
  state.seen = new Set();
  state.typers.forEach(clearTimeout);
  state.typers.clear();
  renderTyping();
  $("#messages").replaceChildren();
  renderRooms();
  const room = state.rooms.find((r) => r.id === roomId);
  $("#room-title").textContent = room ? `${room.isPrivate ? "🔒" : "#"} ${room.name}` : `room ${roomId}`;
  state.socket.emit("join_room", { roomId }, (ack) => {
    if (!ack.ok) toast(ack.error);
  });
  try {
    await loadMembers(roomId);
    const page = await api("GET", `/rooms/${roomId}/messages?limit=${PAGE_SIZE}`);
    if (roomId !== state.roomId) return;
    prependPage(page);
    const list = $("#messages");
    list.scrollTop = list.scrollHeight;
  } catch (error) {
    toast(error);
  }
  for (const element of $("#send-form").elements) element.disabled = false;
  $("#send-form").content.focus();
}

$("#send-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = event.target.content;
  const content = input.value;
  if (!content.trim() || state.roomId === null) return;
  stopTyping();
  state.socket.emit("send_message", { roomId: state.roomId, content }, (ack) => {
    if (!ack.ok) return toast(ack.error);
    appendMessage(ack.message);
  });
  input.value = "";
});

// Typing --------------------------------------------------------------------------------------------------------

function stopTyping() {
  clearTimeout(state.typingTimer);
  if (state.typingSent && state.roomId !== null) state.socket.emit("typing", { roomId: state.roomId, isTyping: false });
  state.typingSent = false;
}

$("#send-form").content.addEventListener("input", (event) => {
  if (state.roomId === null) return;
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

// Presence ------------------------------------------------------------------------------------------------------

function renderOnline() {
  $("#online").replaceChildren(
    ...[...state.online.keys()].map((userId) => {
      const item = document.createElement("li");
      item.dataset.userId = userId;
      item.textContent = userLabel(userId);
      return item;
    }),
  );
}

function onUserStatus({ userId, status }) {
  if (status === "online") state.online.set(userId, true);
  else state.online.delete(userId);
  if (status === "offline") onTyping({ roomId: state.roomId, userId, isTyping: false });
  renderOnline();
}

// Start ---------------------------------------------------------------------------------------------------------

function start() {
  $("#auth-view").hidden = true;
  $("#chat-view").hidden = false;
  $("#logout").hidden = false;
  $("#me").textContent = `${state.user.name} <${state.user.email}>`;
  state.online.set(state.user.id, true);
  renderOnline();

  const socket = io({ auth: { token: state.token }, transports: ["websocket"] });
  state.socket = socket;
  socket.on("connect", () => {
    $("#connection").textContent = "online";
    $("#connection").classList.add("online");
    if (state.roomId === null) return;
    // Back after a drop: catch up on what was missed while offline (ids already shown are skipped).
    const after = Math.max(0, ...state.seen);
    socket.emit("join_room", { roomId: state.roomId, after }, (ack) => {
      if (ack.ok) (ack.messages || []).forEach(appendMessage);
    });
  });
  socket.on("disconnect", () => {
    $("#connection").textContent = "offline";
    $("#connection").classList.remove("online");
  });
  socket.on("connect_error", (error) => {
    toast(error.data || { code: "connect_error", message: error.message });
    if (error.data && ["invalid_token", "not_authenticated"].includes(error.data.code)) logout();
  });
  socket.on("receive_message", appendMessage);
  socket.on("typing", onTyping);
  socket.on("user_status", onUserStatus);
  socket.on("member_joined", ({ userId, name }) => state.names.set(userId, name));
  socket.on("user_updated", ({ userId, name }) => {
    state.names.set(userId, name);
    renderOnline();
  });
  socket.on("error", toast);
  loadRooms().catch(toast);
}

if (state.token && state.user) start();
