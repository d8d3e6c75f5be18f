"""Machine translation of the customer's messages for the person answering (docs/copilot.md): with
a language model configured, the customer's messages in another language than the person's are
translated once and kept with each message (`metadata.translations[target]`), so the inbox shows
them from then on. Never shown to the customer; offline it is refused with a clear error."""

from __future__ import annotations

import json
import re
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from chatapp import languages
from chatapp.access.principals import Principal
from chatapp.agent_runtime.interface import LanguageModelUnavailable
from chatapp.agent_runtime.llm import ClaudeModel
from chatapp.config import get_settings
from chatapp.conversations.lookup import conversation_by_id
from chatapp.db.enums import MessageRole
from chatapp.db.models.conversations import Message
from chatapp.db.tenancy import tenant_session
from chatapp.errors import Conflict
from chatapp.inbox.copilot_schemas import TranslatedMessageOut, TranslationOut
from chatapp.inbox.staff import require_owner_or_admin, require_staff

MAX_MESSAGES = 30  # the most recent customer messages translated at a time
TRANSLATOR = (
    "Translate each of the customer's support messages below into {language}, for the company's "
    "support agent. Keep names, numbers, codes and links as they are. Reply with only a JSON array "
    "of the translations, in the same order."
)


def _untranslated(db: Session, conversation_id: uuid.UUID, target: str) -> list[Message]:
    recent = db.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.role == MessageRole.USER)
        .order_by(Message.created_at.desc())
        .limit(MAX_MESSAGES)
    ).all()
    return [m for m in reversed(recent) if target not in ((m.metadata_ or {}).get("translations") or {})]


def _translated(texts: list[str], target: str) -> list[str]:
    unavailable = Conflict(
        "Translation needs a language model, and none is configured or reachable.",
        code="language_model_unavailable",
    )
    if not get_settings().uses_language_model:
        raise unavailable
    try:
        reply = ClaudeModel().complete(
            model=get_settings().llm_default_model,
            system=TRANSLATOR.format(language=languages.name(target)),
            prompt=json.dumps(texts, ensure_ascii=False),
            max_tokens=4000,
        )
    except LanguageModelUnavailable as error:
        raise unavailable from error
    found = re.search(r"\[.*\]", reply, re.DOTALL)
    try:
        translations = json.loads(found.group(0)) if found else None
    except ValueError:
        translations = None
    if not isinstance(translations, list) or len(translations) != len(texts):
        raise Conflict("The translation came back unreadable; try again.", code="translation_failed")
    return [str(text) for text in translations]


def translate(
    principal: Principal, conversation_id: uuid.UUID, target: str = languages.DEFAULT
) -> TranslationOut:
    """The customer's recent messages in `target` (the person's language), translating what is new."""
    require_staff(principal)
    with tenant_session(principal.context()) as db:
        conversation = conversation_by_id(db, conversation_id)
        require_owner_or_admin(principal, conversation)
        pending = [(m.id, m.content) for m in _untranslated(db, conversation.id, target)]
    # The model works outside any transaction; the translations are kept afterwards.
    translations = _translated([text for _, text in pending], target) if pending else []
    with tenant_session(principal.context()) as db:
        conversation = conversation_by_id(db, conversation_id)
        done = dict(zip((message_id for message_id, _ in pending), translations, strict=True))
        rows = db.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id, Message.role == MessageRole.USER)
            .order_by(Message.created_at.desc())
            .limit(MAX_MESSAGES)
        ).all()
        out = []
        for message in reversed(rows):
            kept = dict((message.metadata_ or {}).get("translations") or {})
            if message.id in done:
                kept[target] = done[message.id]
                message.metadata_ = {**(message.metadata_ or {}), "translations": kept}
                flag_modified(message, "metadata_")
            if target in kept:
                out.append(TranslatedMessageOut(message_id=message.id, text=kept[target]))
        return TranslationOut(source_language=conversation.language, target=target, messages=out)
