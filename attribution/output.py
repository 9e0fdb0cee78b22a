"""The output folder: annotations.jsonl, html/ and text/ copies and the batch view (index.html,
sources.html, sentences.csv, attributions.csv), written so that nothing is ever half-written
and a rerun with --resume picks up where a stopped run ended.

annotations.jsonl grows as annotations.jsonl.partial, one complete line per article, and is
renamed into place when the run ends; html/ and text/ files are written to a temporary name and
renamed. A run that was stopped leaves the .partial file, which --resume reads back.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from attribution.files import jsonl_rows, read_jsonl, safe_name, write_atomic
from attribution.render.batch import batch_files
from attribution.pipeline import Annotated

class OutputExists(FileExistsError):
    """An output folder that already holds annotations, with neither --resume nor --overwrite."""


# What an annotation run writes into its folder (the review database is the reviewers' and stays).
_RUN_FILES = ("annotations.jsonl", "annotations.jsonl.partial", "index.html", "sources.html", "sentences.csv", "attributions.csv")
_RUN_FOLDERS = ("html", "text")


class OutputFolder:
    """Where a run writes. `mode`: "new" refuses a folder that holds annotations already (a run
    into it would leave files that disagree), "resume" adds to it and skips the articles it
    holds, "overwrite" removes them first."""

    def __init__(self, root: str | Path, mode: str = "new") -> None:
        if mode not in ("new", "resume", "overwrite"):
            raise ValueError(f"unknown output mode {mode!r}")
        self.root = Path(root)
        self.final = self.root / "annotations.jsonl"
        self.partial = self.root / "annotations.jsonl.partial"
        held = [name for name in _RUN_FILES[:2] if (self.root / name).exists()]
        if held and mode == "new":
            raise OutputExists(f"{self.root} already holds annotations ({', '.join(held)}): "
                               "--resume adds to them, --overwrite starts afresh")
        if mode == "overwrite":
            for name in _RUN_FILES:
                (self.root / name).unlink(missing_ok=True)
            for name in _RUN_FOLDERS:
                if (self.root / name).is_dir():
                    shutil.rmtree(self.root / name)
        self.root.mkdir(parents=True, exist_ok=True)
        self.done: set[str] = set()
        kept: list[str] = []
        if mode == "resume":
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
        """Put annotations.jsonl in place and write the batch view from every record it holds."""
        self._handle.close()
        os.replace(self.partial, self.final)
        write_batch_view(self.root)


def read_records(root: str | Path) -> list[dict]:
    """Every record of an output folder."""
    path = Path(root) / "annotations.jsonl"
    return [record for _, record in read_jsonl(path)] if path.exists() else []


def write_batch_view(root: str | Path) -> None:
    """index.html, sources.html, sentences.csv and attributions.csv (`render/batch.py`)."""
    for name, content in batch_files(read_records(root)).items():
        write_atomic(Path(root) / name, content)


def _complete_lines(path: Path) -> list[str]:
    """Lines of a JSONL file that parse as objects; a torn last line from a stopped run is dropped."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [lines[number - 1] for number, row in jsonl_rows(lines, str(path), errors="skip") if isinstance(row, dict)]
