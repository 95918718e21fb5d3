"""In-process publish/subscribe for server-sent events.

Services queue events on their session (``publish``); they are delivered only after the
transaction commits, so a subscriber never sees a change that was rolled back. Publishing is
thread-safe: sync routes run in worker threads, subscribers live on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

QUEUE_LIMIT = 1000  # a subscriber that falls this far behind is dropped (it reconnects and reloads)


@dataclass(eq=False)  # identity semantics: subscribers live in a set
class Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    dropped: bool = False


class Broker:
    """Fan-out of committed events to every live subscriber of this process."""

    def __init__(self) -> None:
        self._subscribers: set[Subscriber] = set()
        self._lock = threading.Lock()
        self.published = 0

    def subscribe(self) -> Subscriber:
        subscriber = Subscriber(asyncio.get_running_loop())
        with self._lock:
            self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(subscriber)

    def deliver(self, events: list[dict[str, Any]]) -> None:
        """Hand events to every subscriber (from any thread)."""
        with self._lock:
            subscribers = list(self._subscribers)
        self.published += len(events)
        for subscriber in subscribers:
            for item in events:
                with contextlib.suppress(RuntimeError):  # the subscriber's loop has closed
                    subscriber.loop.call_soon_threadsafe(_put, subscriber, item)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)


def _put(subscriber: Subscriber, item: dict[str, Any]) -> None:
    try:
        subscriber.queue.put_nowait(item)
    except asyncio.QueueFull:
        subscriber.dropped = True


def publish(session: Session, kind: str, data: dict[str, Any]) -> None:
    """Queue an event to go out when ``session`` commits (dropped on rollback)."""
    session.info.setdefault("live_events", []).append({"event": kind, "data": data})


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    events = session.info.pop("live_events", None)
    broker = session.info.get("broker")
    if events and broker is not None:
        broker.deliver(events)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop("live_events", None)
