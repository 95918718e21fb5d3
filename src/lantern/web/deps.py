"""FastAPI dependencies as Annotated aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from lantern.config import Settings
from lantern.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_settings(request: Request) -> Settings:
    return get_runtime(request).settings


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed at the edge before the response is sent."""
    session = get_runtime(request).sessions()
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
