"""The review web app (Starlette): pages to read an annotated article sentence by sentence, and a
small JSON API to accept or correct its labels, undo, and jump to the least confident sentence.

Pages are Jinja2 templates with autoescaping; the only script is static/review.js, which builds
any text it shows with textContent. Writes go through the guards in security.py.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from attribution.document import CERTAINTY_LABELS, SPEAKER_LABELS
from attribution.labels import SentenceLabel
from attribution.reliability import Policy, grade
from attribution.render.batch import SORT_SCRIPT
from attribution.render.html import segments, speaker_colours
from attribution.review.corpus import (
    Corpus,
    ReviewArticle,
    ReviewSentence,
    review_settings,
)
from attribution.review.security import BodyLimit, SecurityHeaders, WriteGuard
from attribution.review.store import AlreadyUndone, Decision, Store, UnknownEvent

_CORRECTABLE = ("speaker", "certainty", "source", "named", "cue", "content", "boilerplate")


def regraded(article: ReviewArticle, sentence: ReviewSentence, label: SentenceLabel, policy: Policy) -> tuple[str, str]:
    """The grade and reasons of a sentence as labeled (a correction grades it again, from the
    facts its record was graded on, with the reviewer's speaker, certainty and source)."""
    if not sentence.facts or label == sentence.predicted:
        return sentence.grade, "; ".join(sentence.reasons)
    facts = {**sentence.facts, "speaker": label.speaker, "certainty": label.certainty, "named": bool(label.named)}
    fill = {**sentence.fill, "certainty": label.certainty}
    if label.source is not None:
        fill["source"] = article.text[label.source[0] : label.source[1]]
    found = grade(facts, fill, policy)
    return found.grade, "; ".join(found.reasons)


def sentence_state(article: ReviewArticle, sentence: ReviewSentence, decision: Decision | None, policy: Policy) -> dict[str, Any]:
    """Everything a page shows of one sentence; the same dict renders the page and answers the API."""
    label = decision.label if decision else sentence.predicted
    grade_now, reasons_now = regraded(article, sentence, label, policy)
    predicted = sentence.predicted
    if decision is None:
        status, status_text = "unreviewed", ""
    else:
        status = "accepted" if decision.action == "accept" else "corrected"
        changed = [f"{f} was {_show(getattr(predicted, f))}" for f in _CORRECTABLE if getattr(predicted, f) != getattr(label, f)]
        status_text = f"{status} by {label.annotator} at {label.time}" + (f" ({'; '.join(changed)})" if changed else "")
    return {
        "article": article.id,
        "id": sentence.id,
        "start": sentence.start,
        "end": sentence.end,
        "speaker": label.speaker,
        "certainty": label.certainty,
        "source": None if label.source is None else {"start": label.source[0], "end": label.source[1],
                                                      "text": article.text[label.source[0]:label.source[1]]},
        "named": label.named,
        "source_text": _source_text(article, label.source, label.named),
        "cue": None if label.cue is None else {"start": label.cue[0], "end": label.cue[1], "text": article.text[label.cue[0]:label.cue[1]]},
        "content": [{"start": start, "end": end, "text": article.text[start:end]} for start, end in label.content],
        "status": status,
        "status_text": status_text,
        "event": decision.event if decision else None,
        "speaker_score": sentence.speaker_score,
        "certainty_score": sentence.certainty_score,
        "confidence": sentence.confidence,
        "grade": grade_now,
        "reasons": reasons_now,
        "boilerplate": label.boilerplate,
        "segments": segments(article.text, sentence.start, sentence.end, sentence.marks(label)),
    }


def article_url(article_id: str) -> str:
    """The page of an article; any character of the id is quoted, "/" included."""
    return "/articles/" + quote(article_id, safe="")


def sentence_url(sentence: ReviewSentence) -> str:
    return f"{article_url(sentence.article)}#s{sentence.id}"


def _show(value: Any) -> str:
    return "none" if value is None else str(value)


def _source_text(article: ReviewArticle, source: tuple[int, int] | None, named: bool | None) -> str:
    if source is None:
        return "no source in this sentence"
    return f"“{article.text[source[0]:source[1]]}”, {'named' if named else 'anonymous'}"


def create_app(corpus: Corpus, store: Store, *, token: str | None = None, reviewer: str = "",
               allowed_hosts: Sequence[str] = ("127.0.0.1", "localhost"), policy: Policy | None = None) -> Starlette:
    """The ASGI app over one loaded corpus and one store. `token` defaults to a fresh random one;
    `policy` re-grades corrected sentences (default: the built-in reliability.yaml)."""
    policy = policy or Policy.load()
    settings = review_settings()
    keys = settings["keys"]
    token = token or secrets.token_urlsafe(32)
    # Autoescape everything: article text, titles and reviewer names are all untrusted.
    templates = Jinja2Templates(env=Environment(loader=PackageLoader("attribution.review", "templates"), autoescape=True))
    templates.env.globals.update(article_url=article_url, token=token, reviewer=reviewer,
                                 reviewer_max_chars=settings["reviewer_max_chars"])

    def find(article_id: str, sentence_id: int | None = None) -> tuple[ReviewArticle, ReviewSentence | None]:
        # Ids are only ever keys into the loaded annotations, never parts of a path.
        article = corpus.get(article_id)
        if article is None:
            raise HTTPException(404, f"no article with id {article_id!r}")
        if sentence_id is None:
            return article, None
        sentence = article.sentence(sentence_id)
        if sentence is None:
            raise HTTPException(404, f"article {article_id!r} has no sentence {sentence_id}")
        return article, sentence

    def states(article: ReviewArticle, standing: dict) -> list[dict[str, Any]]:
        return [sentence_state(article, s, standing.get(s.key), policy) for s in article.sentences]

    def state_of(article: ReviewArticle, sentence: ReviewSentence) -> dict[str, Any]:
        return sentence_state(article, sentence, store.standing(article.id).get(sentence.key), policy)

    def summaries() -> list[dict[str, Any]]:
        standing = store.standing()
        rows = []
        for article in corpus.articles.values():
            decisions = [standing.get(s.key) for s in article.sentences]
            rows.append({
                "id": article.id, "title": article.title, "outlet": article.outlet, "date": article.date, "sentences": len(article.sentences),
                "attributions": article.attributions,
                "low_confidence": sum(s.confidence < settings["low_confidence"] for s in article.sentences if not s.predicted.boilerplate),
                "reviewed": sum(d is not None for d in decisions),
                "corrected": sum(d is not None and d.action == "correct" for d in decisions),
            })
        return rows

    def next_unreviewed(after: tuple[str, int] | None) -> ReviewSentence | None:
        """The least confident sentence nobody has decided yet, after `after` in that order."""
        standing = store.standing()
        order = corpus.order
        position = next((i for i, s in enumerate(order) if (s.article, s.id) == after), -1)
        for sentence in order[position + 1:] + order[:position + 1]:  # wraps round to sentences skipped
            if (sentence.article, sentence.id) != after and sentence.key not in standing:
                return sentence
        return None

    async def body(request: Request) -> tuple[str, dict[str, Any]]:
        """The reviewer's name and the other fields of a JSON object body."""
        try:
            data = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raise HTTPException(400, "request body is not JSON") from None
        if not isinstance(data, dict):
            raise HTTPException(400, "request body must be a JSON object")
        name = data.pop("reviewer", None)
        if not isinstance(name, str) or not 0 < len(name.strip()) <= settings["reviewer_max_chars"] or not name.isprintable():
            raise HTTPException(422, f"reviewer must be your name (1-{settings['reviewer_max_chars']} printable characters)")
        return name.strip(), data

    def corrections(data: dict[str, Any], article: ReviewArticle, sentence: ReviewSentence) -> dict[str, Any]:
        unknown = sorted(set(data) - set(_CORRECTABLE))
        if unknown:
            raise HTTPException(422, f"unknown field {unknown[0]!r}; a correction may set {', '.join(_CORRECTABLE)}")
        if not data:
            raise HTTPException(422, f"nothing to correct: give one of {', '.join(_CORRECTABLE)}")
        # Speaker and certainty labels are checked by SentenceLabel.validate when the store merges them.
        for flag in ("named", "boilerplate"):
            if flag in data and not isinstance(data[flag], bool):
                raise HTTPException(422, f"{flag} must be true or false")
        if data.get("source") is not None:
            data["source"] = span_of(data["source"], "source", article, sentence)
            data.setdefault("named", False)  # a new source is anonymous until the reviewer says named
        if data.get("cue") is not None:
            data["cue"] = span_of(data["cue"], "cue", article, sentence)
        if "content" in data:  # the reviewer's selection is the whole content in this sentence
            data["content"] = [] if data["content"] is None else [span_of(data["content"], "content", article, sentence)]
        return data

    def span_of(value: Any, field: str, article: ReviewArticle, sentence: ReviewSentence) -> tuple[int, int]:
        if not (isinstance(value, dict) and set(value) == {"start", "end"}
                and all(type(value[k]) is int for k in ("start", "end"))):
            raise HTTPException(422, f'{field} must be null or {{"start": int, "end": int}} (article offsets)')
        start, end = value["start"], value["end"]
        if not sentence.start <= start < end <= sentence.end:
            raise HTTPException(422, f"{field} {start}-{end} lies outside sentence {sentence.id} ({sentence.start}-{sentence.end})")
        text = article.text
        while start < end and text[start].isspace():  # a mouse selection often takes a space along
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start == end:
            raise HTTPException(422, f"{field} selection holds only spaces")
        return start, end

    async def index(request: Request) -> Response:
        rows = await run_in_threadpool(summaries)
        return templates.TemplateResponse(request, "index.html", {"articles": rows})

    async def article_page(request: Request) -> Response:
        article, _ = find(request.path_params["article_id"])
        standing = await run_in_threadpool(store.standing, article.id)
        speaker_keys = list(zip(SPEAKER_LABELS, keys["speaker"]))
        certainty_keys = list(zip(CERTAINTY_LABELS, keys["certainty"]))
        return templates.TemplateResponse(request, "article.html", {
            "article": article, "sentences": states(article, standing), "keys": keys,
            "speaker_keys": speaker_keys, "certainty_keys": certainty_keys, "certainty_order": list(CERTAINTY_LABELS),
        })

    async def next_page(request: Request) -> Response:
        sentence = await run_in_threadpool(next_unreviewed, None)
        if sentence is None:
            return RedirectResponse("/", status_code=303)
        return RedirectResponse(sentence_url(sentence), status_code=303)

    async def sortable_js(request: Request) -> Response:
        return Response(SORT_SCRIPT + "\n", media_type="text/javascript")

    async def speakers_css(request: Request) -> Response:
        rules = "\n".join(f".sp-{label} {{ background: {colour}; }}" for label, colour in speaker_colours().items())
        return Response(rules + "\n", media_type="text/css")

    async def api_articles(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(summaries))

    async def api_article(request: Request) -> Response:
        article, _ = find(request.path_params["article_id"])
        standing = await run_in_threadpool(store.standing, article.id)
        return JSONResponse({"id": article.id, "title": article.title, "sentences": states(article, standing)})

    async def api_decide(request: Request) -> Response:
        article, sentence = find(request.path_params["article_id"], request.path_params["sentence_id"])
        action = request.path_params["action"]
        if action not in ("accept", "correct"):
            raise HTTPException(404, f"unknown action {action!r}: accept or correct")
        reviewer_name, data = await body(request)
        if action == "accept":
            if data:
                raise HTTPException(422, f"accept takes only the reviewer, not {min(data)!r}")
            changes: dict[str, Any] = {}
        else:
            changes = corrections(data, article, sentence)
        try:
            decision = await run_in_threadpool(store.decide, sentence.id, sentence.predicted, action, changes, reviewer_name)
        except ValueError as error:
            raise HTTPException(422, str(error)) from None
        except sqlite3.Error as error:
            raise HTTPException(503, f"decision not saved, the review database failed: {error}") from None
        return JSONResponse(sentence_state(article, sentence, decision, policy))

    async def api_undo(request: Request) -> Response:
        reviewer_name, data = await body(request)
        event = data.get("event")
        if type(event) is not int or set(data) != {"event"}:
            raise HTTPException(422, 'undo takes {"event": int, "reviewer": name}')
        try:
            undone = await run_in_threadpool(store.undo, event, reviewer_name)
        except UnknownEvent as error:
            raise HTTPException(404, str(error)) from None
        except AlreadyUndone as error:
            raise HTTPException(409, str(error)) from None
        except sqlite3.Error as error:
            raise HTTPException(503, f"undo not saved, the review database failed: {error}") from None
        article = corpus.get(undone.label.article)
        sentence = article.sentence(undone.sentence) if article else None
        if article is None or sentence is None:  # a decision about an article this server did not load
            return JSONResponse({"undone": event})
        return JSONResponse(await run_in_threadpool(state_of, article, sentence))

    async def api_next(request: Request) -> Response:
        article_id, sentence_id = request.query_params.get("article"), request.query_params.get("sentence", "")
        after = (article_id, int(sentence_id)) if article_id is not None and sentence_id.isdigit() else None
        sentence = await run_in_threadpool(next_unreviewed, after)
        if sentence is None:
            return JSONResponse({"done": True})
        return JSONResponse({"done": False, "article": sentence.article, "sentence": sentence.id, "url": sentence_url(sentence)})

    async def http_error(request: Request, error: HTTPException) -> Response:
        if request.url.path.startswith("/api/") or request.method not in ("GET", "HEAD"):
            return JSONResponse({"error": error.detail}, status_code=error.status_code)
        return templates.TemplateResponse(request, "error.html", {"message": error.detail},
                                          status_code=error.status_code)

    routes = [
        Route("/", index, name="index"),
        Route("/next", next_page, name="next"),
        Route("/sortable.js", sortable_js),
        Route("/articles/{article_id:path}", article_page),
        Route("/speakers.css", speakers_css, name="speakers_css"),
        Route("/api/articles", api_articles),
        Route("/api/articles/{article_id:path}/sentences/{sentence_id:int}/{action}", api_decide, methods=["POST"]),
        Route("/api/articles/{article_id:path}", api_article),
        Route("/api/undo", api_undo, methods=["POST"]),
        Route("/api/next", api_next),
        Mount("/static", app=StaticFiles(packages=[("attribution.review", "static")]), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)),
        Middleware(WriteGuard, token=token),
        Middleware(BodyLimit, max_bytes=settings["max_body_bytes"]),
    ]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: http_error})
    app.state.token = token
    return app
