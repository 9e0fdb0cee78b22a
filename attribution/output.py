"""The output folder: annotations.jsonl, html/ and text/ copies, written so that nothing is ever
half-written and a rerun with --resume picks up where a stopped run ended.

annotations.jsonl grows as annotations.jsonl.partial, one complete line per article, and is
renamed into place when the run ends; html/ and text/ files are written to a temporary name and
renamed. A run that was stopped leaves the .partial file, which --resume reads back.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from attribution.files import jsonl_rows, write_atomic
from attribution.pipeline import Annotated

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(article_id: str) -> str:
    """A file name for an id that can never leave the folder ("../../etc" included)."""
    name = _UNSAFE.sub("_", article_id).strip("._") or "article"
    if name != article_id or len(name) > 120:
        name = f"{name[:100]}-{hashlib.sha1(article_id.encode()).hexdigest()[:8]}"
    return name



class OutputFolder:
    def __init__(self, root: str | Path, resume: bool = False) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.final = self.root / "annotations.jsonl"
        self.partial = self.root / "annotations.jsonl.partial"
        self.done: set[str] = set()
        kept: list[str] = []
        if resume:
            for source in (self.final, self.partial):
                for line in _complete_lines(source):
                    article_id = json.loads(line)["id"]
                    if article_id not in self.done:
                        self.done.add(article_id)
                        kept.append(line)
        self._handle = open(self.partial, "w", encoding="utf-8")
        for line in kept:
            self._handle.write(line + "\n")
        self._handle.flush()

    def write(self, result: Annotated) -> None:
        if result.html is not None:
            (self.root / "html").mkdir(exist_ok=True)
            write_atomic(self.root / "html" / f"{safe_name(result.article_id)}.html", result.html)
        if result.text is not None:
            (self.root / "text").mkdir(exist_ok=True)
            write_atomic(self.root / "text" / f"{safe_name(result.article_id)}.txt", result.text)
        # One write call per complete line: a stop can lose the line being written, never corrupt one.
        self._handle.write(json.dumps(result.record, ensure_ascii=False) + "\n")
        self._handle.flush()
        self.done.add(result.article_id)

    def close(self) -> None:
        self._handle.close()
        os.replace(self.partial, self.final)


def _complete_lines(path: Path) -> list[str]:
    """Lines of a JSONL file that parse as objects; a torn last line from a stopped run is dropped."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [lines[number - 1] for number, row in jsonl_rows(lines, str(path), errors="skip") if isinstance(row, dict)]
