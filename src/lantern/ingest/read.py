"""Reading source files into an all-text frame, so every value is validated by us, with its row."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from lantern.errors import ValidationFailed
from lantern.ingest.profile import FileFormat, Profile

ROW = "__row"  # 1-based data row number (the header is not a row)


def detect_format(path: Path, profile: Profile) -> FileFormat:
    """The file's format from the profile, else from its extension (.gz is looked through)."""
    if profile.format:
        return profile.format
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    last = suffixes[-1] if suffixes else ""
    mapping: dict[str, FileFormat] = {
        ".csv": "csv",
        ".tsv": "tsv",
        ".tab": "tsv",
        ".json": "json",
        ".ndjson": "ndjson",
        ".jsonl": "ndjson",
        ".parquet": "parquet",
    }
    if last not in mapping:
        raise ValidationFailed(
            f"{path.name}: cannot tell the format from the extension {last or '(none)'}; "
            "set `format` in the profile (csv, tsv, json, ndjson, parquet)"
        )
    return mapping[last]


def read_table(path: Path, profile: Profile) -> pl.DataFrame:
    """Read the file as text columns plus ``__row``; raise ValidationFailed if unreadable."""
    if not path.is_file():
        raise ValidationFailed(f"{path}: no such file")
    fmt = detect_format(path, profile)
    try:
        if fmt in ("csv", "tsv"):
            frame = pl.read_csv(
                path,
                separator="\t" if fmt == "tsv" else ",",
                infer_schema=False,
                encoding=profile.encoding,
            )
        elif fmt == "json":
            frame = pl.read_json(path, infer_schema_length=None)
        elif fmt == "ndjson":
            frame = pl.read_ndjson(path, infer_schema_length=None)
        else:
            frame = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise ValidationFailed(f"{path.name}: cannot be read as {fmt}: {exc}") from exc
    frame = frame.with_columns(pl.all().cast(pl.String))
    return frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
