"""The review app through its HTTP interface: pages, decisions, undo, the active-learning order,
and what it refuses (unknown labels, big bodies, foreign writes, ids that look like paths)."""

from __future__ import annotations

import builtins
import os
import re

import pytest

from attribution.review.corpus import review_settings
from tests.review.conftest import HOSTILE_ID, HOSTILE_TITLE, TOKEN, decide_url, post

A001 = "001_0bd9adbc2bf234f1"  # S4: "According to a US official who spoke to CNN on Sunday, Russia has gathered ..."


def sentence(client, article: str, number: int) -> dict:
    return client.get(f"/api/articles/{article}").json()["sentences"][number]


def test_article_list_counts_attributions_low_confidence_and_corrections(client, corpus, seed_records):
    rows = {row["id"]: row for row in client.get("/api/articles").json()}
    assert set(rows) == set(corpus.articles)
    threshold = review_settings()["low_confidence"]
    for article_id, record in seed_records.items():
        assert rows[article_id]["attributions"] == len(record["attributions"])
        low = [s for s in record["sentences"] if not s["boilerplate"]
               and min(s["speaker"]["score"], s["certainty"].get("probability", s["certainty"]["score"])) < threshold]
        assert rows[article_id]["low_confidence"] == len(low)
        assert rows[article_id]["corrected"] == 0
    assert rows[A001]["low_confidence"] > 0
    assert post(client, decide_url(A001, 4, "correct"), {"reviewer": "ann", "speaker": "media"}).status_code == 200
    assert post(client, decide_url(A001, 5, "accept"), {"reviewer": "ann"}).status_code == 200
    row = next(r for r in client.get("/api/articles").json() if r["id"] == A001)
    assert (row["reviewed"], row["corrected"]) == (2, 1)
    page = client.get("/").text
    assert f'href="/articles/{A001}"' in page


def test_article_page_shows_speaker_certainty_grade_source_and_cue(client):
    response = client.get(f"/articles/{A001}")
    assert response.status_code == 200
    item = re.search(r'<li class="sentence unreviewed" id="s4".*?</li>', response.text, re.DOTALL).group(0)
    assert 'data-field="speaker">us_official<' in item
    assert 'data-field="certainty">certain<' in item
    assert re.search(r'class="grade"[^>]*>D2<', item)
    assert '<span class="src" title="source">a US official</span>' in item
    assert re.search(r'<span class="acue[^"]*"[^>]*>According to</span>', item)
    assert re.search(r'<span class="[^"]*hedge approximator[^"]*"[^>]*>tens of thousands</span>', item)  # inside the content
    assert re.search(r'<span class="acontent"[^>]*>[^<]*in the Kursk region in the coming days</span>', item)
    # The keyboard panel lists a key for every speaker label.
    assert 'data-key="3" data-correct="speaker" data-value="ukrainian_military"' in response.text


def test_correction_is_stored_shown_and_recorded_with_reviewer_and_time(client, store):
    answer = post(client, decide_url(A001, 4, "correct"), {"reviewer": "ann", "speaker": "media", "certainty": "probable"})
    assert answer.status_code == 200
    state = sentence(client, A001, 4)
    assert (state["speaker"], state["certainty"], state["status"]) == ("media", "probable", "corrected")
    assert state["source"]["text"] == "a US official"  # fields not corrected stay as they were
    assert re.fullmatch(r"corrected by ann at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 \(speaker was us_official; certainty was certain\)",
                        state["status_text"])
    assert "corrected by ann" in client.get(f"/articles/{A001}").text
    [label] = store.labels()
    assert (label.annotator, label.speaker, label.certainty) == ("ann", "media", "probable")


