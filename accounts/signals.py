"""What accounts tells the layers above it: `sessions_ended` (user_id=...), sent once the end of a user's sessions
(deactivation, new password, deletion, logout) is committed. Presence answers it by closing the user's sockets.

A signal because accounts sits below presence and the Socket.IO server, which it must not import.
"""

from django.dispatch import Signal

sessions_ended = Signal()
