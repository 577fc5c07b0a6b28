// The original stack, as its README describes it, for the benchmark to measure side by side: Express +
// socket.io 4 + mysql2, a JWT checked on the handshake, and per message one membership SELECT and one awaited
// autocommitted INSERT before the room hears it. Only the events the benchmark drives are here.
//
// Usage: PORT=3001 DATABASE_URL=mysql://root@127.0.0.1:3306/chat_bench_peer JWT_SECRET=... node bench/peers/original.mjs
// The schema (users, rooms, room_members, messages) is created if missing; bench/peers.py seeds it.

import { createServer } from "node:http";
import express from "express";
import jwt from "jsonwebtoken";
import mysql from "mysql2/promise";
import { Server } from "socket.io";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS users (
     id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(255) NOT NULL UNIQUE,
     password VARCHAR(255) NOT NULL, last_seen DATETIME NULL, created_at DATETIME DEFAULT CURRENT_TIMESTAMP
   ) CHARACTER SET utf8mb4`,
  `CREATE TABLE IF NOT EXISTS rooms (
     id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, is_private BOOLEAN DEFAULT FALSE,
     invite_code VARCHAR(32) UNIQUE, created_by INT, created_at DATETIME DEFAULT CURRENT_TIMESTAMP
   ) CHARACTER SET utf8mb4`,
  `CREATE TABLE IF NOT EXISTS room_members (
     room_id INT NOT NULL, user_id INT NOT NULL, joined_at DATETIME DEFAULT CURRENT_TIMESTAMP,
     PRIMARY KEY (room_id, user_id)
   ) CHARACTER SET utf8mb4`,
  `CREATE TABLE IF NOT EXISTS messages (
     id INT AUTO_INCREMENT PRIMARY KEY, room_id INT NOT NULL, sender_id INT NOT NULL, content TEXT NOT NULL,
     created_at DATETIME(3) DEFAULT CURRENT_TIMESTAMP(3), INDEX (room_id, created_at)
   ) CHARACTER SET utf8mb4`,
];

const secret = process.env.JWT_SECRET;
const pool = mysql.createPool({ uri: process.env.DATABASE_URL, connectionLimit: 10 });
for (const statement of SCHEMA) await pool.query(statement);

const app = express();
app.use(express.json());
app.get("/health", (_req, res) => res.json({ ok: true }));
const http = createServer(app);
const io = new Server(http, { cors: { origin: "*" } });

async function isMember(roomId, userId) {
  const [rows] = await pool.execute("SELECT 1 FROM room_members WHERE room_id = ? AND user_id = ?", [roomId, userId]);
  return rows.length > 0;
}

io.use((socket, next) => {
  try {
    socket.user = jwt.verify(socket.handshake.auth?.token, secret);
    next();
  } catch {
    next(new Error("Authentication error"));
  }
});

io.on("connection", (socket) => {
  const fail = (event, ack, code, message) =>
    ack ? ack({ ok: false, error: { code, message } }) : socket.emit("error", { code, message, event });

  socket.on("join_room", async ({ roomId } = {}, ack) => {
    try {
      if (!(await isMember(roomId, socket.user.id))) return fail("join_room", ack, "not_room_member", "Not a member");
      socket.join(`room:${roomId}`);
      ack?.({ ok: true, room: { id: roomId } });
    } catch (err) {
      fail("join_room", ack, "internal", String(err));
    }
  });

  socket.on("send_message", async ({ roomId, content } = {}, ack) => {
    try {
      const text = typeof content === "string" ? content.trim() : "";
      if (!text || text.length > 4000) return fail("send_message", ack, "validation_error", "Invalid content");
      if (!(await isMember(roomId, socket.user.id))) return fail("send_message", ack, "not_room_member", "Not a member");
      const [result] = await pool.execute("INSERT INTO messages (room_id, sender_id, content) VALUES (?, ?, ?)", [
        roomId,
        socket.user.id,
        text,
      ]);
      const message = {
        id: result.insertId,
        roomId,
        senderId: socket.user.id,
        content: text,
        createdAt: new Date().toISOString(),
      };
      io.to(`room:${roomId}`).emit("receive_message", message);
      ack?.({ ok: true, message });
    } catch (err) {
      fail("send_message", ack, "internal", String(err));
    }
  });

  socket.on("typing", ({ roomId, isTyping } = {}) => {
    socket.to(`room:${roomId}`).emit("typing", { roomId, userId: socket.user.id, isTyping: !!isTyping });
  });
});

http.listen(Number(process.env.PORT || 3001), "127.0.0.1");