def test_source_from_a_selection_is_trimmed_and_anonymous_until_marked_named(client, corpus):
    article = corpus.get(A001)
    s7 = article.sentences[7]  # "CNN has reached out to the Ukrainian government for a statement on the matter."
    selected = " the Ukrainian government "  # a mouse selection often takes the spaces along
    start = article.text.index(selected, s7.start)
    answer = post(client, decide_url(A001, 7, "correct"), {"reviewer": "ann", "speaker": "ukrainian_official",
                                                            "source": {"start": start, "end": start + len(selected)}})
    assert answer.status_code == 200, answer.text
    assert answer.json()["source"] == {"start": start + 1, "end": start + len(selected) - 1, "text": "the Ukrainian government"}
    assert answer.json()["named"] is False
    assert {"text": "the Ukrainian government", "classes": "src", "title": "source"} in answer.json()["segments"]
    named = post(client, decide_url(A001, 7, "correct"), {"reviewer": "ann", "named": True}).json()
    assert (named["named"], named["source_text"]) == (True, "“the Ukrainian government”, named")
    cleared = post(client, decide_url(A001, 7, "correct"), {"reviewer": "ann", "source": None}).json()
    assert (cleared["source"], cleared["named"]) == (None, None)


def test_cue_content_and_boilerplate_corrections_reach_the_labels(client, corpus, store):
    article = corpus.get(A001)
    s7 = article.sentences[7]  # "CNN has reached out to the Ukrainian government for a statement on the matter."
    cue, content = "has reached out to", "for a statement on the matter"
    cue_at, content_at = article.text.index(cue, s7.start), article.text.index(content, s7.start)
    answer = post(client, decide_url(A001, 7, "correct"), {"reviewer": "ann", "cue": {"start": cue_at, "end": cue_at + len(cue)},
                                                            "content": {"start": content_at, "end": content_at + len(content)}})
    assert answer.status_code == 200, answer.text
    state = answer.json()
    assert state["cue"]["text"] == cue and [c["text"] for c in state["content"]] == [content]
    assert {"text": cue, "classes": "acue", "title": "reporting cue"} in state["segments"]
    assert {"text": content, "classes": "acontent", "title": "content"} in state["segments"]
    furniture = post(client, decide_url(A001, 7, "correct"), {"reviewer": "ann", "boilerplate": True}).json()
    assert furniture["boilerplate"] is True and furniture["cue"]["text"] == cue  # the spans stand
    [label] = store.labels()
    assert (label.cue, label.content, label.boilerplate) == ((cue_at, cue_at + len(cue)), [(content_at, content_at + len(content))], True)
    cleared = post(client, decide_url(A001, 7, "correct"), {"reviewer": "ann", "cue": None, "content": None}).json()
    assert (cleared["cue"], cleared["content"]) == (None, [])


def test_a_database_from_before_span_corrections_opens_and_keeps_its_decisions(tmp_path):
    import sqlite3

    from attribution.review.store import Store

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:  # the events table as it was, with one correction in it
        db.executescript("""CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, action TEXT NOT NULL, article TEXT NOT NULL,
            sentence INTEGER NOT NULL, sentence_start INTEGER NOT NULL, sentence_end INTEGER NOT NULL, sha1 TEXT NOT NULL,
            speaker TEXT, certainty TEXT, source_start INTEGER, source_end INTEGER, named INTEGER, cues TEXT NOT NULL DEFAULT '[]',
            boilerplate INTEGER NOT NULL DEFAULT 0, target INTEGER, reviewer TEXT NOT NULL, time TEXT NOT NULL);
            INSERT INTO events (action, article, sentence, sentence_start, sentence_end, sha1, speaker, certainty, reviewer, time)
            VALUES ('correct', 'a1', 0, 0, 20, 'abc', 'media', 'certain', 'ann', '2026-01-01T00:00:00+00:00');""")
    [label] = Store(path).labels()
    assert (label.speaker, label.cue, label.content) == ("media", None, [])


