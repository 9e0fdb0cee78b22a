"""The review page in real headless Chromium (Playwright): keyboard corrections survive a reload
and reach the export. Skipped where Playwright or a Chromium binary is missing."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from typer.testing import CliRunner

from attribution.cli import app as cli
from attribution.labels import read_labels
from attribution.review.app import create_app
from attribution.review.store import Store
from tests.review.conftest import HOSTILE_ID

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
expect = sync_api.expect
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("no Chromium binary on PATH (Debian: apt-get install chromium)", allow_module_level=True)

A001 = "001_0bd9adbc2bf234f1"


@pytest.fixture
def server(corpus, tmp_path) -> Iterator[tuple[str, Store]]:
    """The app served by uvicorn on a free loopback port, in a thread."""
    store = Store(tmp_path / "review.sqlite3")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(corpus, store, reviewer="")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", store
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
def page(server):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page()
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("dialog", lambda dialog: problems.append(f"dialog opened: {dialog.message}"))
        page.on("response", lambda response: problems.append(f"{response.status} {response.url}") if response.status >= 400 else None)
        page.problems = problems
        yield page
        browser.close()


def field(page, number: int, name: str):
    return page.locator(f'#s{number} [data-field="{name}"]')


def test_keyboard_correction_survives_reload_and_reaches_the_export(server, page, tmp_path):
    base, store = server
    page.goto(f"{base}/articles/{A001}")
    page.fill("#reviewer", "Dana")
    page.locator("#s0").click()
    for key in "jjjj":  # down to S4, "According to a US official ..."
        page.keyboard.press(key)
    expect(page.locator("#s4")).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("7")  # the seventh speaker label: media
    expect(field(page, 4, "speaker")).to_have_text("media")
    page.keyboard.press("e")  # certainty: possible
    expect(field(page, 4, "certainty")).to_have_text("possible")

    page.reload()
    expect(field(page, 4, "speaker")).to_have_text("media")
    expect(field(page, 4, "certainty")).to_have_text("possible")
    expect(field(page, 4, "status_text")).to_contain_text("corrected by Dana")
    assert page.input_value("#reviewer") == "Dana"  # remembered by the browser

    out = tmp_path / "export.jsonl"
    result = CliRunner().invoke(cli, ["labels", "export", "--db", str(store.path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    [label] = read_labels(out)
    assert (label.speaker, label.certainty, label.annotator) == ("media", "possible", "Dana")
    assert page.problems == []


def select(page, sentence: int, words: str) -> None:
    """Select `words` inside a sentence's text as a reader dragging the mouse would."""
    page.evaluate("""([sentence, words]) => {
        const walker = document.createTreeWalker(document.querySelector(`#s${sentence} .text`), NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.data.indexOf(words);
            if (at < 0) continue;
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + words.length);
            getSelection().removeAllRanges();
            getSelection().addRange(range);
            return;
        }
        throw new Error(`no ${words} in sentence ${sentence}`);
    }""", [sentence, words])


def open_sentence(page, base: str, sentence: int) -> None:
    """A001's page at `sentence`, made current, with the reviewer's name filled in."""
    page.goto(f"{base}/articles/{A001}#s{sentence}")
    page.fill("#reviewer", "Dana")
    page.locator(f"#s{sentence} .text").click()


def test_source_from_mouse_selection_accept_undo_and_next(server, page, corpus):
    base, store = server
    open_sentence(page, base, 7)
    select(page, 7, "the Ukrainian government")
    page.keyboard.press("s")
    expect(page.locator("#s7 .src")).to_have_text("the Ukrainian government")
    expect(field(page, 7, "source_text")).to_have_text("“the Ukrainian government”, anonymous")

    page.keyboard.press("a")
    expect(page.locator("#s7")).to_have_class(re.compile(r"\baccepted\b"))
    expect(page.locator("#s8")).to_have_class(re.compile(r"\bcurrent\b"))  # accept moves on
    page.keyboard.press("u")  # takes back the accept; the source correction stands
    expect(page.locator("#s7")).to_have_class(re.compile(r"\bcorrected\b"))
    [label] = store.labels()
    assert corpus.get(A001).text[label.source[0] : label.source[1]] == "the Ukrainian government"

    # The least confident sentence nobody has reviewed, then (skipping it) the next in that queue.
    queue = [sentence for sentence in corpus.order if (sentence.article, sentence.id) != (A001, 7)]
    assert queue[0].confidence <= queue[1].confidence
    page.keyboard.press("n")
    page.wait_for_url(f"{base}/articles/{queue[0].article}#s{queue[0].id}")
    expect(page.locator(f"#s{queue[0].id}")).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("n")  # skip it
    page.wait_for_url(f"{base}/articles/{queue[1].article}#s{queue[1].id}")
    expect(page.locator(f"#s{queue[1].id}")).to_have_class(re.compile(r"\bcurrent\b"))
    assert page.problems == []


def test_cue_and_content_from_mouse_selections_and_boilerplate_by_key(server, page, corpus):
    base, store = server
    open_sentence(page, base, 7)
    select(page, 7, "has reached out to")
    page.keyboard.press("v")
    expect(page.locator("#s7 .acue")).to_have_text("has reached out to")
    select(page, 7, "for a statement on the matter")
    page.keyboard.press("t")
    expect(page.locator("#s7 .acontent")).to_have_text("for a statement on the matter")
    page.keyboard.press("b")
    expect(page.locator("#s7")).to_have_class(re.compile(r"\bboilerplate\b"))
    [label] = store.labels()
    text = corpus.get(A001).text
    assert text[label.cue[0] : label.cue[1]] == "has reached out to" and label.boilerplate
    assert [text[start:end] for start, end in label.content] == ["for a statement on the matter"]
    assert page.problems == []


def test_hostile_article_runs_no_script_and_offsets_count_code_points(server, page, corpus):
    base, store = server
    page.goto(f"{base}/articles/{HOSTILE_ID}")
    assert "<script>alert(1)</script>" in page.text_content("#s0 .text")
    assert page.locator("#sentences script, #sentences img, main h1 b").count() == 0
    page.fill("#reviewer", "<b>Dana</b>")
    page.locator("#s1").click()
    select(page, 1, "the ministry")  # after an emoji: JavaScript and Python count differently
    page.keyboard.press("s")
    expect(page.locator("#s1 .src")).to_have_text("the ministry")
    [label] = store.labels()
    assert corpus.get(HOSTILE_ID).text[label.source[0] : label.source[1]] == "the ministry"
    expect(field(page, 1, "status_text")).to_contain_text("by <b>Dana</b>")
    assert page.problems == []  # no dialog opened, no script error
