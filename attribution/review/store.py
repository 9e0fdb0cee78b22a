"""Reviewers' decisions in SQLite: an append-only log, written the moment a decision is made.

Every accept, correction and undo is one row and no row is ever changed, so the history of who
decided what and when stays. A sentence's label is its latest decision that no undo has taken
back. WAL mode lets pages be read while someone writes; every write is one IMMEDIATE transaction
that reads the sentence's current label and appends to it, so concurrent reviewers queue (busy
timeout) instead of overwriting each other, and a committed decision survives a restart.

Each row holds a full label snapshot with the sentence's offsets and hash, so the export needs
only the database, not the annotation folder.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from attribution.labels import CueLabel, SentenceLabel

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL CHECK (action IN ('accept', 'correct', 'undo')),
    article TEXT NOT NULL,
    sentence INTEGER NOT NULL,          -- sentence id in the annotation, for display
    sentence_start INTEGER NOT NULL,    -- offsets and hash identify the sentence in the labels
    sentence_end INTEGER NOT NULL,
    sha1 TEXT NOT NULL,
    speaker TEXT,
    certainty TEXT,
    source_start INTEGER,
    source_end INTEGER,
    named INTEGER,
    cues TEXT NOT NULL DEFAULT '[]',
    boilerplate INTEGER NOT NULL DEFAULT 0,
    spans TEXT NOT NULL DEFAULT '{}',   -- the main attribution's cue and content: {"cue": [s, e], "content": [[s, e], ...]}
    target INTEGER REFERENCES events (id),  -- the decision an undo takes back
    reviewer TEXT NOT NULL,
    time TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_sentence ON events (article, sentence_start, sentence_end);
-- A decision is taken back at most once, even by two reviewers pressing undo together.
CREATE UNIQUE INDEX IF NOT EXISTS events_undo_once ON events (target) WHERE action = 'undo';
"""

# Decisions (accepts and corrections) that no undo has taken back.
_STANDING = """
SELECT * FROM events AS e
WHERE e.action IN ('accept', 'correct')
  AND NOT EXISTS (SELECT 1 FROM events AS u WHERE u.action = 'undo' AND u.target = e.id)
"""


class UnknownEvent(LookupError):
    pass


class AlreadyUndone(ValueError):
    pass


@dataclass(frozen=True)
class Decision:
    event: int
    action: str  # "accept" or "correct"
    sentence: int
    label: SentenceLabel  # annotator = the reviewer, time = when (UTC)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _decision(row: sqlite3.Row) -> Decision:
    spans = json.loads(row["spans"])
    source = None if row["source_start"] is None else (row["source_start"], row["source_end"])
    label = SentenceLabel(
        article=row["article"], start=row["sentence_start"], end=row["sentence_end"], sha1=row["sha1"],
        speaker=row["speaker"], certainty=row["certainty"], source=source,
        named=None if row["named"] is None else bool(row["named"]),
        cues=[CueLabel(**c) for c in json.loads(row["cues"])], boilerplate=bool(row["boilerplate"]),
        cue=tuple(spans["cue"]) if spans.get("cue") else None, content=[tuple(span) for span in spans.get("content", [])],
        annotator=row["reviewer"], time=row["time"],
    )
    return Decision(row["id"], row["action"], row["sentence"], label)