def test_accept_confirms_the_prediction_and_undo_takes_it_back(client, store):
    accepted = post(client, decide_url(A001, 8, "accept"), {"reviewer": "bob"}).json()
    assert (accepted["status"], accepted["speaker"]) == ("accepted", "ukrainian_military")
    undone = post(client, "/api/undo", {"reviewer": "bob", "event": accepted["event"]})
    assert undone.status_code == 200
    assert (undone.json()["status"], undone.json()["event"]) == ("unreviewed", None)
    again = post(client, "/api/undo", {"reviewer": "bob", "event": accepted["event"]})
    assert again.status_code == 409 and "already undone" in again.json()["error"]
    assert post(client, "/api/undo", {"reviewer": "bob", "event": 999}).status_code == 404
    assert store.labels() == []
    assert (store.count("accept"), store.count("undo")) == (1, 1)  # the history stays


def test_next_goes_least_confident_first_skipping_reviewed_sentences(client, corpus):
    first, second = corpus.order[0], corpus.order[1]
    assert first.confidence <= second.confidence < 0.7
    answer = client.get("/api/next").json()
    assert (answer["article"], answer["sentence"]) == (first.article, first.id)
    assert answer["url"] == f"/articles/{first.article}#s{first.id}"
    skipped = client.get("/api/next", params={"article": first.article, "sentence": first.id}).json()
    assert (skipped["article"], skipped["sentence"]) == (second.article, second.id)
    post(client, decide_url(first.article, first.id, "accept"), {"reviewer": "ann"})
    assert client.get("/api/next").json()["sentence"] == second.id
    assert client.get("/next", follow_redirects=False).headers["location"] == f"/articles/{second.article}#s{second.id}"


@pytest.mark.parametrize("payload, message", [
    ({"reviewer": "ann", "speaker": "kremlin_bot"}, "unknown speaker label 'kremlin_bot'"),
    ({"reviewer": "ann", "certainty": "sure"}, "unknown certainty label 'sure'"),
    ({"reviewer": "ann", "colour": "red"}, "unknown field 'colour'"),
    ({"reviewer": "ann", "source": {"start": 0, "end": 5}}, "lies outside sentence 4"),
    ({"reviewer": "ann", "named": "yes"}, "named must be true or false"),
    ({"reviewer": "ann", "boilerplate": "yes"}, "boilerplate must be true or false"),
    ({"reviewer": "ann", "cue": {"start": 0, "end": 5}}, "cue 0-5 lies outside sentence 4"),
    ({"reviewer": "ann", "content": [1, 2]}, "content must be null or"),
    ({"reviewer": "ann"}, "nothing to correct"),
    ({"speaker": "media"}, "reviewer must be your name"),
    ({"reviewer": "   ", "speaker": "media"}, "reviewer must be your name"),
])
def test_bad_corrections_are_refused_with_a_message_and_nothing_is_stored(client, store, payload, message):
    answer = post(client, decide_url(A001, 4, "correct"), payload)
    assert answer.status_code == 422
    assert message in answer.json()["error"]
    assert store.count("correct") == 0


def test_malformed_requests_get_clear_json_errors(client):
    url = decide_url(A001, 4, "correct")
    headers = {"X-Review-Token": TOKEN, "Content-Type": "application/json"}
    assert client.post(url, content=b"{not json", headers=headers).json() == {"error": "request body is not JSON"}
    assert client.post(url, content=b"[1]", headers=headers).status_code == 400
    assert post(client, decide_url(A001, 999, "correct"), {"reviewer": "a", "speaker": "media"}).json() == \
        {"error": f"article '{A001}' has no sentence 999"}
    assert post(client, decide_url(A001, 4, "delete"), {"reviewer": "a"}).status_code == 404
    assert client.get("/api/articles/no-such-article").json() == {"error": "no article with id 'no-such-article'"}


