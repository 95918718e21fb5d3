"""Queries of the ingest domain (import batches); flushes, never commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantern.models import ImportBatch


def add_batch(session: Session, batch: ImportBatch) -> ImportBatch:
    session.add(batch)
    session.flush()
    return batch


def batches_for_file(session: Session, sha256: str) -> list[ImportBatch]:
    query = select(ImportBatch).where(ImportBatch.file_sha256 == sha256).order_by(ImportBatch.id)
    return list(session.scalars(query))


def list_batches(session: Session, limit: int) -> list[ImportBatch]:
    return list(session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)))
