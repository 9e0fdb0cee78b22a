"""Who is speaking: source entities and their affiliation (resources/affiliation/), and every
seed sentence's speaker and certainty against a reader's labels (data/seeds/labels.jsonl)."""

from __future__ import annotations

import pytest

from attribution.labels import labels_by_article
from tests.conftest import ROOT

SEED_LABELS = ROOT / "data" / "seeds" / "labels.jsonl"


def entity_of(article, source: str):
    """The entity of the attribution whose source is `source`."""
    found = [a for a in article.attributions if a.source and article.span_text(a.source) == source]
    assert found, f"no attribution with source {source!r}: {[article.span_text(a.source) for a in article.attributions]}"
    return next(e for e in article.entities if e.id == found[0].entity)


# (text, source phrase, label, words the reason names)
AFFILIATIONS = [
    ("The head of French diplomacy, Catherine Colonna, arrived in Kyiv on Tuesday. "
     "She said that France would send more air defence systems.", "She", "other_official", "French"),
    ("Washington dismissed the offer on Monday, saying it would not negotiate under threats.", "Washington", "us_official", "Washington"),
    ("Colonel General Oleksandr Syrskyi said Russian troops had regrouped near Kupiansk.", "Colonel General Oleksandr Syrskyi",
     "ukrainian_military", "Syrskyi"),
    ("Polish Foreign Minister Radoslaw Sikorski arrived in Kyiv on Monday. The visit had not been announced. "
     "Air raid sirens sounded twice during the day. He said Poland would keep its border crossings open.", "He", "other_official", "Polish"),
    ("The Kremlin said the talks had stalled, and Kyiv said it would not give up any territory.", "The Kremlin", "russian_official", "Kremlin"),
    ("The Kremlin said the talks had stalled, and Kyiv said it would not give up any territory.", "Kyiv", "ukrainian_official", "Kyiv"),
    ("A spokesperson for the Russian Defence Ministry said two drones were shot down over Belgorod.",
     "A spokesperson for the Russian Defence Ministry", "russian_military", "Russian"),
    ("A source in the Turkish Foreign Ministry said no meeting had been scheduled.", "A source in the Turkish Foreign Ministry",
     "other_official", "Turkish"),
    ("NATO said it would strengthen its eastern flank.", "NATO", "other_official", "NATO"),
    ("Former US ambassador Kurt Volker said the sanctions came too late.", "Former US ambassador Kurt Volker", "expert", "Former"),
    ("A Russian military analyst said the offensive had stalled.", "A Russian military analyst", "expert", "analyst"),
    ("Residents said they heard explosions before dawn.", "Residents", "other_source", "Residents"),
    ("Lavrov said the talks had failed.", "Lavrov", "russian_official", "people.yaml"),
]


@pytest.mark.parametrize("text,source,label,reason", AFFILIATIONS, ids=[f"{a[1]} -> {a[2]}" for a in AFFILIATIONS])
def test_the_entity_of_a_source_has_its_affiliation_and_the_reason(pipeline, text, source, label, reason):
    article = pipeline(text)
    entity = entity_of(article, source)
    assert entity.label == label, entity.reason
    assert reason in (entity.reason or "")
    record = next(e for e in article.to_record()["entities"] if e["id"] == entity.id)
    assert record["reason"] == entity.reason and record["evidence"] in ("stated", "known person", "role", "none")


def test_a_name_alone_later_takes_the_affiliation_its_first_mention_gave(pipeline):
    article = pipeline("Zbigniew Rau, Poland's foreign minister, met his Lithuanian counterpart in Vilnius on Friday. "
                       "The talks lasted two hours. Rau said the two countries would share intelligence on the border.")
    entity = entity_of(article, "Rau")
    assert entity.label == "other_official" and "Poland" in entity.reason
    assert entity.name.startswith("Zbigniew Rau")  # the informative mention names the entity


def test_the_affiliation_is_not_taken_from_what_a_source_is_about(pipeline):
    """ "Sullivan with an assault on Ukraine" says nothing about whose official Sullivan is."""
    article = pipeline("Jake Sullivan with an assault on Ukraine: the attack could begin at any time.")
    sources = [e for e in article.entities if "Sullivan" in e.name]
    assert sources and all(e.label != "ukrainian_official" for e in sources)


