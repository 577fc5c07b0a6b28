"""Print where `make run` serves once the server answers: `announce.py PORT SERVER_PID` (standard library only).

It waits for /api/live and gives up quietly when the server process exits first or after two minutes.
"""

import os
import sys
import time
import urllib.request


def main(port: int, server_pid: int) -> None:
    base = f"http://localhost:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            os.kill(server_pid, 0)
        except OSError:
            return  # the server is gone: it printed why
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/live", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    else:
        return
    print(
        f"\n==> chatbackend is serving {base}/ (Ctrl-C stops it)\n"
        f"    demo client      {base}/\n"
        f"    API docs         {base}/api/docs/   (ReDoc {base}/api/docs/redoc/, schema {base}/api/schema/)\n"
        f"    Socket.IO events {base}/api/docs/socketio/\n"
        f"    health           {base}/api/health\n"
        "    demo users       .venv/bin/python manage.py seed_demo\n",
        flush=True,
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
