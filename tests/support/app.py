"""An app over the test's own connection, so its work is rolled back with the test."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lantern.app import create_app
from lantern.config import Settings
from lantern.kit.time import FakeClock
from lantern.runtime import Runtime


def app_for(session: Session, settings: Settings, engine: Engine, clock: FakeClock) -> FastAPI:
    connection = session.connection()
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False, info=dict(session.info)
    )
    runtime = Runtime(settings=settings, engine=engine, sessions=factory, clock=clock, keyring=session.info["keyring"])
    factory.kw["info"]["broker"] = runtime.broker
    factory.kw["info"]["settings"] = settings
    return create_app(runtime=runtime, scheduler=False)