def test_two_officials_with_ordinals_stay_two_entities(pipeline):
    article = pipeline("The first US official said the offensive was likely. The second US official said it was not. "
                       "The first source added that Russia had moved artillery.")
    first, second = entity_of(article, "The first US official"), entity_of(article, "The second US official")
    assert first.id != second.id and entity_of(article, "The first source").id == first.id


# The examples of GUIDELINES section 2 that the seeds do not hold, in hand-written sentences.
GUIDELINE_EXAMPLES = [
    ("A senior Ukrainian official said the front near Pokrovsk was holding.", "ukrainian_official"),
    ("NATO said it would send more air defence systems to Romania.", "other_official"),
    ("The Institute for the Study of War said Russian forces had advanced near Chasiv Yar.", "expert"),
    ("A military analyst said the bridge had been hit at least twice.", "expert"),
    ("A source with knowledge of the talks said no date had been set.", "other_source"),
    ("Residents said they heard three explosions before dawn.", "other_source"),
]


# Examples the shipped classifier (v3) still labels wrong (issue 12); strict, so a fix shows.
_WRONG = pytest.mark.xfail(strict=True, reason="classifier v3: other_official for an unaffiliated source (issue 12)")
# On a knife's edge (top score 0.29 of ten speakers): other_official in float32 (torch and ONNX
# Runtime alike) and in int8 on the AVX-512 hosts CI ran on before, other_source in int8 on an
# AVX2-only CPU, whose ONNX Runtime int8 kernels round otherwise. Not strict: the CPU decides.
_EDGE = pytest.mark.xfail(strict=False, reason="classifier v3: other_official or other_source by the CPU's int8 kernels (issue 12)")
KNOWN_WRONG = {"A source with knowledge of the": _WRONG, "Residents said they heard thre": _EDGE}


@pytest.mark.parametrize("text,speaker", [pytest.param(*g, marks=KNOWN_WRONG[g[0][:30]]) if g[0][:30] in KNOWN_WRONG else g
                                          for g in GUIDELINE_EXAMPLES],
                         ids=[g[1] + ": " + g[0][:30] for g in GUIDELINE_EXAMPLES])
def test_guideline_examples_get_their_speaker(pipeline, text, speaker):
    assert pipeline(text).sentences[0].speaker.label == speaker


@pytest.mark.xfail(strict=True, reason="classifier v3 leaves the colon headline unattributed (issue 12)")
def test_a_dash_quote_and_a_colon_headline_keep_their_speaker(pipeline):
    article = pipeline("Lukashenko about Poland: They want all of Belarus\n\n"
                       "Belarusian President Alexander Lukashenko said on Friday that Poland was preparing for war.\n\n"
                       "- We categorically do not accept the war. The war is very bad - he emphasized.")
    labels = [s.speaker.label for s in article.sentences]
    assert labels[0] == "other_official"  # the headline names its speaker
    assert labels[1:] == ["other_official"] * (len(labels) - 1)  # the dash quote continues his account


@pytest.mark.xfail(strict=True, reason="classifier v3: 62 of 71 seed sentences right (3 speakers, 6 certainties wrong; issue 12)")
def test_every_seed_sentence_has_the_readers_labels(seed_records):
    """GUIDELINES applied to every sentence of the three seed articles (data/seeds/labels.jsonl)."""
    wrong = []
    for article_id, labels in labels_by_article(SEED_LABELS).items():
        record = seed_records[article_id]
        for label in labels:
            sentence = max(record["sentences"], key=lambda s: min(s["end"], label.end) - max(s["start"], label.start))
            if label.boilerplate:  # furniture has no labels to compare
                if not sentence["boilerplate"]:
                    wrong.append(f"{article_id} S{sentence['id']}: not marked boilerplate")
                continue
            got = (sentence["speaker"]["label"], sentence["certainty"]["label"]) if sentence["speaker"] else (None, None)
            if got != (label.speaker, label.certainty):
                wrong.append(f"{article_id} S{sentence['id']}: {got} != {(label.speaker, label.certainty)}: "
                             f"{record['text'][label.start : label.start + 60]!r}")
    assert not wrong, "\n".join(wrong)
