// The benchmark's load generator: many Socket.IO v5 clients in one Node process, speaking the wire protocol over
// raw websockets (the `ws` package) so that the generator, not the protocol library, sets its own ceiling.
//
// Usage: node bench/loadgen.mjs CONFIG.json   (written by bench/run.py)
// Output: JSON lines on stdout: {"mark": name, ...} at phase boundaries (the runner samples the server's CPU,
// RSS or the database there; a mark with "wait": true blocks until the runner writes a line on stdin), then one
// {"result": {...}} line. Every loop is bounded: the whole run exits after config.maxSeconds.
//
// Wire protocol (Engine.IO 4 / Socket.IO 5 over websocket): server "0{...}" open, client "40{auth}" connect,
// server "40{sid}" connected or "44{...}" refused, "42[event, data]" events, "42<id>[...]" an event with an ack
// request, "43<id>[ack]" the ack, "2" ping answered by "3".

import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { readFileSync } from "node:fs";
import WebSocket from "ws";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const deadline = setTimeout(() => {
  emit({ error: `loadgen exceeded ${config.maxSeconds}s` });
  process.exit(2);
}, config.maxSeconds * 1000);

const stdinLines = createInterface({ input: process.stdin });
const waiting = [];
stdinLines.on("line", () => waiting.shift()?.());

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function mark(name, extra = {}, wait = false) {
  emit({ mark: name, wait, ...extra });
  return wait ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Receive-side bookkeeping of the current level: latency samples of messages sent inside the measured window.
const level = { id: -1, windowStart: 0, windowEnd: 0, latencies: [], received: 0, arrivals: 0, lastReceive: 0 };
const counters = { connectErrors: 0, ackErrors: 0, disconnects: 0, errorCodes: {} };

class Client {
  constructor(url, token, rooms) {
    this.url = url;
    this.token = token;
    this.rooms = rooms;
    this.nextAck = 0;
    this.pending = new Map();
    this.ws = null;
    this.connected = false;
  }

  connect(timeoutMs) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false, "timeout"), timeoutMs);
      const done = (ok, why) => {
        clearTimeout(timer);
        if (!ok) {
          counters.connectErrors += 1;
          counters.errorCodes[why] = (counters.errorCodes[why] || 0) + 1;
          this.ws?.terminate();
        }
        resolve(ok);
      };
      this.onConnected = done;
      this.ws = new WebSocket(this.url, { perMessageDeflate: false });
      this.ws.on("message", (data) => this.onMessage(data.toString()));
      this.ws.on("error", (err) => done(false, err.code || "ws_error"));
      this.ws.on("close", () => {
        if (this.connected) counters.disconnects += 1;
        this.connected = false;
      });
    });
  }

  onMessage(text) {
    const type = text.charCodeAt(0);
    if (type === 50 /* "2" ping */) {
      this.ws.send("3");
    } else if (type === 48 /* "0" open */) {
      this.ws.send(this.token ? "40" + JSON.stringify({ token: this.token }) : "40");
    } else if (type === 52 /* "4" message */) {
      const kind = text.charCodeAt(1);
      if (kind === 50 /* "2" event */) {
        const [name, data] = JSON.parse(text.slice(2));
        if (name === "receive_message") onReceive(data);
      } else if (kind === 51 /* "3" ack */) {
        const bracket = text.indexOf("[");
        const id = Number(text.slice(2, bracket));
        const entry = this.pending.get(id);
        if (entry) {
          this.pending.delete(id);
          entry(JSON.parse(text.slice(bracket))[0]);
        }
      } else if (kind === 48 /* "0" connected */) {
        this.connected = true;
        this.onConnected(true);
      } else if (kind === 52 /* "4" refused */) {
        this.onConnected(false, "refused");
      }
    }
  }

  request(event, data) {
    const id = this.nextAck++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(`42${id}${JSON.stringify([event, data])}`);
    });
  }
}

