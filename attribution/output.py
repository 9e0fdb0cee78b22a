"""The output folder: annotations.jsonl, html/ and text/ copies, the batch view (index.html,
sources.html, sentences.csv, attributions.csv) and, for a batch of two articles or more, the
claims linked across it (claims.jsonl, claims.html), written so that nothing is ever
half-written and a rerun with --resume picks up where a stopped run ended.

annotations.jsonl grows as annotations.jsonl.partial, one complete line per article, and is
renamed into place when the run ends; html/ and text/ files are written to a temporary name and
renamed. A run that was stopped leaves the .partial file, which --resume reads back.

A cluster run (`annotate --scheduler`) writes annotations/part-NNNNN.jsonl instead, one file per
partition, each entered in annotations/manifest.json once it is whole; every reader of an output
folder takes either layout (`files.annotation_files`).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from attribution.claims.corroborate import corroborate
from attribution.claims.link import Linker
from attribution.document import Article
from attribution.files import SHARDS, annotation_files, jsonl_rows, read_jsonl, safe_name, write_atomic
from attribution.pipeline import Annotated
from attribution.reliability import Policy
from attribution.render.batch import batch_files

class OutputExists(FileExistsError):
    """An output folder that already holds annotations, with neither --resume nor --overwrite."""


# What an annotation run writes into its folder (the review database is the reviewers' and stays).
_RUN_FILES = ("annotations.jsonl", "annotations.jsonl.partial", "index.html", "sources.html", "sentences.csv", "attributions.csv",
              "claims.jsonl", "claims.html")
_RUN_FOLDERS = ("html", "text", SHARDS)


class OutputFolder:
    """Where a run writes. `mode`: "new" refuses a folder that holds annotations already (a run
    into it would leave files that disagree), "resume" adds to it and skips the articles it
    holds, "overwrite" removes them first."""

    def __init__(self, root: str | Path, mode: str = "new") -> None:
        self.root = Path(root)
        self.final = self.root / "annotations.jsonl"
        self.partial = self.root / "annotations.jsonl.partial"
        _prepare(self.root, mode)
        if mode == "resume" and (self.root / SHARDS / "manifest.json").exists():
            raise OutputExists(f"{self.root} holds a cluster run's annotations: resume it with --scheduler, or --overwrite")
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
        _write_copies(self.root, result)
        # One write call per complete line: a stop can lose the line being written, never corrupt one.
        self._handle.write(json.dumps(result.record, ensure_ascii=False) + "\n")
        self._handle.flush()
        self.done.add(result.article_id)

    def close(self) -> None:
        """Put annotations.jsonl in place and write the batch view from every record it holds."""
        self._handle.close()
        os.replace(self.partial, self.final)
        write_batch_view(self.root)


class ShardedFolder:
    """Where a cluster run writes: one part file per partition (written whole, then renamed), then
    entered in the manifest. An article is done when the manifest lists its part, so a run
    stopped anywhere (client, scheduler or worker) resumes without losing or repeating one."""

    def __init__(self, root: str | Path, mode: str = "new") -> None:
        self.root = Path(root)
        _prepare(self.root, mode)
        if mode == "resume" and (self.root / "annotations.jsonl").exists():
            raise OutputExists(f"{self.root} holds a local run's annotations.jsonl: resume it without --scheduler, or --overwrite")
        self.shards = self.root / SHARDS
        self.shards.mkdir(exist_ok=True)
        self.manifest = self.shards / "manifest.json"
        self.parts: dict[str, list[str]] = json.loads(self.manifest.read_text(encoding="utf-8"))["parts"] if self.manifest.exists() else {}
        for stray in self.shards.glob("part-*.jsonl"):
            if stray.stem not in self.parts:  # written before a stop, never entered: its articles run again
                stray.unlink()
        self.done: set[str] = {article_id for ids in self.parts.values() for article_id in ids}
        self._next = max((int(name.removeprefix("part-")) for name in self.parts), default=-1) + 1

    def write_part(self, results: list[Annotated]) -> None:
        if not results:
            return
        for result in results:
            _write_copies(self.root, result)
        name = f"part-{self._next:05d}"
        self._next += 1
        write_atomic(self.shards / f"{name}.jsonl", "".join(json.dumps(r.record, ensure_ascii=False) + "\n" for r in results))
        self.parts[name] = [r.article_id for r in results]
        write_atomic(self.manifest, json.dumps({"parts": self.parts}, indent=0))
        self.done.update(self.parts[name])

    def close(self) -> None:
        write_batch_view(self.root)


def _prepare(root: Path, mode: str) -> None:
    """Refuse a folder holding annotations in mode "new"; empty it of a run's files in "overwrite"."""
    if mode not in ("new", "resume", "overwrite"):
        raise ValueError(f"unknown output mode {mode!r}")
    held = [name for name in (*_RUN_FILES[:2], f"{SHARDS}/manifest.json") if (root / name).exists()]
    if held and mode == "new":
        raise OutputExists(f"{root} already holds annotations ({', '.join(held)}): --resume adds to them, --overwrite starts afresh")
    if mode == "overwrite":
        for name in _RUN_FILES:
            (root / name).unlink(missing_ok=True)
        for name in _RUN_FOLDERS:
            if (root / name).is_dir():
                shutil.rmtree(root / name)
    root.mkdir(parents=True, exist_ok=True)


