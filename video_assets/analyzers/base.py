"""What every analyzer core shares: its result, its parity report, and small table helpers."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa


@dataclass
class AnalyzerResult:
    """tables: the analyzer's named tables, the main one first; stats: numbers for metadata
    (frames processed, tokens, ...); notes: human-readable caveats for metadata; images: small
    PNGs for the UI (name -> bytes)."""

    tables: dict[str, pd.DataFrame]
    stats: dict[str, float | int | str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)


@dataclass
class ParityReport:
    """score in [0, 1]: 1 means the optimized output matches the baseline; parts: what it is made of."""

    score: float
    parts: dict[str, float]
    passed: bool
    detail: str = ""


def empty_table(schema: pa.Schema) -> pd.DataFrame:
    return typed_table([], schema)


def typed_table(rows: list[dict], schema: pa.Schema) -> pd.DataFrame:
    """Rows -> DataFrame whose Parquet schema is exactly ``schema`` (the source of truth)."""
    table = pa.Table.from_pylist(rows, schema=schema)
    df = table.to_pandas()
    df.attrs["arrow_schema"] = schema
    return df


def schema_doc(schema: pa.Schema) -> str:
    """Markdown table of a schema, for README and asset descriptions."""
    lines = ["| column | type | meaning |", "|---|---|---|"]
    for f in schema:
        meaning = (f.metadata or {}).get(b"doc", b"").decode()
        lines.append(f"| `{f.name}` | `{f.type}` | {meaning} |")
    return "\n".join(lines)


def col(name: str, type_: pa.DataType, doc: str) -> pa.Field:
    """A schema field carrying its documentation."""
    return pa.field(name, type_, metadata={"doc": doc})