function onReceive(message) {
  const now = performance.now();
  if (now >= level.windowStart && now < level.windowEnd) level.arrivals += 1;
  const bar = message.content.indexOf("|");
  if (bar < 0 || Number(message.content.slice(0, bar)) !== level.id) return;
  const sentAt = Number(message.content.slice(bar + 1));
  level.lastReceive = now;
  if (sentAt >= level.windowStart && sentAt < level.windowEnd) {
    level.received += 1;
    level.latencies.push(now - sentAt);
  }
}

function percentile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function countError(ack) {
  counters.ackErrors += 1;
  const code = ack?.error?.code || "unknown";
  counters.errorCodes[code] = (counters.errorCodes[code] || 0) + 1;
}

async function connectAll(clients, concurrency, timeoutMs) {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < clients.length) {
      const client = clients[next++];
      await client.connect(timeoutMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, clients.length) }, worker));
  const seconds = (performance.now() - started) / 1000;
  const connected = clients.filter((c) => c.connected).length;
  return { connected, seconds, connectsPerSec: connected / seconds };
}

async function joinAll(clients, concurrency) {
  let next = 0;
  const worker = async () => {
    while (next < clients.length) {
      const client = clients[next++];
      if (!client.connected) continue;
      for (const roomId of client.rooms) {
        const ack = await client.request("join_room", { roomId });
        if (!ack?.ok) countError(ack);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, clients.length) }, worker));
}

// One level of open-loop load: `rate` deliveries/s offered (sends/s = rate / roomSize), sent round-robin by the
// senders on a fixed schedule whatever the server's answers; measured over the window after the warm-up.
async function runLevel(id, senders, rate, plan) {
  const sendRate = rate / plan.roomSize;
  const warm = plan.warmMs;
  const total = plan.warmMs + plan.measureMs;
  const ackLatencies = [];
  let sent = 0;
  let sentInWindow = 0;
  let skipped = 0;
  let acksOk = 0;
  const t0 = performance.now();
  Object.assign(level, {
    id,
    windowStart: t0 + warm,
    windowEnd: t0 + total,
    latencies: [],
    received: 0,
    arrivals: 0,
    lastReceive: t0,
  });
  const errorsBefore = counters.ackErrors;
  let measuring = false;
  let cpuAtStart = null;
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      if (!measuring && now >= t0 + warm) {
        measuring = true;
        cpuAtStart = process.cpuUsage();
        mark("measure_start", { level: id });
      }
      const elapsed = Math.min(now - t0, total);
      const due = Math.floor((elapsed * sendRate) / 1000) - sent;
      for (let i = 0; i < due; i++) {
        const sender = senders[sent % senders.length];
        sent += 1;
        if (!sender.client.connected || sender.client.pending.size >= plan.maxInFlight) {
          skipped += 1;
          continue;
        }
        const sentAt = performance.now();
        const inWindow = sentAt >= level.windowStart && sentAt < level.windowEnd;
        if (inWindow) sentInWindow += 1;
        sender.client
          .request("send_message", { roomId: sender.roomId, content: `${id}|${sentAt}` })
          .then((ack) => {
            const now2 = performance.now();
            if (!ack?.ok) return countError(ack);
            if (now2 >= level.windowStart && now2 < level.windowEnd) acksOk += 1;
            if (inWindow) ackLatencies.push(now2 - sentAt);
          });
      }
      if (now - t0 >= total) {
        clearInterval(tick);
        const cpu = process.cpuUsage(cpuAtStart);
        level.generatorCpu = (cpu.user + cpu.system) / 1e6 / (plan.measureMs / 1000);
        mark("measure_end", { level: id });
        resolve();
      }
    }, 2);
  });
  // Drain: wait for the window's messages, at most drainMs, or until nothing has arrived for quietMs.
  const expected = sentInWindow * plan.roomSize;
  const drainStart = performance.now();
  while (performance.now() - drainStart < plan.drainMs) {
    if (level.received >= expected) break;
    if (performance.now() - level.lastReceive > plan.quietMs) break;
    await sleep(20);
  }
  const sorted = level.latencies.sort((a, b) => a - b);
  const acksSorted = ackLatencies.sort((a, b) => a - b);
  const seconds = plan.measureMs / 1000;
  const result = {
    level: id,
    offered: rate,
    sendRate,
    sent,
    skipped,
    expected,
    delivered: level.received,
    deliveredPerSec: level.received / seconds,
    lossRatio: expected ? 1 - level.received / expected : 0,
    arrivalsPerSec: level.arrivals / seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : null,
    acksOkPerSec: acksOk / seconds,
    ackP50: percentile(acksSorted, 0.5),
    ackP99: percentile(acksSorted, 0.99),
    errors: counters.ackErrors - errorsBefore,
    generatorCpu: level.generatorCpu,
  };
  result.pass =
    result.p99 !== null && result.p99 < plan.p99LimitMs && result.lossRatio <= 0.01 && result.errors === 0 && skipped === 0;
  emit({ level: result });
  // Let a failed level's backlog leave the server before the next one starts.
  await sleep(plan.pauseMs);
  return result;
}

