"""One customer message, start to finish: the conversation engine's turn.

    1. store   (one transaction, the conversation row locked): plan allowance, the message with
               its sentiment, counters, rules that fire before answering. Escalated or already
               with a person: the AI stays silent, and the customer gets the handover (or
               outside-hours) message.
    2. answer  (no transaction open): the agent's package, with retrieval and the model.
    3. record  (one transaction, locked again): the reply with its model, tokens, latency, tool
               calls, citations, retrieval scores and confidence; rules that fire after answering;
               the rolling summary. If a person took the conversation meanwhile, the AI's reply
               is dropped.
Usage is counted inside the same transactions as the messages it counts. Any channel (widget, WhatsApp,
...) calls `take_customer_message`; what differs per channel is only how the reply travels.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chatapp import languages
from chatapp.agent_runtime.interface import AgentProfile, Reply, Turn
from chatapp.agent_runtime.runner import (
    AnswerListener,
    PackageRef,
    PlatformRuntime,
    language_model,
    reranker,
    run_package,
)
from chatapp.agents import business_hours
from chatapp.agents.management import get_agent
from chatapp.agents.package_catalogue import resolve_package_for_agent
from chatapp.billing import usage
from chatapp.companies.status import require_serving
from chatapp.config import get_settings
from chatapp.conversations import counters, escalation_rules, inbox_events, memory
from chatapp.conversations.escalations import escalate
from chatapp.conversations.sentiment import score
from chatapp.db.enums import ConversationStatus, MessageRole
from chatapp.db.models.agents import Agent, AgentPackage
from chatapp.db.models.content_gaps import QuestionVector, pack_embedding
from chatapp.db.models.conversations import Conversation, Customer, Message
from chatapp.db.ownership import owned
from chatapp.db.tenancy import TenantContext, tenant_session
from chatapp.errors import Conflict
from chatapp.knowledge.categories import agent_category_ids
from chatapp.knowledge.retrieval import RagSettings
from chatapp.observability import correlate, count, milliseconds
from chatapp.webhooks import events

ENDED = (ConversationStatus.RESOLVED, ConversationStatus.ABANDONED)


@dataclass
class TurnOutcome:
    conversation_id: uuid.UUID
    status: ConversationStatus
    messages: list[Message] = field(default_factory=list)  # the customer's message, then replies
    escalated: bool = False
    duplicate: bool = False  # a platform redelivered a message this conversation already has


@dataclass(frozen=True)
class _Prepared:
    agent: AgentProfile
    package: PackageRef
    category_ids: tuple[uuid.UUID, ...]
    rag: RagSettings
    escalation_rules: dict[str, Any]
    fallback_responses: dict[str, Any]
    business_hours: dict[str, Any]
    earlier: list[Message]  # unsummarised messages before this turn, oldest first
    turn: Turn


@dataclass
class StoredTurn:
    """The first half of a turn, committed: what the customer said, and what answering needs."""

    context: TenantContext
    outcome: TurnOutcome
    prepared: _Prepared | None  # None: nothing to answer here (see `answerable`)
    now: datetime
    resumed: bool = False  # by a queue worker, which may run twice for one message
    answerable: bool = False  # the AI answers (no person has it, no rule fired, not a duplicate)


def take_customer_message(
    company_id: uuid.UUID,
    conversation_id: uuid.UUID,
    text: str,
    attachments: list[dict[str, Any]] | None = None,
    *,
    now: datetime | None = None,
    platform_message_id: str | None = None,
) -> TurnOutcome:
    """`platform_message_id` (channels) makes redelivery harmless: turns on one conversation run one
    at a time under its row lock, so checking for the id here answers each platform message once."""
    with tenant_session(TenantContext.company_service(company_id)) as db:
        conversation = lock_conversation(db, conversation_id)
        stored = store_customer_message(
            db, conversation, text, attachments, now=now, platform_message_id=platform_message_id
        )
    return answer(stored)


def store_customer_message(
    db: Session,
    conversation: Conversation,
    text: str,
    attachments: list[dict[str, Any]] | None = None,
    *,
    now: datetime | None = None,
    platform_message_id: str | None = None,
    prepare: bool = True,
    message_id: uuid.UUID | None = None,
) -> StoredTurn:
    """Step 1, inside the caller's company transaction, `conversation` locked by it (a caller that
    has just authenticated the conversation saves a transaction this way). `prepare=False`: another
    worker answers (it calls `resume` with `message_id`, chosen by the caller), so what answering
    needs is not loaded here."""
    now = now or datetime.now(UTC)
    company_id = conversation.company_id
    correlate(company_id=company_id, agent_id=conversation.agent_id, conversation_id=conversation.id)
    context = TenantContext.company_service(company_id)
    if platform_message_id and _already_has(db, conversation.id, platform_message_id):
        return StoredTurn(
            context, TurnOutcome(conversation.id, conversation.status, duplicate=True), None, now
        )
    agent = get_agent(db, conversation.agent_id)
    reopen_if_ended(conversation)
    limits = require_serving(db, company_id)
    if not conversation.is_sandbox:  # a test run is limited by testRunsPerMonth, not the meter
        usage.require_message_allowance(db, company_id, limits)
    message, customer_turns = _store_customer_message(
        db, conversation, agent, text, attachments or [], now, message_id
    )
    if platform_message_id:
        message.metadata_ = {"platformMessageId": platform_message_id}
    outcome = TurnOutcome(conversation.id, conversation.status, [message])
    prepared, answerable = None, False
    if conversation.status is ConversationStatus.ACTIVE:
        trigger = escalation_rules.before_answer(
            agent.escalation_rules, text, message.sentiment, customer_turns
        )
        if trigger is not None:
            _hand_over(db, conversation, trigger, message.id)
            outcome.messages.append(handover_reply(db, conversation, agent, now))
            outcome.escalated = True
        else:
            answerable = True
            prepared = _prepare(db, conversation, agent, text, now) if prepare else None
    outcome.status = conversation.status
    if not conversation.is_sandbox:
        usage.record(db, company_id, agent.id, messages=len(outcome.messages))
    return StoredTurn(context, outcome, prepared, now, answerable=answerable)


def resume(db: Session, conversation_id: uuid.UUID, message_id: uuid.UUID) -> StoredTurn | None:
    """Step 1's result again, for a worker answering a customer message stored earlier (the widget's
    socket path), inside the caller's company transaction. None when there is nothing left to
    answer: the message has a reply, a person has the conversation, or it is gone. Safe to call
    twice for one message: the conversation's lock orders two workers, and a worker started while
    the message was being stored waits here for that transaction to end."""
    conversation = owned(db, Conversation, conversation_id, lock=True)
    message = db.get(Message, message_id)
    if (
        conversation is None
        or conversation.deleted_at is not None
        or message is None
        or message.conversation_id != conversation.id
        or message.role is not MessageRole.USER
        or conversation.status is not ConversationStatus.ACTIVE
        or _has_reply(db, conversation.id, message)
    ):
        return None
    correlate(
        company_id=conversation.company_id, agent_id=conversation.agent_id, conversation_id=conversation.id
    )
    agent = get_agent(db, conversation.agent_id)
    prepared = _prepare(db, conversation, agent, message.content, message.created_at)
    outcome = TurnOutcome(conversation.id, conversation.status, [message])
    context = TenantContext.company_service(conversation.company_id)
    return StoredTurn(context, outcome, prepared, message.created_at, resumed=True, answerable=True)


def _has_reply(db: Session, conversation_id: uuid.UUID, message: Message) -> bool:
    """Someone answered after `message`: the AI (any turn) or a person."""
    return _first_reply(db, conversation_id, message) is not None


def _first_reply(db: Session, conversation_id: uuid.UUID, message: Message) -> Message | None:
    return db.scalar(
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.role.in_((MessageRole.ASSISTANT, MessageRole.HUMAN_AGENT)),
            Message.created_at > message.created_at,
        )
        .order_by(Message.created_at)
        .limit(1)
    )


def reply_after(
    db: Session, conversation_id: uuid.UUID, message_id: uuid.UUID
) -> tuple[Message | None, ConversationStatus] | None:
    """The first reply (the AI's or a person's) after a customer message, and the conversation's
    status; None when there is no such message (its transaction rolled back)."""
    conversation = owned(db, Conversation, conversation_id)
    message = db.get(Message, message_id)
    if conversation is None or message is None or message.conversation_id != conversation_id:
        return None
    return _first_reply(db, conversation_id, message), conversation.status


def answer(stored: StoredTurn, listener: AnswerListener | None = None) -> TurnOutcome:
    """Steps 2 and 3, after the caller committed step 1: no transaction stays open while the model
    thinks. A listener hears the answer as it is written (the widget's socket)."""
    prepared, outcome = stored.prepared, stored.outcome
    if prepared is None:
        return outcome
    runtime = PlatformRuntime(
        company_id=stored.context.company_id,
        category_ids=prepared.category_ids,
        rag=prepared.rag,
        llm=language_model(prepared.agent.llm_config),
        reranker=reranker(prepared.rag),
        listener=listener,
    )
    reply, latency_ms = run_package(prepared.package, prepared.turn, runtime)
    milliseconds("AnswerLatency", latency_ms)
    runtime.keep_question_vector(prepared.turn.message)
    _record_reply(stored.context, outcome, prepared, reply, latency_ms, runtime, stored.now, stored.resumed)
    return outcome


def _record_reply(
    context: TenantContext,
    outcome: TurnOutcome,
    prepared: _Prepared,
    reply: Reply,
    latency_ms: float,
    runtime: PlatformRuntime,
    now: datetime,
    resumed: bool,
) -> None:
    with tenant_session(context) as db:
        conversation = lock_conversation(db, outcome.conversation_id)
        if conversation.status is not ConversationStatus.ACTIVE:
            outcome.status = conversation.status  # a person took over while the AI was thinking
            return
        if resumed and _already_answered(db, conversation.id, outcome.messages[0].id):
            return  # a redelivered job answered this message first
        trigger = escalation_rules.after_answer(prepared.escalation_rules, reply)
        handover = _handover_text(
            prepared.fallback_responses, prepared.business_hours, now, prepared.turn.language
        )
        if trigger is not None and trigger.type == "confidence":
            # A poorly grounded answer is not sent; a person takes the question instead.
            reply = Reply(
                text=handover,
                model=reply.model,
                input_tokens=reply.input_tokens,
                output_tokens=reply.output_tokens,
                tool_calls=reply.tool_calls,
                retrieval_scores=reply.retrieval_scores,
                confidence=reply.confidence,
            )
        elif trigger is not None and not reply.text.strip():
            reply = Reply(**{**reply.__dict__, "text": handover})
        stored = _store_reply(db, conversation, outcome.messages[0].id, reply, latency_ms, runtime)
        count("TurnsAnswered")
        outcome.messages.append(stored)
        if trigger is not None:
            _hand_over(db, conversation, trigger, stored.id)
            outcome.escalated = True
        _update_memory(conversation, prepared, [*prepared.earlier, outcome.messages[0], stored], runtime)
        outcome.status = conversation.status
        if conversation.is_sandbox:
            return
        usage.record(
            db,
            conversation.company_id,
            conversation.agent_id,
            messages=1,
            ai_responses=1,
            tokens=reply.input_tokens + reply.output_tokens,
            cost=usage.estimate_cost(reply.model, reply.input_tokens, reply.output_tokens),
        )


def _announce_received(db: Session, conversation: Conversation, message: Message) -> None:
    events.emit(
        db,
        company_id=conversation.company_id,
        agent_id=conversation.agent_id,
        event_type="message.received",
        data={
            "conversation_id": conversation.id,
            "message_id": message.id,
            "role": message.role,
            "content": message.content,
            "created_at": message.created_at,
        },
    )


def _hand_over(
    db: Session, conversation: Conversation, trigger: escalation_rules.Trigger, message_id: uuid.UUID
) -> None:
    """Queue the conversation for a person; a sandbox one (a test run) only notes that it would."""
    if conversation.is_sandbox:
        conversation.status = ConversationStatus.WAITING_HUMAN
        return
    escalate(db, conversation, trigger, message_id)


def _already_has(db: Session, conversation_id: uuid.UUID, platform_message_id: str) -> bool:
    found = db.scalar(
        select(Message.id)
        .where(
            Message.conversation_id == conversation_id,
            Message.metadata_["platformMessageId"].astext == platform_message_id,
        )
        .limit(1)
    )
    return found is not None


def reopen_if_ended(conversation: Conversation) -> None:
    """A customer writing again after the conversation was resolved gets the AI, not the last human."""
    if conversation.status in ENDED:
        conversation.status = ConversationStatus.ACTIVE
        conversation.assigned_agent_id = None
        conversation.is_human_agent = False
        conversation.resolved_at = None


def lock_conversation(db: Session, conversation_id: uuid.UUID) -> Conversation:
    """The conversation row, locked: one turn at a time per conversation, counters never race."""
    conversation = owned(db, Conversation, conversation_id, lock=True)
    if conversation is None or conversation.deleted_at is not None:
        raise Conflict("This conversation no longer exists.", code="conversation_ended")
    return conversation


def _store_customer_message(
    db: Session,
    conversation: Conversation,
    agent: Agent,
    text: str,
    attachments: list[dict[str, Any]],
    now: datetime,
    message_id: uuid.UUID | None = None,
) -> tuple[Message, int]:
    """The message, stored and counted; returns it with how many messages the customer has sent
    in this conversation (it included)."""
    sentiment = score(text)
    message = Message(
        id=message_id or uuid.uuid4(),
        conversation_id=conversation.id,
        role=MessageRole.USER,
        content=text,
        attachments=attachments,
        sentiment=sentiment,
        created_at=now,
    )
    db.add(message)
    db.flush()
    if not conversation.is_sandbox:  # a test run's question reaches no webhook
        _announce_received(db, conversation, message)
    customer_turns, average = db.execute(
        select(func.count(Message.id), func.avg(Message.sentiment)).where(
            Message.conversation_id == conversation.id, Message.role == MessageRole.USER
        )
    ).one()
    conversation.average_sentiment = (
        Decimal(average).quantize(Decimal("0.01")) if average is not None else None
    )
    conversation.context = memory.learn_facts(conversation.context or {}, text)
    _learn_language(db, conversation, text)
    counters.count_message(db, conversation, MessageRole.USER, now)
    inbox_events.message_added(db, conversation, message)
    return message, int(customer_turns)


def _learn_language(db: Session, conversation: Conversation, text: str) -> None:
    """The customer's language, once enough of their text has arrived (short messages together);
    a customer who switches language is followed. Kept on the customer's profile too."""
    language = languages.detect(text)
    if language is None and conversation.language is None and len(text.strip()) < languages.MIN_CHARS:
        recent = db.scalars(
            select(Message.content)
            .where(Message.conversation_id == conversation.id, Message.role == MessageRole.USER)
            .order_by(Message.created_at.desc())
            .limit(5)
        ).all()
        language = languages.detect(" ".join(reversed(recent)))
    if language is None or language == conversation.language:
        return
    conversation.language = language
    customer = _profile(db, conversation)
    if customer is not None:
        customer.metadata_ = {**(customer.metadata_ or {}), "language": language}


def _profile(db: Session, conversation: Conversation) -> Customer | None:
    try:
        customer_id = uuid.UUID(conversation.customer_id or "")
    except ValueError:
        return None
    return owned(db, Customer, customer_id)


def _handover_text(
    fallbacks: dict[str, Any] | None, hours: dict[str, Any] | None, now: datetime, language: str | None
) -> str:
    """In the customer's language: the agent's own text for it, its default one, or the system's."""
    if not business_hours.is_open(hours, now):
        return business_hours.outside_hours_message(hours, language)
    return languages.agent_text(fallbacks, "handover", language) or languages.text("handover", language)


def handover_reply(db: Session, conversation: Conversation, agent: Agent, now: datetime) -> Message:
    open_now = business_hours.is_open(agent.business_hours, now)
    message = Message(
        conversation_id=conversation.id,
        role=MessageRole.ASSISTANT,
        content=_handover_text(agent.fallback_responses, agent.business_hours, now, conversation.language),
        metadata_={"kind": "handover", "withinBusinessHours": open_now},
        created_at=max(datetime.now(UTC), now + timedelta(microseconds=1)),  # after the customer's
    )
    db.add(message)
    db.flush()
    counters.count_message(db, conversation, MessageRole.ASSISTANT, message.created_at)
    inbox_events.message_added(db, conversation, message)
    return message


_PACKAGE_TTL_SECONDS = 30.0
_package_cache: dict[tuple[Any, ...], tuple[float, PackageRef, dict[str, Any]]] = {}


def _package_for(db: Session, agent: Agent) -> tuple[PackageRef, dict[str, Any]]:
    """Which package the agent runs, and its default config; remembered briefly by warm containers,
    so a change of default package reaches every agent within half a minute."""
    key = (agent.package_id, agent.custom_package_url, agent.custom_package_hash)
    cached = _package_cache.get(key)
    if cached and cached[0] > time.monotonic():
        return cached[1], cached[2]
    url, sha256, entry_point = resolve_package_for_agent(db, agent)
    defaults = db.scalar(select(AgentPackage.default_config).where(AgentPackage.package_hash == sha256)) or {}
    package = PackageRef(url, sha256, entry_point)
    _package_cache[key] = (time.monotonic() + _PACKAGE_TTL_SECONDS, package, defaults)
    return package, defaults


def _prepare(db: Session, conversation: Conversation, agent: Agent, text: str, now: datetime) -> _Prepared:
    package, defaults = _package_for(db, agent)
    llm_config = {
        "model": get_settings().llm_default_model,
        **(defaults.get("llmConfig") or {}),
        **(agent.llm_config or {}),
    }
    profile = AgentProfile(
        agent_id=str(agent.id),
        company_id=str(agent.company_id),
        name=agent.name,
        personality=agent.personality,
        response_style=agent.response_style or {},
        system_prompt=agent.system_prompt,
        llm_config=llm_config,
        rag_enabled=agent.rag_enabled is not False,
        rag_config={**(defaults.get("ragConfig") or {}), **(agent.rag_config or {})},
        enabled_tools=tuple(agent.enabled_tools or defaults.get("enabledTools") or ()),
        tool_config=agent.tool_config or {},
        fallback_responses=agent.fallback_responses or {},
        business_hours_text=business_hours.describe(agent.business_hours),
    )
    budget = int(llm_config.get("historyTokenBudget") or memory.DEFAULT_HISTORY_TOKENS)
    earlier = memory.unsummarized(db, conversation, before=now)
    turn = Turn(
        agent=profile,
        message=text,
        history=memory.as_history(memory.window(earlier, budget)),
        summary=conversation.summary,
        context=memory.prompt_context(conversation.context or {}),
        now=business_hours.local_now(agent.business_hours or {}, now),
        within_business_hours=business_hours.is_open(agent.business_hours, now),
        language=conversation.language,
    )
    return _Prepared(
        agent=profile,
        package=package,
        category_ids=tuple(agent_category_ids(db, agent.id)),
        rag=RagSettings.from_rag_config(profile.rag_config),
        escalation_rules=agent.escalation_rules or {},
        fallback_responses=agent.fallback_responses or {},
        business_hours=agent.business_hours or {},
        earlier=earlier,
        turn=turn,
    )


def _already_answered(db: Session, conversation_id: uuid.UUID, customer_message_id: uuid.UUID) -> bool:
    found = db.scalar(
        select(Message.id)
        .where(
            Message.conversation_id == conversation_id,
            Message.role == MessageRole.ASSISTANT,
            Message.metadata_["replyTo"].astext == str(customer_message_id),
        )
        .limit(1)
    )
    return found is not None


def _store_reply(
    db: Session,
    conversation: Conversation,
    customer_message_id: uuid.UUID,
    reply: Reply,
    latency_ms: float,
    runtime: PlatformRuntime,
) -> Message:
    citations = [
        {
            "number": number,
            "chunkId": c.chunk_id,
            "fileId": c.file_id,
            "filename": c.filename,
            "pageNumber": c.page_number,
            "sectionTitle": c.section_title,
            **({"url": c.url} if c.url else {}),
        }
        for number, c in enumerate(reply.citations, start=1)
    ]
    relevance = [s for s in reply.retrieval_scores if s is not None]
    metadata: dict[str, Any] = {
        "model": reply.model,
        "tokens": {"input": reply.input_tokens, "output": reply.output_tokens},
        "latency": round(latency_ms),
        "confidence": reply.confidence,
        "citations": citations,
        "retrievalScores": list(reply.retrieval_scores),
        "ragRelevance": round(max(relevance), 3) if relevance else None,
        "searches": runtime.searches,
        "fallback": reply.fallback,
        "offline": reply.offline,
        "replyTo": str(customer_message_id),
    }
    if runtime.listener is not None:
        streamed = runtime.listener.streamed_chars
        # A stream that broke off after the customer saw part of it: the fallback replaced that part.
        metadata["stream"] = {"chars": streamed, "interrupted": reply.fallback and streamed > 0}
    message = Message(
        conversation_id=conversation.id,
        role=MessageRole.ASSISTANT,
        content=reply.text,
        tool_calls=[
            {"id": call.id, "name": call.name, "arguments": call.arguments, "result": call.result}
            for call in reply.tool_calls
        ],
        metadata_=metadata,
        created_at=datetime.now(UTC),
    )
    db.add(message)
    db.flush()
    counters.count_message(db, conversation, MessageRole.ASSISTANT, message.created_at)
    inbox_events.message_added(db, conversation, message)
    if runtime.query_vector is not None and not conversation.is_sandbox:
        model_id, vector = runtime.query_vector
        db.add(
            QuestionVector(
                message_id=customer_message_id,
                company_id=conversation.company_id,
                agent_id=conversation.agent_id,
                conversation_id=conversation.id,
                reply_message_id=message.id,
                model_id=model_id,
                embedding=pack_embedding(vector),
            )
        )
    return message


def _update_memory(
    conversation: Conversation, prepared: _Prepared, messages: list[Message], runtime: PlatformRuntime
) -> None:
    """Fold what no longer fits the history window into the summary (`messages`: unsummarised,
    oldest first, this turn's included)."""
    llm_config = prepared.agent.llm_config
    budget = int(llm_config.get("historyTokenBudget") or memory.DEFAULT_HISTORY_TOKENS)
    kept = memory.window(messages, budget)
    overflow = messages[: len(messages) - len(kept)]
    memory.fold_into_summary(conversation, overflow, runtime.llm, llm_config.get("model"))
