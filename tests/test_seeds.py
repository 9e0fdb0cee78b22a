"""The seed articles: what a careful reader finds in each, checked attribution by attribution."""

from __future__ import annotations

import pytest

A000, A001, A002 = "000_ce849f418b17f7cf", "001_0bd9adbc2bf234f1", "002_a1c6e68b0a879c73"


def find(record: dict, source: str | None, cue: str) -> dict:
    for a in record["attributions"]:
        source_text = a["source"]["text"] if a["source"] else None
        if a["cue"]["text"] == cue and (source_text == source or (source and source_text and source in source_text)):
            return a
    found = [((a["source"] or {}).get("text"), a["cue"]["text"]) for a in record["attributions"]]
    raise AssertionError(f"no attribution {source!r} / {cue!r}; found {found}")


def content_text(attribution: dict) -> str:
    return " … ".join(span["text"] for span in attribution["content"])


def chain(record: dict, attribution: dict) -> list[str]:
    by_id = {a["id"]: a for a in record["attributions"]}
    names, current = [], attribution
    while current is not None:
        names.append(current["source"]["text"] if current["source"] else None)
        current = by_id.get(current["via"]) if current["via"] else None
    return list(reversed(names))


def sentence_with(record: dict, words: str) -> dict:
    text = record["text"]
    for s in record["sentences"]:
        if words in text[s["start"] : s["end"]]:
            return s
    raise AssertionError(f"no sentence contains {words!r}")


# (source, cue, words of the content, speaker, named, chain from the outermost source)
EXPECTED = {
    A000: [
        ("two US officials", "according to", "Russia is concentrating forces on the front line", "us_official", False,
         ["The Gaze", "CNN", "two US officials with knowledge of the latest US assessments"]),
        ("The Gaze", "reports", "this", "media", True, ["The Gaze"]),
        ("CNN", "with reference to", "this", "media", True, ["The Gaze", "CNN"]),
        ("the first US official", "said", "looking to build up a large force", "us_official", False, ["The Gaze", "CNN", "the first US official"]),
        ("He", "added", "the likely offensive would be aimed at seizing further territory", "us_official", False, None),
        ("the second US official", "said", "Putin will try to seize all the territory he can", "us_official", False, None),
        ("US estimates", "According to", "largely Ukraine's unmanned aerial vehicles", "us_official", False, None),
        ("the first source", "told", "there is no indication that North Korea", "us_official", False, ["The Gaze", "CNN", "the first source"]),
        ("US assessments", "have shown", "Russia's military objectives", "us_official", False, None),
        ("CNN", "reported", "Ukrainian troops have been observing Russia", "media", True, ["The Gaze", "CNN"]),
        ("a source in the Turkish Foreign Ministry", "said", "no meeting between Russia and Ukraine has been scheduled", "other_official", False, None),
        ("Moscow", "claims", "the talks were scheduled for the morning of 15 May", "russian_official", True, None),
        ("Ukrainian President Volodymyr Zelenskyy", "said", "a decision on further steps in the talks", "ukrainian_official", True, None),
        ("The Gaze", "reported", "a plane carrying Ukrainian President Volodymyr Zelenskyy", "media", True, ["The Gaze"]),
    ],
    A001: [
        ("a US official", "According to", "Russia has gathered a sizeable force of tens of thousands", "us_official", False, ["CNN", "a US official"]),
        ("Ukrainian President Volodymyr Zelensky", "revealed", "about 11,000 North Korean soldiers are currently stationed", "ukrainian_official", True, None),
        ("The New York Times", "reported", "the total number of Russian and North Korean troops", "media", True, None),
        ("A Ukrainian commander", "informed", "the North Korean soldiers are actively engaged in combat", "ukrainian_military", False, ["CNN", "A Ukrainian commander"]),
        ("The commander", "explained", "the North Korean troops have been assigned to tasks", "ukrainian_military", False, None),
        ("He", "stated", "it is highly likely that these troops will eventually be deployed", "ukrainian_military", False, None),
        ("the commander", "According to", "these North Korean soldiers are a valuable resource", "ukrainian_military", False, None),
        ("a spokesperson for Ukraine's air force", "according to", "The Russian military is also continuously launching", "ukrainian_military", False, None),
        ("President Zelensky", "expressed frustration", "world leaders are not listening to his pleas", "ukrainian_official", True, None),
        ("Russian President Vladimir Putin", "stated", "he is ready for dialogue with the president-elect", "russian_official", True, None),
        ("Russian President Vladimir Putin", "acknowledged", "deserve attention at the very least", "russian_official", True, None),
    ],
    A002: [
        ("Ukrainian and American officials", "according to", "North Korea has deployed several thousand troops", "ukrainian_official", False,
         ["The New York Times", "Ukrainian and American officials"]),
        ("US Defense Secretary Lloyd Austin", "confirmed", "the troops arrived via Vladivostok", "us_official", True, None),
        ("A senior Ukrainian official", "estimates", "5,000 North Korean soldiers will be in position by Monday", "ukrainian_official", False, None),
        ("Ukrainian Commander-in-Chief Colonel General Oleksandr Syrskyi", "reported", "Russia relocated about 50,000 troops", "ukrainian_military", True, None),
        ("The New York Times", "according to", "this Ukrainian strategy to draw Russian forces away", "media", True, None),
    ],
}

