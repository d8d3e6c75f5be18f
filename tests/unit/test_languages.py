"""The customer's language: tags, offline detection once there is enough text, and the texts an
agent gives per language before the system's own."""

from __future__ import annotations

import pytest

from chatapp import languages


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("de-CH", "de"),
        ("pt_BR", "pt"),
        ("FR", "fr"),
        ("nb-NO", "no"),
        ("xx", None),
        ("", None),
        ("de--", None),
    ],
)
def test_host_page_tags_name_a_supported_language_or_none(tag: str, expected: str | None) -> None:
    assert languages.normalized(tag) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wo ist mein Paket? Es sollte gestern ankommen.", "de"),
        ("Bonjour, je voudrais retourner mes chaussures", "fr"),
        ("¿Puedo devolver unos zapatos que no quiero?", "es"),
        ("Posso restituire le scarpe che non voglio?", "it"),
        ("Can I pay for my order with a gift card?", "en"),
        ("荷物はどこにありますか。まだ届いていません。", "ja"),
    ],
)
def test_detection_names_the_language_of_a_sentence(text: str, expected: str) -> None:
    assert languages.detect(text) == expected


def test_too_little_text_is_not_guessed_at() -> None:
    assert languages.detect("Hallo") is None  # under MIN_CHARS
    assert languages.detect("ok 123 ?!") is None


def test_an_agents_own_text_for_the_language_comes_first_then_its_default_then_the_system() -> None:
    config = {"handover": "One moment.", "byLanguage": {"de": {"handover": "Einen Moment."}}}
    assert languages.agent_text(config, "handover", "de") == "Einen Moment."
    assert languages.agent_text(config, "handover", "fr") == "One moment."
    assert languages.agent_text({}, "handover", "fr") is None
    assert languages.text("handover", "fr").startswith("J'ai demandé")
    assert languages.text("handover", "ko") == languages.text("handover", "en")  # no translation yet
