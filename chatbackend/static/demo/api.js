// The demo client's REST half: the signed-in session, JSON calls with the API's error shape, and error wording.
"use strict";

export const session = {
  token: localStorage.getItem("chat.token"),
  user: JSON.parse(localStorage.getItem("chat.user") || "null"),
  openRoomId: Number(localStorage.getItem("chat.roomId")) || null, // the room to reopen after a reload
};

export function saveSession({ token, user }) {
  Object.assign(session, { token, user });
  localStorage.setItem("chat.token", token);
  localStorage.setItem("chat.user", JSON.stringify(user));
}

export function rememberOpenRoom(roomId) {
  session.openRoomId = roomId;
  if (roomId === null) localStorage.removeItem("chat.roomId");
  else localStorage.setItem("chat.roomId", String(roomId));
}

export function clearSession() {
  for (const key of ["chat.token", "chat.user", "chat.roomId"]) localStorage.removeItem(key);
}

// fetch /api<path> with a JSON body (or FormData, as multipart); resolves with the JSON body, rejects with the
// API's {code, message, details?}.
export async function api(method, path, body) {
  const form = body instanceof FormData;
  const headers = form ? {} : { "Content-Type": "application/json" };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  let response;
  try {
    response = await fetch(`/api${path}`, { method, headers, body: form ? body : body && JSON.stringify(body) });
  } catch {
    throw { code: "network", message: "The server cannot be reached. Check your connection and try again." };
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    throw (data && data.error) || { code: `http_${response.status}`, message: response.statusText };
  }
  return data;
}

// An error as a person reads it: the server's message, the fields' details, the code for reference.
export function describe(error) {
  if (error.code === "rate_limited") {
    const seconds = Math.ceil((error.retryAfterMs || 1000) / 1000);
    return `Slow down: rate limited, try again in ${seconds}s.`;
  }
  if (error.code === "timeout") return "No answer from the server in time.";
  const details = error.details ? " " + Object.values(error.details).flat().join(" ") : "";
  return `${error.message || error.code}${details} (${error.code})`;
}

// Upload a file (POST /api/uploads): resolves with {id, name, size, contentType, url}.
export function upload(file) {
  const form = new FormData();
  form.append("file", file);
  return api("POST", "/uploads", form);
}

// An attachment's bytes: its url needs the bearer token, so it is fetched and handed over as a blob URL.
export async function attachmentBlobUrl(url) {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${session.token}` } });
  if (!response.ok) throw ((await response.json().catch(() => null)) || {}).error || { code: `http_${response.status}` };
  return URL.createObjectURL(await response.blob());
}
