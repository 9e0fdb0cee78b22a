"""The decision store and the labels export: concurrent reviewers, restarts, undo history, and
labels in the team's format."""

from __future__ import annotations

import sqlite3
import threading

from starlette.testclient import TestClient
from typer.testing import CliRunner

from attribution.cli import app as cli
from attribution.labels import FORMAT, read_labels, sentence_hash
from attribution.review.app import create_app
from attribution.review.store import Store
from tests.review.conftest import TOKEN, decide_url, post

A001 = "001_0bd9adbc2bf234f1"
A002 = "002_a1c6e68b0a879c73"


def test_database_is_in_wal_mode(store):
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_concurrent_reviewers_on_separate_connections_lose_nothing(tmp_path, corpus):
    """Eight reviewers in threads, each with its own Store (as separate server processes would
    have), correct every sentence of two articles at the same time."""
    path = tmp_path / "review.sqlite3"
    sentences = corpus.get(A001).sentences + corpus.get(A002).sentences
    errors: list[BaseException] = []

    def reviewer(number: int) -> None:
        store = Store(path)
        try:
            for sentence in sentences[number::8]:
                store.decide(sentence.id, sentence.predicted, "correct", {"certainty": "doubtful"}, f"reviewer-{number}")
                store.decide(sentence.id, sentence.predicted, "correct", {"speaker": "expert"}, f"reviewer-{number}")
        except Exception as error:  # noqa: BLE001 - surfaced below; a thread's exception is otherwise lost
            errors.append(error)

    threads = [threading.Thread(target=reviewer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = Store(path)
    assert store.count("correct") == 2 * len(sentences)
    labels = store.labels()
    assert len(labels) == len(sentences)
    # Each second correction was made on top of the first: both fields stand.
    assert {(x.speaker, x.certainty) for x in labels} == {("expert", "doubtful")}


def test_two_reviewers_correcting_one_sentence_keep_both_fields(client, store):
    barrier = threading.Barrier(2)
    answers = []

    def correct(field: str, value: str, name: str) -> None:
        barrier.wait()
        answers.append(post(client, decide_url(A001, 9, "correct"), {"reviewer": name, field: value}).status_code)

    threads = [threading.Thread(target=correct, args=("speaker", "russian_military", "ann")),
               threading.Thread(target=correct, args=("certainty", "possible", "bob"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200, 200]
    [label] = store.labels()
    assert (label.speaker, label.certainty) == ("russian_military", "possible")


def test_decisions_survive_a_restart(tmp_path, corpus):
    path = tmp_path / "review.sqlite3"
    first = TestClient(create_app(corpus, Store(path), token=TOKEN, allowed_hosts=["testserver"]))
    assert post(first, decide_url(A001, 10, "correct"), {"reviewer": "ann", "certainty": "certain"}).status_code == 200
    del first
    restarted = TestClient(create_app(corpus, Store(path), token="a-new-token", allowed_hosts=["testserver"]))
    state = restarted.get(f"/api/articles/{A001}").json()["sentences"][10]
    assert (state["certainty"], state["status"]) == ("certain", "corrected")
    assert "corrected by ann" in state["status_text"]


def test_latest_decision_not_undone_wins_and_history_is_kept(store, corpus):
    s6 = corpus.get(A001).sentences[6]  # "The New York Times reported on Sunday that ..."
    first = store.decide(s6.id, s6.predicted, "correct", {"certainty": "certain"}, "ann")
    second = store.decide(s6.id, s6.predicted, "correct", {"certainty": "doubtful"}, "bob")
    assert store.labels()[0].certainty == "doubtful"
    store.undo(second.event, "ann")
    [label] = store.labels()
    assert (label.certainty, label.annotator) == ("certain", "ann")
    store.undo(first.event, "ann")
    assert store.labels() == []
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT action, reviewer FROM events ORDER BY id").fetchall() == \
            [("correct", "ann"), ("correct", "bob"), ("undo", "ann"), ("undo", "ann")]


def test_export_writes_corrections_and_accepted_predictions_as_team_labels(client, store, corpus, tmp_path):
    article = corpus.get(A001)
    post(client, decide_url(A001, 4, "correct"), {"reviewer": "ann", "speaker": "media"})
    post(client, decide_url(A001, 6, "accept"), {"reviewer": "bob"})
    undone = post(client, decide_url(A001, 8, "accept"), {"reviewer": "bob"}).json()["event"]
    post(client, "/api/undo", {"reviewer": "bob", "event": undone})
    out = tmp_path / "reviewed.jsonl"
    result = CliRunner().invoke(cli, ["labels", "export", "--db", str(store.path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 labels" in result.output
    corrected, accepted = list(read_labels(out))
    s4 = article.sentences[4]
    assert (corrected.article, corrected.start, corrected.end) == (A001, s4.start, s4.end)
    assert corrected.sha1 == sentence_hash(article.text[s4.start : s4.end])
    assert (corrected.speaker, corrected.certainty, corrected.annotator) == ("media", "certain", "ann")
    assert article.text[corrected.source[0] : corrected.source[1]] == "a US official"
    assert [c.kind for c in corrected.cues] == ["evidential", "approximator"]
    # An accepted sentence exports the prediction, confirmed by its reviewer.
    assert (accepted.speaker, accepted.certainty, accepted.named) == ("media", "probable", True)
    assert article.text[accepted.source[0] : accepted.source[1]] == "The New York Times"
    assert accepted.annotator == "bob" and accepted.time.endswith("+00:00")
    assert all('"format": "' + FORMAT + '"' in line for line in out.read_text().splitlines())


def test_export_of_a_missing_database_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(cli, ["labels", "export", "--db", str(tmp_path / "none.sqlite3"), "-o", str(tmp_path / "x.jsonl")])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: no review database at {tmp_path / 'none.sqlite3'}"


def test_a_decision_the_database_cannot_take_is_reported_not_lost_silently(tmp_path, corpus):
    path = tmp_path / "review.sqlite3"
    client = TestClient(create_app(corpus, Store(path, busy_timeout_s=0.2), token=TOKEN, allowed_hosts=["testserver"]))
    other_process = sqlite3.connect(path, isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")  # holds the write lock past the busy timeout
    answer = post(client, decide_url(A001, 4, "accept"), {"reviewer": "ann"})
    assert answer.status_code == 503
    assert answer.json()["error"].startswith("decision not saved, the review database failed: database is locked")
    other_process.execute("ROLLBACK")
    assert post(client, decide_url(A001, 4, "accept"), {"reviewer": "ann"}).status_code == 200
    assert Store(path).count("accept") == 1