def test_oversized_bodies_are_refused_with_413_and_nothing_is_stored(client, store):
    limit = review_settings()["max_body_bytes"]
    big = {"reviewer": "ann", "speaker": "media", "padding": "x" * limit}
    assert post(client, decide_url(A001, 4, "correct"), big).status_code == 413

    def chunks():  # no Content-Length: the limit must hold while reading
        for _ in range(limit // 1000 + 2):
            yield b" " * 1000

    answer = client.post(decide_url(A001, 4, "correct"), content=chunks(), headers={"X-Review-Token": TOKEN})
    assert answer.status_code == 413 and "over" in answer.json()["error"]
    assert store.count("correct") == 0


@pytest.mark.parametrize("headers, status", [
    ({}, 403),                                                         # no token
    ({"X-Review-Token": "guessed"}, 403),                              # wrong token
    ({"X-Review-Token": TOKEN, "Origin": "https://evil.example"}, 403),  # another site's page
    ({"X-Review-Token": TOKEN, "Host": "evil.example"}, 400),           # DNS rebinding
    ({"X-Review-Token": TOKEN, "Origin": "http://testserver"}, 200),
    ({"X-Review-Token": TOKEN}, 200),                                  # not a browser: no Origin
])
def test_writes_need_the_session_token_and_this_origin(client, store, headers, status):
    answer = client.post(decide_url(A001, 4, "accept"), json={"reviewer": "ann"}, headers=headers)
    assert answer.status_code == status
    assert store.count("accept") == (1 if status == 200 else 0)


def test_pages_embed_the_token_and_forbid_foreign_scripts(client):
    response = client.get(f"/articles/{A001}")
    assert f'<meta name="review-token" content="{TOKEN}">' in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def _text_of(page: str) -> str:
    """The page's text as a browser shows it: character data, entities decoded, tags dropped."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    reader = Text()
    reader.feed(page)
    return "".join(reader.parts)


def test_hostile_article_text_title_and_reviewer_name_are_rendered_inert(client):
    answer = post(client, decide_url(HOSTILE_ID, 0, "correct"), {"reviewer": "<img src=y onerror=alert(4)>", "speaker": "media"})
    assert answer.status_code == 200
    page = client.get(f"/articles/{HOSTILE_ID}").text
    # What a reader sees: the hostile words as text (the page's own span markup may cut through
    # them where a span starts inside a word), never as markup.
    shown = _text_of(page)
    assert "<script>alert(1)</script>" in shown
    assert '<img src=x onerror="alert(2)">' in shown
    assert "<b onmouseover=alert(3)>Hostile</b> title" in shown
    assert "corrected by <img src=y onerror=alert(4)>" in shown
    for raw in ("<script>alert", "<img", "<b onmouseover", HOSTILE_TITLE):
        assert raw not in page
    assert re.findall(r"<script\b[^>]*>", page) == ['<script src="/sortable.js">', '<script src="/static/review.js">']
    listing = client.get("/").text
    assert "&lt;b onmouseover=alert(3)&gt;" in listing and "<b onmouseover" not in listing


def test_review_script_never_writes_markup(client):
    script = client.get("/static/review.js").text
    assert not re.search(r"\.(inner|outer)HTML\s*[+]?=|insertAdjacentHTML|document\.write|createContextualFragment", script)
    assert "textContent" in script


@pytest.mark.parametrize("method, url", [
    ("GET", "/articles/..%2F..%2Fetc%2Fpasswd"),
    ("GET", "/api/articles/..%2F..%2Fetc%2Fpasswd"),
    ("GET", "/articles/../../etc/passwd"),
    ("POST", "/api/articles/..%2F..%2Fetc%2Fpasswd/sentences/0/accept"),
])
def test_ids_that_look_like_paths_find_nothing_and_read_nothing(client, monkeypatch, method, url):
    opened: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def spy_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    def spy_os_open(path, *args, **kwargs):
        opened.append(str(path))
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    answer = client.request(method, url, json={"reviewer": "ann"}, headers={"X-Review-Token": TOKEN})
    assert answer.status_code == 404
    assert not [path for path in opened if "passwd" in path]
    if url.startswith("/api/"):
        assert answer.json() == {"error": "no article with id '../../etc/passwd'"}
