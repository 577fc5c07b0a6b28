"""How many `typing` events a connection may have relayed: a fixed budget per second, per connection."""

import time


class TypingRate:
    """Counts relayed typing events per connection in the current second; past the budget they are dropped."""

    def __init__(self, *, per_second: int) -> None:
        self.per_second = per_second
        self._spent: dict[str, tuple[int, int]] = {}  # sid -> (second, events relayed in it)

    def allow(self, sid: str) -> bool:
        second = int(time.monotonic())
        start, count = self._spent.get(sid, (second, 0))
        if start != second:
            start, count = second, 0
        if count >= self.per_second:
            return False
        self._spent[sid] = (start, count + 1)
        return True

    def forget(self, sid: str) -> None:
        self._spent.pop(sid, None)