CASES = [(article, *case) for article, cases in EXPECTED.items() for case in cases]


@pytest.mark.parametrize("article,source,cue,content,speaker,named,expected_chain", CASES, ids=[f"{c[0][:3]}-{c[1]}-{c[2]}" for c in CASES])
def test_seed_attribution(seed_records, article, source, cue, content, speaker, named, expected_chain):
    record = seed_records[article]
    attribution = find(record, source, cue)
    assert content in content_text(attribution)
    assert attribution["speaker"] == speaker
    assert attribution["named"] is named
    if expected_chain is not None:
        assert chain(record, attribution) == expected_chain


def test_one_entity_per_source_across_mentions(seed_records):
    record = seed_records[A001]
    commander = {find(record, s, c)["entity"] for s, c in [("A Ukrainian commander", "informed"), ("The commander", "explained"), ("He", "stated"), ("the commander", "According to")]}
    assert len(commander) == 1
    zelensky = {find(record, s, c)["entity"] for s, c in [("Ukrainian President Volodymyr Zelensky", "revealed"), ("President Zelensky", "expressed frustration")]}
    assert len(zelensky) == 1
    record = seed_records[A000]
    first = find(record, "the first US official", "said")["entity"]
    assert find(record, "He", "added")["entity"] == first
    assert find(record, "the first source", "told")["entity"] == first
    assert find(record, "the second US official", "said")["entity"] != first
    entities = {e["id"]: e for e in record["entities"]}
    assert entities[first]["label"] == "us_official" and entities[first]["named"] is False


def test_multi_sentence_direct_quote(seed_records):
    record = seed_records[A000]
    quote = find(record, "the second US official", "said")
    assert quote["kind"] == "direct"
    assert "The Russians will make every effort to get everything they can" in content_text(quote)
    assert sentence_with(record, "The Russians will make every effort")["speaker"]["label"] == "us_official"
    mixed = find(seed_records[A001], "Russian President Vladimir Putin", "acknowledged")
    assert mixed["kind"] == "mixed"


# (article, words in the sentence, cue text, kind)
HEDGES = [
    (A000, "He added that the likely offensive", "likely", "epistemic"),
    (A000, "despite Moscow's claims", "Moscow's claims", "distancing"),
    (A001, "about 11,000 North Korean soldiers", "about 11,000", "approximator"),
    (A001, "sizeable force of tens of thousands", "tens of thousands", "approximator"),
    (A001, "suggested that the country could be pressured", "could", "epistemic"),
    (A001, "it is highly likely that these troops", "highly likely", "epistemic"),
    (A001, "is estimated to be around 50,000", "around 50,000", "approximator"),
    (A002, "their presence could allow Russia", "could", "epistemic"),
    (A002, "The soldiers, reportedly from an elite", "reportedly", "evidential"),
    (A002, "up to 12,000 troops", "up to 12,000", "approximator"),
    (A002, "North Korea has deployed several thousand troops", "several thousand", "approximator"),
]