def _write_copies(root: Path, result: Annotated) -> None:
    if result.html is not None:
        (root / "html").mkdir(exist_ok=True)
        write_atomic(root / "html" / f"{safe_name(result.article_id)}.html", result.html)
    if result.text is not None:
        (root / "text").mkdir(exist_ok=True)
        write_atomic(root / "text" / f"{safe_name(result.article_id)}.txt", result.text)


def read_records(root: str | Path) -> list[dict]:
    """Every record of an output folder, in either layout."""
    return [record for _, records in _records_by_file(root) for record in records]


def _records_by_file(root: str | Path) -> list[tuple[Path, list[dict]]]:
    return [(path, [record for _, record in read_jsonl(path)]) for path in annotation_files(root)]


def read_clusters(root: str | Path) -> list[dict] | None:
    """The rows of claims.jsonl, or None where the folder's claims were not linked."""
    path = Path(root) / "claims.jsonl"
    return [row for _, row in read_jsonl(path)] if path.exists() else None


def write_batch_view(root: str | Path, records: list[dict] | None = None, clusters: list[dict] | None = None) -> None:
    """index.html, sources.html, sentences.csv, attributions.csv and claims.html (`render/batch.py`),
    from the folder's records and claims.jsonl unless the caller holds them already."""
    records = read_records(root) if records is None else records
    clusters = read_clusters(root) if clusters is None else clusters
    for name, content in batch_files(records, clusters).items():
        write_atomic(Path(root) / name, content)


def corroborate_folder(root: str | Path, policy: Policy | None = None, linker: Linker | None = None) -> int:
    """Link the claims of every article in the folder (again): claims.jsonl, each claim sentence's
    cluster and grade in annotations.jsonl, the html/ and text/ copies the folder has, the batch
    view. Returns the number of clusters; a folder of fewer than two articles gets none."""
    root = Path(root)
    files = _records_by_file(root)
    records = [record for _, held in files for record in held]
    if len(records) < 2:
        return 0
    rows = corroborate(records, policy, linker)  # the records change in place, so each file is written back as read
    for path, held in files:
        write_atomic(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in held))
    write_atomic(root / "claims.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    for record in records:
        name = safe_name(record["id"])
        if (root / "html" / f"{name}.html").exists() or (root / "text" / f"{name}.txt").exists():
            article = Article.from_record(record)
            if (root / "html" / f"{name}.html").exists():
                write_atomic(root / "html" / f"{name}.html", article.to_html())
            if (root / "text" / f"{name}.txt").exists():
                write_atomic(root / "text" / f"{name}.txt", article.to_text())
    write_batch_view(root, records, rows)
    return len(rows)


def _complete_lines(path: Path) -> list[str]:
    """Lines of a JSONL file that parse as objects; a torn last line from a stopped run is dropped."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [lines[number - 1] for number, row in jsonl_rows(lines, str(path), errors="skip") if isinstance(row, dict)]