class Store:
    def __init__(self, path: str | Path, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self._write_lock = threading.Lock()
        try:
            self._use_wal()
            # One connection for all of this process's writes, under the lock, kept open: closing
            # the last connection to a WAL database checkpoints it, which would cost every write.
            self._writer = self._open(check_same_thread=False)
            self._writer.executescript(_SCHEMA)
            columns = {row["name"] for row in self._writer.execute("PRAGMA table_info(events)")}
            if "spans" not in columns:  # a database from before spans were reviewed
                self._writer.execute("ALTER TABLE events ADD COLUMN spans TEXT NOT NULL DEFAULT '{}'")
        except sqlite3.Error as error:
            raise ValueError(f"cannot use {self.path} as the review database: {error}") from None

    def _open(self, check_same_thread: bool = True) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=check_same_thread)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA synchronous=FULL")  # a decision acknowledged is a decision on disk
        return db

    def _use_wal(self) -> None:
        """Switch the file to WAL (persistent, so once per file). Switching takes the file's lock
        without waiting, so two servers starting on a new file at once retry here."""
        deadline = time.monotonic() + self.busy_timeout_s
        while True:
            try:
                with closing(self._open()) as db:
                    db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        # Readers get their own connection: in WAL mode they never wait for a writer.
        with closing(self._open()) as db:
            yield db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # Writers of this process take turns on a lock; SQLite's busy timeout, which polls with
        # growing sleeps and lets late comers overtake, is left to order separate processes.
        with self._write_lock:
            db = self._writer
            db.execute("BEGIN IMMEDIATE")  # take the write lock now: read-then-append stays atomic
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def decide(self, sentence: int, predicted: SentenceLabel, action: str, changes: dict, reviewer: str) -> Decision:
        """Accept the sentence's current label, or correct some of its fields (`changes`).

        The current label is the standing decision, or the prediction when there is none; an
        accept confirms it as it stands. Raises ValueError (naming the bad label) before writing.
        """
        if action not in ("accept", "correct"):
            raise ValueError(f"unknown action {action!r}")
        with self._transaction() as db:
            row = db.execute(
                _STANDING + " AND article = ? AND sentence_start = ? AND sentence_end = ? AND sha1 = ? ORDER BY id DESC LIMIT 1",
                (predicted.article, predicted.start, predicted.end, predicted.sha1),
            ).fetchone()
            current = _decision(row).label if row else predicted
            label = replace(current, **changes, annotator=reviewer, time=utc_now())
            if label.source is None:
                label.named = None  # named describes a source; without one it is unknown
            label.validate()
            cursor = db.execute(
                "INSERT INTO events (action, article, sentence, sentence_start, sentence_end, sha1, speaker, certainty,"
                " source_start, source_end, named, cues, boilerplate, spans, reviewer, time)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (action, label.article, sentence, label.start, label.end, label.sha1, label.speaker, label.certainty,
                 *(label.source or (None, None)), label.named, json.dumps([vars(c) for c in label.cues]),
                 label.boilerplate, json.dumps({"cue": label.cue, "content": label.content}), reviewer, label.time),
            )
            return Decision(cursor.lastrowid, action, sentence, label)

    def undo(self, event: int, reviewer: str) -> Decision:
        """Take back a decision; the undo is logged too. Returns the decision taken back."""
        with self._transaction() as db:
            row = db.execute("SELECT * FROM events WHERE id = ? AND action IN ('accept', 'correct')", (event,)).fetchone()
            if row is None:
                raise UnknownEvent(f"no decision with event id {event}")
            if db.execute("SELECT 1 FROM events WHERE target = ?", (event,)).fetchone():
                raise AlreadyUndone(f"decision {event} is already undone")
            db.execute(
                "INSERT INTO events (action, article, sentence, sentence_start, sentence_end, sha1, target, reviewer, time)"
                " VALUES ('undo', ?, ?, ?, ?, ?, ?, ?, ?)",
                (row["article"], row["sentence"], row["sentence_start"], row["sentence_end"], row["sha1"], event, reviewer, utc_now()),
            )
            return _decision(row)

    def standing(self, article: str | None = None) -> dict[tuple[str, int, int, str], Decision]:
        """The standing decision of every decided sentence, keyed by (article, start, end, sha1)."""
        query, params = _STANDING, ()
        if article is not None:
            query, params = query + " AND article = ?", (article,)
        with self._read() as db:
            rows = db.execute(query + " ORDER BY id", params).fetchall()
        decisions = {}
        for row in rows:  # in log order: a later decision replaces an earlier one
            decisions[(row["article"], row["sentence_start"], row["sentence_end"], row["sha1"])] = _decision(row)
        return decisions

    def labels(self) -> list[SentenceLabel]:
        """Standing decisions as labels, in article and sentence order: what the export writes."""
        return [d.label for _, d in sorted(self.standing().items(), key=lambda item: item[0])]

    def count(self, action: str) -> int:
        with self._read() as db:
            return db.execute("SELECT COUNT(*) FROM events WHERE action = ?", (action,)).fetchone()[0]