@pytest.mark.parametrize("article,words,cue,kind", HEDGES, ids=[h[2] for h in HEDGES])
def test_seed_hedges(seed_records, article, words, cue, kind):
    sentence = sentence_with(seed_records[article], words)
    text = seed_records[article]["text"]
    found = {(text[c["start"] : c["end"]], c["kind"]) for c in sentence["cues"]}
    assert (cue, kind) in found


# (article, words in the sentence, speaker label, certainty label)
SENTENCES = [
    (A000, "The Gaze reports on this with reference to CNN", "media", "certain"),
    (A000, "He added that the likely offensive", "us_official", "probable"),
    (A000, "At the same time, Ukraine is suffering", "unattributed", "certain"),
    (A000, "no meeting between Russia and Ukraine has been scheduled", "other_official", "certain"),
    (A000, "As The Gaze reported earlier", "media", "certain"),
    (A001, "A Ukrainian commander informed CNN", "ukrainian_military", "certain"),
    (A001, "it is highly likely that these troops", "ukrainian_military", "probable"),
    (A001, "both countries denied the allegations at the time", "unattributed", "certain"),
    (A001, "North Korea, which has one of the largest militaries", "unattributed", "certain"),
    (A001, "suggested that the country could be pressured", None, "possible"),
    (A002, "A senior Ukrainian official estimates", "ukrainian_official", "probable"),
    (A002, "US Defense Secretary Lloyd Austin confirmed", "us_official", "certain"),
    (A002, "their presence could allow Russia", "unattributed", "possible"),
]


# Seed sentences the shipped classifier (v3) still labels wrong: issue 12 wants every one right.
# Strict: a model that gets one right makes its test fail until it leaves this list.
KNOWN_WRONG = {"The Gaze reports on this with ", "He added that the likely offen", "no meeting between Russia and ",
               "both countries denied the alle"}


def _known_wrong(cases: list[tuple]) -> list:
    mark = pytest.mark.xfail(strict=True, reason="classifier v3 gives another certainty (issue 12: every seed sentence right)")
    return [pytest.param(*case, marks=mark) if case[1][:30] in KNOWN_WRONG else case for case in cases]


@pytest.mark.parametrize("article,words,speaker,certainty", _known_wrong(SENTENCES), ids=[s[1][:30] for s in SENTENCES])
def test_seed_sentence_labels(seed_records, article, words, speaker, certainty):
    sentence = sentence_with(seed_records[article], words)
    if speaker is not None:
        assert sentence["speaker"]["label"] == speaker
    assert sentence["certainty"]["label"] == certainty


def test_every_seed_sentence_is_labeled_and_graded(seed_records):
    for record in seed_records.values():
        assert record["sentences"]
        for sentence in record["sentences"]:
            if sentence["boilerplate"]:  # furniture: no labels, no grade
                assert sentence["speaker"] is None and sentence["certainty"] is None and sentence.get("reliability") is None
            else:
                assert sentence["speaker"]["label"] and sentence["certainty"]["label"]
                assert sentence["reliability"]["reasons"]


BOILERPLATE = [
    (A001, "has been generated with AI"),
    (A001, "Generative AI is experimental"),
    (A002, "Read more:"),
    (A002, "You could close this page"),
    (A002, "We keep our reporting open and accessible"),
    (A002, "Become a Patron!"),
    (A002, "(Visited 1 times, 1 visits today)"),
    (A002, "About The Author"),
]


@pytest.mark.parametrize("article,words", BOILERPLATE, ids=[b[1] for b in BOILERPLATE])
def test_seed_boilerplate_marked_not_deleted(seed_records, article, words):
    record = seed_records[article]
    assert words in record["text"]
    assert sentence_with(record, words)["boilerplate"] is True


def test_prose_is_not_boilerplate(seed_records):
    record = seed_records[A002]
    assert sentence_with(record, "US Defense Secretary Lloyd Austin confirmed")["boilerplate"] is False
    assert sentence_with(record, "The arrival of these troops marks")["boilerplate"] is False
