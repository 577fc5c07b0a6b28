// The peer benchmark's load generator: the official socket.io-client, used as a frontend uses it. Every client
// connects over websocket with `auth: {token}`, joins its room (with an ack, as setup), and sends with
// `socket.emit("send_message", {roomId, content})`: no ack callback, so a failure arrives as the `error` event.
// The receivers measure end-to-end latency from the send time carried in the content.
//
// Usage: node bench/sioload.mjs CONFIG.json   (written by bench/peers.py through bench/driver.py)
// Output: JSON lines: {"mark": ...} at each level's measured window (the runner samples the server's CPU there),
// {"level": ...} per level, then {"result": {...}}. Bounded: the whole run exits after config.maxSeconds.
//
// A level offers `rate` sends/s for warmMs + measureMs, round-robin over the senders on a fixed schedule (open
// loop). It passes when p99 < p99LimitMs, no send of the window is lost (every member received it) and no error
// came back. The sweep starts at startRate, multiplies by `factor` while levels pass, then bisects.

import { performance } from "node:perf_hooks";
import { readFileSync } from "node:fs";
import { io } from "socket.io-client";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const deadline = setTimeout(() => {
  emit({ error: `sioload exceeded ${config.maxSeconds}s` });
  process.exit(2);
}, config.maxSeconds * 1000);

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const level = { id: -1, windowStart: 0, windowEnd: 0, latencies: [], received: 0, lastReceive: 0 };
const counters = { connectErrors: 0, errors: 0, disconnects: 0, errorCodes: {} };

function onReceive(message) {
  const parts = message.content.split("|");
  if (Number(parts[0]) !== level.id) return;
  level.all += 1; // every delivery of this level's sends, in the window or not
  const now = performance.now();
  const sentAt = Number(parts[1]);
  level.lastReceive = now;
  if (sentAt >= level.windowStart && sentAt < level.windowEnd) {
    level.received += 1;
    level.latencies.push(now - sentAt);
  }
}

function connect(url, token) {
  return new Promise((resolve) => {
    const socket = io(url, { transports: ["websocket"], auth: { token }, reconnection: false, timeout: 20_000 });
    socket.on("connect", () => resolve(socket));
    socket.on("connect_error", (err) => {
      counters.connectErrors += 1;
      counters.errorCodes[err.message] = (counters.errorCodes[err.message] || 0) + 1;
      resolve(null);
    });
    socket.on("receive_message", onReceive);
    socket.on("error", (error) => {
      counters.errors += 1;
      const code = error?.code || "unknown";
      counters.errorCodes[code] = (counters.errorCodes[code] || 0) + 1;
    });
    socket.on("disconnect", () => (counters.disconnects += 1));
  });
}

async function inBatches(items, size, fn) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

const percentile = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null);

