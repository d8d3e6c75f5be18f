"""The customer's language: the languages Buzzi answers in, offline detection, and the system texts
customers read, in each of them.

Detection is py3langid (langid.py's model, ~4.5 MB with numpy already in the layers; lingua is
~293 MB): restricted to `SUPPORTED`, only once at least `MIN_CHARS` of the customer's text have
arrived (as Fin does), and only when it is sure (`MIN_PROBABILITY`). The model loads once per
process (~0.8 s), on first use.
"""

# A catalogue of sentences: one a line reads best, however long.
# ruff: noqa: E501

from __future__ import annotations

import re
import threading
from typing import Any

SUPPORTED: dict[str, str] = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "pl": "Polish",
    "sv": "Swedish",
    "da": "Danish",
    "no": "Norwegian",
    "fi": "Finnish",
    "cs": "Czech",
    "tr": "Turkish",
    "ru": "Russian",
    "uk": "Ukrainian",
    "ja": "Japanese",
    "zh": "Chinese",
    "ko": "Korean",
    "ar": "Arabic",
}
DEFAULT = "en"
MIN_CHARS = 10
MIN_PROBABILITY = 0.85
_TAG = re.compile(r"^([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]{1,8})*$")
_ALIASES = {"nb": "no", "nn": "no"}

_lock = threading.Lock()
_identifier: Any = None


def normalized(tag: str | None) -> str | None:
    """A BCP 47 tag ("de-CH", "pt_BR") as the supported language it names, or None."""
    found = _TAG.match((tag or "").strip())
    if not found:
        return None
    code = found.group(1).lower()
    code = _ALIASES.get(code, code)
    return code if code in SUPPORTED else None


def _model() -> Any:
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages(list(SUPPORTED))
                _identifier = identifier
    return _identifier


def warm() -> None:
    """Load the model now (a function's init, so a snapshot carries it)."""
    _model()


def detect(text: str) -> str | None:
    """The language of `text`, when there is enough of it and the model is sure; else None."""
    text = " ".join(text.split())
    if len(text) < MIN_CHARS:
        return None
    language, probability = _model().classify(text[:2000])
    return str(language) if probability >= MIN_PROBABILITY else None


def name(code: str | None) -> str:
    return SUPPORTED.get(code or DEFAULT, SUPPORTED[DEFAULT])


# ---------------------------------------------------------------- system texts

# What customers read from Buzzi itself (an agent's own texts, per language, come first).
TEXTS: dict[str, dict[str, str]] = {
    "handover": {
        "en": "I've asked a member of our team to join. They'll reply here as soon as they can.",
        "de": "Ich habe eine Person aus unserem Team dazugeholt. Sie antwortet Ihnen hier so bald wie möglich.",
        "fr": "J'ai demandé à un membre de notre équipe de vous rejoindre. Il vous répondra ici dès que possible.",
        "es": "He pedido a una persona de nuestro equipo que se una. Le responderá aquí en cuanto pueda.",
        "it": "Ho chiesto a una persona del nostro team di unirsi. Le risponderà qui appena possibile.",
        "pt": "Pedi a uma pessoa da nossa equipa que se juntasse. Responderá aqui assim que puder.",
        "nl": "Ik heb iemand van ons team gevraagd mee te kijken. Die antwoordt hier zo snel mogelijk.",
    },
    "outside_hours": {
        "en": "Our team is offline right now. We've noted your request and a person will reply when we're back.",
        "de": "Unser Team ist gerade nicht da. Hinterlassen Sie Ihre Frage hier, wir antworten, sobald wir zurück sind.",
        "fr": "Notre équipe est absente pour le moment. Laissez votre question ici, nous répondrons à notre retour.",
        "es": "Nuestro equipo no está disponible ahora. Deje su pregunta aquí y le responderemos a la vuelta.",
        "it": "Il nostro team al momento non è disponibile. Lasci qui la sua domanda e le risponderemo al rientro.",
        "pt": "A nossa equipa não está disponível agora. Deixe aqui a sua pergunta e responderemos quando voltarmos.",
        "nl": "Ons team is nu niet bereikbaar. Laat uw vraag hier achter, dan antwoorden we zodra we terug zijn.",
    },
    "not_found": {
        "en": "I couldn't find this in our knowledge base. A person from our team can help with it.",
        "de": "Dazu habe ich in unserer Wissensdatenbank nichts gefunden. Eine Person aus unserem Team kann helfen.",
        "fr": "Je n'ai rien trouvé à ce sujet dans notre base de connaissances. Un membre de notre équipe peut vous aider.",
        "es": "No he encontrado esto en nuestra base de conocimientos. Una persona de nuestro equipo puede ayudarle.",
        "it": "Non ho trovato nulla nella nostra base di conoscenza. Una persona del nostro team può aiutarla.",
        "pt": "Não encontrei isto na nossa base de conhecimento. Uma pessoa da nossa equipa pode ajudar.",
        "nl": "Ik heb dit niet gevonden in onze kennisbank. Iemand van ons team kan u helpen.",
    },
    "offline_note": {
        "en": "_Offline answer: no language model is configured, so this quotes the knowledge base._",
        "de": "_Offline-Antwort: Es ist kein Sprachmodell eingerichtet, daher wird die Wissensdatenbank zitiert._",
        "fr": "_Réponse hors ligne : aucun modèle de langue n'est configuré, ceci cite la base de connaissances._",
        "es": "_Respuesta sin conexión: no hay un modelo de lenguaje configurado, así que se cita la base de conocimientos._",
        "it": "_Risposta offline: nessun modello linguistico è configurato, quindi si cita la base di conoscenza._",
        "pt": "_Resposta offline: não há modelo de linguagem configurado, por isso cita-se a base de conhecimento._",
        "nl": "_Offline antwoord: er is geen taalmodel ingesteld, dus dit citeert de kennisbank._",
    },
    "error": {
        "en": "Sorry, something went wrong on our side. Please try again, or ask for a person.",
        "de": "Entschuldigung, bei uns ist etwas schiefgelaufen. Bitte versuchen Sie es erneut oder fragen Sie nach einer Person.",
        "fr": "Désolé, un problème est survenu de notre côté. Réessayez, ou demandez à parler à une personne.",
        "es": "Lo sentimos, algo ha fallado por nuestra parte. Inténtelo de nuevo o pida hablar con una persona.",
        "it": "Spiacenti, qualcosa è andato storto da parte nostra. Riprovi oppure chieda di una persona.",
        "pt": "Desculpe, algo correu mal do nosso lado. Tente novamente ou peça para falar com uma pessoa.",
        "nl": "Sorry, er ging bij ons iets mis. Probeer het opnieuw of vraag naar een medewerker.",
    },
}


def text(key: str, language: str | None) -> str:
    """A system text in `language`, or in English when it has no translation."""
    versions = TEXTS[key]
    return versions.get(language or DEFAULT) or versions[DEFAULT]


def agent_text(config: dict[str, Any] | None, key: str, language: str | None) -> str | None:
    """An agent's own text (a camelCase key of its stored config, e.g. fallback responses or
    business hours): the one given for `language` under `byLanguage`, else its default, else None."""
    config = config or {}
    own = ((config.get("byLanguage") or {}).get(language or "") or {}).get(key) or config.get(key)
    return str(own) if own else None
