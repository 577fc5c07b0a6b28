"""The realtime half of messaging: the Socket.IO namespace, its protocol adapter, the group-commit writer and the
event reference."""
