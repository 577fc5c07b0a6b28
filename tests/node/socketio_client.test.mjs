// Compatibility of the Socket.IO server with the official JavaScript client (socket.io-client 4.x).
// Run by messaging/tests/test_node_client.py, which starts the server and creates the users and rooms below.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { io } from "socket.io-client";

function requireEnv(name) {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (run through pytest: messaging/tests/test_node_client.py)`);
  return value;
}

const SERVER_URL = requireEnv("SERVER_URL");
const TOKEN_A = requireEnv("TOKEN_A");
const TOKEN_B = requireEnv("TOKEN_B");
const ROOM_ID = Number(requireEnv("ROOM_ID"));
const PRIVATE_ROOM_ID = Number(requireEnv("PRIVATE_ROOM_ID"));
const USER_A_ID = Number(requireEnv("USER_A_ID"));
const USER_B_ID = Number(requireEnv("USER_B_ID"));

const TEST_TIMEOUT_MS = 15_000;
const EVENT_TIMEOUT_MS = 5_000;
// How long to listen for an event that must not come.
const QUIET_MS = 500;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

// Every socket opened here, so that a failing test still leaves nothing open and the process exits.
const opened = new Set();

after(() => {
  for (const socket of opened) socket.close();
});

function open(options = {}) {
  const socket = io(SERVER_URL, { reconnection: false, forceNew: true, ...options });
  opened.add(socket);
  return socket;
}

function close(...sockets) {
  for (const socket of sockets) {
    socket.close();
    opened.delete(socket);
  }
}

/** Resolves with the first `event` that satisfies `accept`; rejects after `ms`. */
function next(socket, event, { accept = () => true, ms = EVENT_TIMEOUT_MS } = {}) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no ${event} event within ${ms} ms`));
    }, ms);
    function listener(payload) {
      if (!accept(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    }
    socket.on(event, listener);
  });
}

