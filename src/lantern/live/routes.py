"""GET /api/live: server-sent events of incidents, units and alerts within the reader's scope."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from lantern.kit.scope import RowScope
from lantern.live.broker import Broker
from lantern.security.policy import Principal
from lantern.web.auth import require

router = APIRouter(tags=["live"])
KEEPALIVE_S = 15.0


def _visible(scope: RowScope, data: dict[str, Any]) -> bool:
    if "district_id" not in data and "restricted" not in data:
        return True
    return scope.allows(data.get("district_id"), bool(data.get("restricted", False)))


@router.get("/api/live", response_class=StreamingResponse)
async def live(request: Request, principal: Annotated[Principal, require("incident:read")]) -> StreamingResponse:
    """Server-sent events: ``incident``, ``unit`` and ``alert`` changes as they commit."""
    broker: Broker = request.app.state.runtime.broker
    scope = principal.row_scope()
    subscriber = broker.subscribe()

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 2000\n: connected\n\n"
            while True:
                try:
                    item = await asyncio.wait_for(subscriber.queue.get(), timeout=KEEPALIVE_S)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield b": keepalive\n\n"
                    continue
                if subscriber.dropped:
                    yield b"event: reload\ndata: {}\n\n"
                    return
                if _visible(scope, item["data"]):
                    payload = json.dumps(item["data"], separators=(",", ":"), default=str)
                    yield f"event: {item['event']}\ndata: {payload}\n\n".encode()
        finally:
            broker.unsubscribe(subscriber)

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