async function runLevel(id, senders, rate, plan) {
  emit({ mark: "level_start", level: id });
  const t0 = performance.now();
  Object.assign(level, { id, windowStart: t0 + plan.warmMs, windowEnd: t0 + plan.warmMs + plan.measureMs });
  Object.assign(level, { latencies: [], received: 0, all: 0, lastReceive: t0 });
  const errorsBefore = counters.errors;
  const disconnectsBefore = counters.disconnects;
  const total = plan.warmMs + plan.measureMs;
  let sent = 0;
  let sentInWindow = 0;
  let measuring = false;
  let cpuAtStart = null;
  let generatorCpu = 0;
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      if (!measuring && now >= level.windowStart) {
        measuring = true;
        cpuAtStart = process.cpuUsage();
        emit({ mark: "measure_start", level: id });
      }
      const due = Math.floor((Math.min(now - t0, total) * rate) / 1000) - sent;
      for (let i = 0; i < due; i++) {
        const sender = senders[sent % senders.length];
        sent += 1;
        const sentAt = performance.now();
        if (sentAt >= level.windowStart && sentAt < level.windowEnd) sentInWindow += 1;
        sender.socket.emit("send_message", { roomId: sender.roomId, content: `${id}|${sentAt}` });
      }
      if (now - t0 >= total) {
        clearInterval(tick);
        const cpu = process.cpuUsage(cpuAtStart);
        generatorCpu = (cpu.user + cpu.system) / 1e6 / (plan.measureMs / 1000);
        emit({ mark: "measure_end", level: id });
        resolve();
      }
    }, 2);
  });
  const expected = sentInWindow * plan.roomSize;
  const drainStart = performance.now();
  while (performance.now() - drainStart < plan.drainMs && level.received < expected) await sleep(10);
  // For the cost of a send: wait until every send of the level arrived (or the drain ran out), then mark.
  while (performance.now() - drainStart < plan.drainMs && level.all < sent * plan.roomSize) await sleep(10);
  emit({ mark: "level_end", level: id });
  const sorted = level.latencies.sort((a, b) => a - b);
  const seconds = plan.measureMs / 1000;
  const result = {
    level: id,
    sendRate: rate,
    sentInWindow,
    expected,
    delivered: level.received,
    sent,
    deliveredAll: level.all,
    deliveredPerSec: level.received / seconds,
    sendsPerSec: level.received / plan.roomSize / seconds,
    lost: expected - level.received,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : null,
    errors: counters.errors - errorsBefore,
    disconnects: counters.disconnects - disconnectsBefore,
    generatorCpu,
  };
  result.pass = result.p99 !== null && result.p99 < plan.p99LimitMs && result.lost <= 0 && result.errors === 0;
  result.pass = result.pass && result.disconnects === 0;
  emit({ level: result });
  await sleep(plan.pauseMs); // let a failed level's backlog leave the server before the next one
  return result;
}

async function sweep(senders, plan) {
  const levels = [];
  let id = plan.firstLevelId || 0;
  let lo = null;
  let hi = null;
  let rate = plan.startRate;
  while (levels.length < plan.maxLevels) {
    const result = await runLevel(id++, senders, rate, plan);
    levels.push(result);
    if (result.pass) lo = rate;
    else hi = rate;
    if (hi === null) rate *= plan.factor;
    else if (lo === null) rate /= plan.factor * plan.factor;
    else if (hi / lo > 1 + plan.resolution) rate = Math.sqrt(lo * hi);
    else break;
    if (rate < 1) break;
  }
  const passing = levels.filter((l) => l.pass);
  const best = passing.length ? passing.reduce((a, b) => (b.sendRate > a.sendRate ? b : a)) : null;
  const half = best && plan.halfCheck ? await runLevel(id++, senders, best.sendRate / 2, plan) : null;
  return { levels, best, half };
}

async function main() {
  const started = performance.now();
  const sockets = await inBatches(config.clients, config.connectConcurrency, (c) => connect(config.url, c.token));
  const connectSeconds = (performance.now() - started) / 1000;
  await inBatches(config.clients.map((c, i) => [c, sockets[i]]), config.connectConcurrency, async ([c, socket]) => {
    for (const roomId of c.rooms) {
      const ack = await socket?.timeout(20_000).emitWithAck("join_room", { roomId }).catch(() => null);
      if (!ack?.ok) counters.errors += 1;
    }
  });
  const connected = sockets.filter(Boolean).length;
  emit({ mark: "ready", connected, connectSeconds });
  if (connected < config.clients.length || counters.errors) {
    emit({ result: { connected, counters, levels: [], best: null, half: null } });
  } else {
    const senders = config.senders.map((s) => ({ socket: sockets[s.client], roomId: s.roomId }));
    if (config.plan.fixed) {
      // Fixed rates, for the cost of a send at a given load (CPU per send), not the ceiling.
      const levels = [];
      for (let i = 0; i < config.plan.fixed.length; i++) levels.push(await runLevel(i, senders, config.plan.fixed[i], config.plan));
      emit({ result: { connected, connectSeconds, levels, best: null, half: null, counters } });
    } else {
      emit({ result: { connected, connectSeconds, ...(await sweep(senders, config.plan)), counters } });
    }
  }
  for (const socket of sockets) socket?.disconnect();
  clearTimeout(deadline);
  process.exit(0);
}

main().catch((err) => {
  emit({ error: String(err && err.stack ? err.stack : err) });
  process.exit(1);
});
