from __future__ import annotations

from detente_producer.ingest.language import detect_language, item_language, primary_language

ENGLISH = "The foreign minister said on Monday that talks would resume next week in Geneva."
FRENCH = "Le ministre des affaires étrangères a déclaré lundi que les négociations reprendraient."
GERMAN = "Der Außenminister sagte am Montag, die Gespräche würden nächste Woche fortgesetzt."


def test_detection_from_the_text():
    assert detect_language(ENGLISH) == "en"
    assert detect_language(FRENCH) == "fr"
    assert detect_language(GERMAN) == "de"


def test_too_little_text_is_not_guessed():
    assert detect_language("OK 2026") is None


def test_declared_tags_are_reduced_to_the_primary_language():
    assert primary_language("en-GB") == "en"
    assert primary_language("EN_us") == "en"
    assert primary_language("fr") == "fr"
    assert primary_language("not a tag") is None
    assert primary_language(None) is None


def test_configuration_then_feed_then_detection():
    assert item_language("en", "fr", FRENCH) == "en"
    assert item_language(None, "fr-FR", ENGLISH) == "fr"
    assert item_language(None, None, GERMAN) == "de"
    assert item_language(None, "garbage tag", FRENCH) == "fr"