// Open-loop sweep: raise the rate by `factor` while levels pass, then bisect between the last pass and the first
// failure `refine` times; the answer is the best delivered/s of a passing level.
async function sweep(senders, plan) {
  const levels = [];
  let id = 0;
  let lo = null;
  let hi = null;
  let rate = plan.startRate;
  while (levels.length < plan.maxLevels) {
    const result = await runLevel(id++, senders, rate, plan);
    levels.push(result);
    if (result.pass) lo = rate;
    else hi = rate;
    if (hi === null) rate = rate * plan.factor;
    else if (lo === null) rate = rate / (plan.factor * plan.factor); // descend fast: a noisy round must still land
    else if (hi / lo > 1 + plan.resolution) rate = Math.sqrt(lo * hi);
    else break;
  }
  const passing = levels.filter((l) => l.pass);
  const best = passing.length ? passing.reduce((a, b) => (b.deliveredPerSec > a.deliveredPerSec ? b : a)) : null;
  let half = null;
  if (best && plan.halfCheck) half = await runLevel(id++, senders, best.offered / 2, plan);
  return { levels, best, half };
}

async function main() {
  const clients = config.clients.map((c) => new Client(config.urls[c.server || 0], c.token, c.rooms));
  if (config.mode === "idle") {
    const warm = clients.slice(0, config.warm);
    const rest = clients.slice(config.warm);
    const warmStats = await connectAll(warm, config.connectConcurrency, config.connectTimeoutMs);
    await mark("warm", warmStats, true);
    const stats = await connectAll(rest, config.connectConcurrency, config.connectTimeoutMs);
    await sleep(config.holdMs);
    const held = rest.filter((c) => c.connected).length;
    await mark("connected", { ...stats, held }, true);
    emit({ result: { ...stats, held, counters } });
  } else {
    const stats = await connectAll(clients, config.connectConcurrency, config.connectTimeoutMs);
    await joinAll(clients, config.connectConcurrency);
    await mark("ready", stats);
    const senders = config.senders.map((s) => ({ client: clients[s.client], roomId: s.roomId }));
    const plan = config.plan;
    if (plan.fixed) {
      const levels = [];
      for (let i = 0; i < plan.fixed.length; i++) {
        levels.push(await runLevel(i, senders, plan.fixed[i], plan));
      }
      emit({ result: { connect: stats, levels, counters } });
    } else {
      emit({ result: { connect: stats, ...(await sweep(senders, plan)), counters } });
    }
  }
  for (const client of clients) client.ws?.terminate();
  clearTimeout(deadline);
  stdinLines.close();
  process.exit(0);
}

main().catch((err) => {
  emit({ error: String(err && err.stack ? err.stack : err) });
  process.exit(1);
});
