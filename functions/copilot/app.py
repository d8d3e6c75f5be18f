"""The copilot for human agents: suggested replies drafted from the agent's knowledge, and rewrites
of a person's own draft (docs/copilot.md). Apart from the inbox function because it loads the
retrieval stack and the model client."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import Authenticated
from chatapp.inbox import copilot, translation
from chatapp.inbox.copilot_schemas import RewriteIn, RewriteOut, SuggestionOut, TranslationOut

app = create_app("copilot")


@app.post(
    "/v1/inbox/conversations/{conversation_id}/suggestions", response_model=SuggestionOut, status_code=201
)
async def suggest_reply(conversation_id: uuid.UUID, principal: Authenticated) -> SuggestionOut:
    """The copilot's suggested reply to the customer's latest messages: drafted from the agent's
    knowledge, stored with an id, never sent by itself. Send the id with the reply that uses it."""
    return copilot.suggest(principal, conversation_id)


@app.post("/v1/inbox/conversations/{conversation_id}/rewrite", response_model=RewriteOut)
async def rewrite_reply(conversation_id: uuid.UUID, body: RewriteIn, principal: Authenticated) -> RewriteOut:
    """The person's own draft, rephrased, shortened or made more formal (needs a language model)."""
    return copilot.rewrite(principal, conversation_id, body)


@app.post("/v1/inbox/conversations/{conversation_id}/translation", response_model=TranslationOut)
async def translate_messages(
    conversation_id: uuid.UUID,
    principal: Authenticated,
    target: Annotated[str, Query(pattern="^[a-z]{2}$", description="The person's language.")] = "en",
) -> TranslationOut:
    """The customer's recent messages translated for the person answering (needs a language model);
    kept with each message, never shown to the customer."""
    return translation.translate(principal, conversation_id, target)


handler = lambda_handler(app)
