"""Both parser backends meet the attribution logic through one representation."""

from __future__ import annotations

import pytest
from stanza.utils.conll import CoNLL

from attribution.attribute import attribute
from attribution import resources
from attribution.attribute.spans import SpanModel
from attribution.document import Article
from attribution.hedging import find_cues
from attribution.labeling import label_article
from attribution.parse import ParserUnavailable, load_parser
from attribution.parse.chunks import paragraph_chunks
from attribution.parse.stanza_backend import StanzaParser, add_document
from tests.conftest import shared_path

# Gold-style UD trees written by hand for three sentences (no character offsets: the adapter
# aligns words to the text).
TEXT = ("A Ukrainian commander told CNN that the troops moved east. "
        "According to US estimates, drones are holding Russia back.\n"
        "He added that the offensive could start soon.")
CONLLU = """# text = A Ukrainian commander told CNN that the troops moved east.
1	A	a	DET	_	_	3	det	_	_
2	Ukrainian	Ukrainian	ADJ	_	_	3	amod	_	_
3	commander	commander	NOUN	_	_	4	nsubj	_	_
4	told	tell	VERB	_	_	0	root	_	_
5	CNN	CNN	PROPN	_	_	4	obj	_	_
6	that	that	SCONJ	_	_	9	mark	_	_
7	the	the	DET	_	_	8	det	_	_
8	troops	troop	NOUN	_	_	9	nsubj	_	_
9	moved	move	VERB	_	_	4	ccomp	_	_
10	east	east	ADV	_	_	9	advmod	_	_
11	.	.	PUNCT	_	_	4	punct	_	_

# text = According to US estimates, drones are holding Russia back.
1	According	accord	VERB	_	_	4	case	_	_
2	to	to	ADP	_	_	1	fixed	_	_
3	US	US	PROPN	_	_	4	compound	_	_
4	estimates	estimate	NOUN	_	_	8	obl	_	_
5	,	,	PUNCT	_	_	8	punct	_	_
6	drones	drone	NOUN	_	_	8	nsubj	_	_
7	are	be	AUX	_	_	8	aux	_	_
8	holding	hold	VERB	_	_	0	root	_	_
9	Russia	Russia	PROPN	_	_	8	obj	_	_
10	back	back	ADV	_	_	8	advmod	_	_
11	.	.	PUNCT	_	_	8	punct	_	_

# text = He added that the offensive could start soon.
1	He	he	PRON	_	_	2	nsubj	_	_
2	added	add	VERB	_	_	0	root	_	_
3	that	that	SCONJ	_	_	7	mark	_	_
4	the	the	DET	_	_	5	det	_	_
5	offensive	offensive	NOUN	_	_	7	nsubj	_	_
6	could	could	AUX	_	_	7	aux	_	_
7	start	start	VERB	_	_	2	ccomp	_	_
8	soon	soon	ADV	_	_	7	advmod	_	_
9	.	.	PUNCT	_	_	2	punct	_	_

"""


def annotate_stanza_document(text: str, conllu: str) -> Article:
    article = Article("stanza-test", text)
    add_document(article, CoNLL.conll2doc(input_str=conllu))
    attribute(article)
    find_cues(article)
    label_article(article)
    return article


def summary(article: Article) -> list[tuple[str | None, str, str, str]]:
    return [
        (article.span_text(a.source), article.span_text(a.cue), " ".join(article.span_text(c) for c in a.content), a.speaker or "")
        for a in article.attributions
        if a.kind != "relay"
    ]


def test_stanza_adapter_from_conllu_feeds_the_same_rules():
    article = annotate_stanza_document(TEXT, CONLLU)
    assert [t.text for t in article.tokens[:3]] == ["A", "Ukrainian", "commander"]
    assert all(article.text[t.start : t.end] == t.text for t in article.tokens)
    assert summary(article) == [
        ("A Ukrainian commander", "told", "the troops moved east", "ukrainian_military"),
        ("US estimates", "According to", "drones are holding Russia back", "us_official"),
        ("He", "added", "the offensive could start soon", "ukrainian_military"),
    ]
    told, _, added = [a for a in article.attributions if a.kind != "relay"]
    assert told.entity == added.entity
    relay = next(a for a in article.attributions if a.kind == "relay")
    assert told.via == relay.id and article.span_text(relay.source) == "CNN"
    assert article.sentences[2].certainty.label == "possible"


def test_span_model_works_on_a_stanza_parse():
    """The span model reads the text and the shared UD tokens, whichever parser made them."""
    article = Article("stanza-test", TEXT)
    add_document(article, CoNLL.conll2doc(input_str=CONLLU))
    attribute(article, SpanModel.load(resources.model_folder("spans")), rules=False)
    found = {(article.span_text(a.source), article.span_text(a.cue)) for a in article.attributions}
    assert ("A Ukrainian commander", "told") in found
    assert any(cue == "added" for _, cue in found)


def test_spacy_gives_the_same_attributions_on_the_same_text(pipeline):
    [parsed] = list(pipeline.parser.parse([Article("spacy-test", TEXT)]))
    attribute(parsed)
    assert summary(parsed) == summary(annotate_stanza_document(TEXT, CONLLU))


def test_spacy_labels_are_converted_to_ud(pipeline):
    [article] = list(pipeline.parser.parse([Article("ud", "According to US estimates, the plan is ready, he said.")]))
    by_text = {t.text: t for t in article.tokens}
    estimates = by_text["estimates"]
    assert by_text["According"].dep == "case" and by_text["According"].head == estimates.i
    assert by_text["to"].dep == "fixed"
    assert estimates.dep == "obl"
    assert by_text["is"].dep == "cop" and by_text["is"].head == by_text["ready"].i
    assert {t.dep for t in article.tokens} <= {
        "case", "fixed", "compound", "obl", "punct", "det", "nsubj", "cop", "root", "parataxis", "ccomp", "xcomp"}


def test_stanza_without_models_says_how_to_get_them(tmp_path):
    with pytest.raises(ParserUnavailable, match="attribution setup stanza"):
        StanzaParser(directory=tmp_path)


def test_unknown_parser_is_refused():
    with pytest.raises(ValueError, match="unknown parser"):
        load_parser("corenlp")


def test_long_paragraphs_are_cut_at_sentence_ends():
    text = "First paragraph.\n\n" + "The army said it advanced. " * 10
    chunks = list(paragraph_chunks(text, max_chars=60))
    assert chunks[0] == (0, "First paragraph.")
    assert all(len(chunk) <= 60 for _, chunk in chunks)
    assert all(text[offset : offset + len(chunk)] == chunk for offset, chunk in chunks)
    assert all(chunk.endswith(".") for _, chunk in chunks)


def test_stanza_adapter_on_gold_ud_news_documents():
    """Gold UD trees of real news (GUM Wikinews) through the adapter: offsets line up and
    reported speech is found."""
    folder = shared_path("data", "ud", "gum", "news")
    files = sorted(folder.glob("*.conllu"))[:6]
    assert files
    found = 0
    for path in files:
        conllu = path.read_text(encoding="utf-8")
        document = CoNLL.conll2doc(input_str=conllu)
        text = "\n".join(s.text for s in document.sentences)
        article = Article(path.stem, text)
        add_document(article, document)
        assert all(article.text[t.start : t.end] == t.text for t in article.tokens)
        attribute(article)
        found += sum(1 for a in article.attributions if article.span_text(a.cue).lower() in ("said", "says", "told", "according to"))
    assert found >= 5