/** Resolves once `event` has not come (matching `accept`) for `ms`; rejects with what came. */
function quiet(socket, event, { accept = () => true, ms = QUIET_MS } = {}) {
  return new Promise((resolve, reject) => {
    function listener(payload) {
      if (!accept(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      reject(new Error(`unexpected ${event} event: ${JSON.stringify(payload)}`));
    }
    const timer = setTimeout(() => {
      socket.off(event, listener);
      resolve();
    }, ms);
    socket.on(event, listener);
  });
}

/** Opens a socket and resolves once it is connected; rejects with the connect_error. */
async function connect(options) {
  const socket = open(options);
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  return socket;
}

/** Opens a socket that the server must refuse; resolves with the connect_error. */
async function refused(options) {
  const socket = open(options);
  try {
    return await new Promise((resolve, reject) => {
      socket.once("connect", () => reject(new Error("the server accepted the connection")));
      socket.once("connect_error", resolve);
    });
  } finally {
    close(socket);
  }
}

function ack(socket, event, payload) {
  return socket.timeout(EVENT_TIMEOUT_MS).emitWithAck(event, payload);
}

function assertIsoUtc(value, what) {
  assert.equal(typeof value, "string", `${what} is a string`);
  assert.match(value, ISO_UTC, `${what} is an ISO 8601 UTC time`);
  assert.ok(!Number.isNaN(Date.parse(value)), `${what} parses as a date`);
}

// First, while user B has never connected: B's first connection is announced online, its last one offline.
describe("user_status", { timeout: TEST_TIMEOUT_MS }, () => {
  test("co-members see a user come online and go offline with lastSeen", async () => {
    const a = await connect({ auth: { token: TOKEN_A } });
    const fromB = (status) => ({ accept: (event) => event.userId === USER_B_ID && event.status === status });
    try {
      const online = next(a, "user_status", fromB("online"));
      const b1 = await connect({ auth: { token: TOKEN_B } });
      assert.deepEqual(await online, { userId: USER_B_ID, status: "online" });

      // A second tab neither announces online again nor, when it closes, offline.
      const secondOnline = quiet(a, "user_status", fromB("online"));
      const b2 = await connect({ auth: { token: TOKEN_B } });
      await secondOnline;
      const earlyOffline = quiet(a, "user_status", fromB("offline"));
      close(b2);
      await earlyOffline;

      const offline = next(a, "user_status", fromB("offline"));
      close(b1);
      const event = await offline;
      assert.equal(event.userId, USER_B_ID);
      assert.equal(event.status, "offline");
      assertIsoUtc(event.lastSeen, "lastSeen");
    } finally {
      close(a);
    }
  });
});

describe("connecting", { timeout: TEST_TIMEOUT_MS }, () => {
  test("auth: {token} over websocket only", async () => {
    const socket = await connect({ auth: { token: TOKEN_A }, transports: ["websocket"] });
    try {
      assert.equal(socket.connected, true);
      assert.equal(socket.io.engine.transport.name, "websocket");
      assert.equal((await ack(socket, "join_room", { roomId: ROOM_ID })).ok, true);
    } finally {
      close(socket);
    }
  });

  test("auth: {token} over the default transports, polling then upgrading to websocket", async () => {
    const socket = open({ auth: { token: TOKEN_A } });
    try {
      let firstTransport;
      const upgraded = new Promise((resolve, reject) => {
        socket.io.once("open", () => {
          firstTransport = socket.io.engine.transport.name;
          socket.io.engine.once("upgrade", (transport) => resolve(transport.name));
          socket.io.engine.once("upgradeError", reject);
        });
      });
      await next(socket, "connect");
      assert.equal(firstTransport, "polling");
      assert.equal((await ack(socket, "join_room", { roomId: ROOM_ID })).ok, true); // over polling, most likely
      assert.equal(await upgraded, "websocket");
      assert.equal((await ack(socket, "join_room", { roomId: ROOM_ID })).ok, true);
    } finally {
      close(socket);
    }
  });

  test("Authorization: Bearer header (extraHeaders), polling and upgrade", async () => {
    const socket = await connect({ extraHeaders: { Authorization: `Bearer ${TOKEN_A}` } });
    try {
      assert.equal((await ack(socket, "join_room", { roomId: ROOM_ID })).ok, true);
    } finally {
      close(socket);
    }
  });

  test("?token= query parameter over websocket", async () => {
    const socket = await connect({ query: { token: TOKEN_A }, transports: ["websocket"] });
    try {
      assert.equal((await ack(socket, "join_room", { roomId: ROOM_ID })).ok, true);
    } finally {
      close(socket);
    }
  });

  test("a bad token is refused with invalid_token", async () => {
    const err = await refused({ auth: { token: "not-a-token" } });
    assert.equal(typeof err.message, "string");
    assert.ok(err.message.length > 0, "the refusal has a message");
    assert.equal(err.data?.code, "invalid_token");
  });

  test("no token is refused with not_authenticated", async () => {
    const err = await refused({ transports: ["websocket"] });
    assert.equal(typeof err.message, "string");
    assert.ok(err.message.length > 0, "the refusal has a message");
    assert.equal(err.data?.code, "not_authenticated");
  });
});

describe("rooms and messages", { timeout: TEST_TIMEOUT_MS }, () => {
  test("both join, A sends, the ack carries the stored message and both receive it", async () => {
    const a = await connect({ auth: { token: TOKEN_A } });
    const b = await connect({ auth: { token: TOKEN_B }, transports: ["websocket"] });
    try {
      for (const socket of [a, b]) {
        const joined = await ack(socket, "join_room", { roomId: ROOM_ID });
        assert.equal(joined.ok, true, JSON.stringify(joined));
        assert.equal(joined.room.id, ROOM_ID);
      }
      const content = "hello from node 👋";
      const received = [a, b].map((socket) =>
        next(socket, "receive_message", { accept: (message) => message.content === content }),
      );
      const sent = await ack(a, "send_message", { roomId: ROOM_ID, content });
      assert.equal(sent.ok, true, JSON.stringify(sent));
      const { message } = sent;
      assert.ok(Number.isInteger(message.id), "message.id is an integer");
      assert.equal(message.roomId, ROOM_ID);
      assert.equal(message.senderId, USER_A_ID);
      assert.equal(message.content, content);
      assertIsoUtc(message.createdAt, "createdAt");
      for (const event of await Promise.all(received)) {
        assert.deepEqual(event, message);
      }
    } finally {
      close(a, b);
    }
  });

  test("typing reaches the others in the room and is not echoed to the sender", async () => {
    const a = await connect({ auth: { token: TOKEN_A }, transports: ["websocket"] });
    const b = await connect({ auth: { token: TOKEN_B }, transports: ["websocket"] });
    try {
      for (const socket of [a, b]) {
        assert.equal((await ack(socket, "join_room", { roomId: ROOM_ID })).ok, true);
      }
      const atB = next(b, "typing");
      const atA = quiet(a, "typing");
      const acked = await ack(a, "typing", { roomId: ROOM_ID, isTyping: true });
      assert.equal(acked.ok, true, JSON.stringify(acked));
      assert.deepEqual(await atB, { roomId: ROOM_ID, userId: USER_A_ID, isTyping: true });
      await atA;
    } finally {
      close(a, b);
    }
  });

  test("joining a private room one is not a member of is refused as if it did not exist", async () => {
    const b = await connect({ auth: { token: TOKEN_B }, transports: ["websocket"] });
    try {
      const refusal = await ack(b, "join_room", { roomId: PRIVATE_ROOM_ID });
      assert.equal(refusal.ok, false);
      assert.equal(refusal.error.code, "room_not_found");
      assert.equal(typeof refusal.error.message, "string");
      assert.ok(refusal.error.message.length > 0);
    } finally {
      close(b);
    }
  });

  test("a failing event sent without an ack callback produces an error event", async () => {
    const a = await connect({ auth: { token: TOKEN_A }, transports: ["websocket"] });
    try {
      const error = next(a, "error");
      a.emit("send_message", { roomId: ROOM_ID, content: "" });
      const event = await error;
      assert.equal(event.code, "validation_error");
      assert.equal(typeof event.message, "string");
      assert.ok(event.message.length > 0);
      assert.equal(event.event, "send_message");
      // The connection goes on after the refusal.
      assert.equal((await ack(a, "join_room", { roomId: ROOM_ID })).ok, true);
    } finally {
      close(a);
    }
  });

  test("a 100,000-character message is a validation error and the connection stays up (1 MB packets)", async () => {
    const a = await connect({ auth: { token: TOKEN_A }, transports: ["websocket"] });
    try {
      const refusal = await ack(a, "send_message", { roomId: ROOM_ID, content: "x".repeat(100_000) });
      assert.equal(refusal.ok, false);
      assert.equal(refusal.error.code, "validation_error");
      assert.equal(a.connected, true);
      assert.equal((await ack(a, "join_room", { roomId: ROOM_ID })).ok, true);
    } finally {
      close(a);
    }
  });
});
