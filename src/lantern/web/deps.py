"""FastAPI dependencies as Annotated aliases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from lantern.config import Settings
from lantern.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# These two are ``async`` on purpose: FastAPI runs a plain ``def`` dependency in its thread
# pool, and two needless thread hops per request cost more than the page itself under load
# (100 concurrent clients on /portal: 109 -> see docs/benchmarks.md).
async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def get_settings(request: Request) -> Settings:
    return runtime_of(request).settings


# Requests that use the database at once. Sync handlers run in a pool of 40 threads; if more
# requests than that waited on SQLite's single writer, the one holding it could not get a
# thread to finish (50 concurrent intake clients: 3 calls/s, 80% errors). Waiting here, on the
# event loop, blocks no thread. SQLite has one writer anyway; PostgreSQL gets its pool size.
SQLITE_SLOTS = 1
POSTGRES_SLOTS = 12


async def db_slot(request: Request) -> AsyncIterator[None]:
    """Wait (without holding a thread) for a turn at the database."""
    state = request.app.state
    slots: asyncio.Semaphore | None = getattr(state, "db_slots", None)
    if slots is None:
        slots = state.db_slots = asyncio.Semaphore(
            SQLITE_SLOTS if runtime_of(request).settings.is_sqlite else POSTGRES_SLOTS
        )
    async with slots:
        yield


def get_session(request: Request, _slot: Annotated[None, Depends(db_slot, scope="function")]) -> Iterator[Session]:
    """One transaction per request, committed at the edge before the response is sent."""
    session = runtime_of(request).sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": the commit runs when the endpoint returns, before the response leaves,
# so a failed commit becomes an error response instead of a lost acknowledged write.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
