"""Reading and writing files the way every part of the project needs: JSONL with line numbers
for error messages, atomic writes (nothing is ever half-written), content hashes."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any


def jsonl_rows(lines: Iterable[str], where: str, errors: str = "raise") -> Iterator[tuple[int, Any]]:
    """(line number, value) for each non-blank line. A line that is not JSON raises ValueError
    naming `where` and the line (errors="raise"), is skipped ("skip": the torn last line of a
    stopped run), or comes as (number, ValueError) ("yield": the caller reports it and goes on)."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as error:
            problem = ValueError(f"{where}:{number}: malformed JSON ({error.msg} at column {error.colno})")
            if errors == "raise":
                raise problem from None
            if errors == "yield":
                yield number, problem


def read_jsonl(path: str | Path, errors: str = "raise") -> Iterator[tuple[int, Any]]:
    """`jsonl_rows` of a file."""
    with open(path, encoding="utf-8") as handle:
        yield from jsonl_rows(handle, str(path), errors)


def write_atomic(path: str | Path, content: str | bytes) -> None:
    """Write to a temporary name beside the target, then rename: readers see the old file or the new one."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    if isinstance(content, bytes):
        tmp.write_bytes(content)
    else:
        tmp.write_text(content, encoding="utf-8")
    os.replace(tmp, path)


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(article_id: str) -> str:
    """A file name for an id that can never leave the folder ("../../etc" included)."""
    name = _UNSAFE.sub("_", article_id).strip("._") or "article"
    if name != article_id or len(name) > 120:
        name = f"{name[:100]}-{hashlib.sha1(article_id.encode()).hexdigest()[:8]}"
    return name


SHARDS = "annotations"  # a cluster run's layout: OUT/annotations/part-NNNNN.jsonl and manifest.json


def annotation_files(root: str | Path) -> list[Path]:
    """An output folder's annotation files, in order: annotations.jsonl (a local run), or the
    parts its manifest lists (a cluster run; a part written but never listed is not done)."""
    root = Path(root)
    single, manifest = root / "annotations.jsonl", root / SHARDS / "manifest.json"
    if single.exists():
        return [single]
    if manifest.exists():
        return [root / SHARDS / f"{name}.jsonl" for name in json.loads(manifest.read_text(encoding="utf-8"))["parts"]]
    return []

