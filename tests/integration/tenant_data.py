"""Builds one company with at least one row in every table that carries company data.

Written through the owner connection (which bypasses RLS) so the fixtures do not depend on
the policies they are used to test.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from chatapp.db.enums import AgentStatus, ChannelType, MessageRole, SubscriptionStatus, UserRole
from chatapp.db.models.agents import Agent, AgentKnowledgeCategory, AgentPackage
from chatapp.db.models.analytics import DailyAnalytics
from chatapp.db.models.audit import AuditLog, RateLimitRecord
from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan, UsageRecord
from chatapp.db.models.channels import ApiKey, ChannelConfig, Webhook, WebhookOutbox, WidgetConfig
from chatapp.db.models.content_gaps import ContentGapTopic, KnowledgeDraft, QuestionVector, pack_embedding
from chatapp.db.models.conversations import Conversation, ConversationNote, Customer, Escalation, Message
from chatapp.db.models.copilot import ReplySuggestion
from chatapp.db.models.core import Account, Company, User, VerificationToken
from chatapp.db.models.core import Session as ConsoleSession
from chatapp.db.models.knowledge import (
    CrawlHost,
    KnowledgeCategory,
    KnowledgeChunk,
    KnowledgeFile,
    KnowledgeSource,
    SourceSync,
    SourceSyncItem,
)
from chatapp.db.models.realtime import RealtimeConnection, RealtimeOutboxEvent, RealtimeTicket
from chatapp.db.models.team import CannedResponse, Invitation, SupportAgentStatus
from chatapp.db.models.test_runs import RegressionQuestion, TestRun, TestRunResult
from chatapp.knowledge import lexical
from chatapp.security import TokenKind, display_prefix, new_token, token_digest


@dataclass
class CompanyData:
    label: str
    company_id: uuid.UUID
    admin_id: uuid.UUID
    support_agent_id: uuid.UUID
    other_support_agent_id: uuid.UUID
    agent_id: uuid.UUID
    conversations: dict[str, uuid.UUID] = field(default_factory=dict)
    draft_id: uuid.UUID | None = None
    source_id: uuid.UUID | None = None
    sync_id: uuid.UUID | None = None
    tokens: dict[str, str] = field(default_factory=dict)


@dataclass
class Tenants:
    """Two companies (A and B) with their users, agents and conversations, and a master admin."""

    a: CompanyData
    b: CompanyData
    master_admin_id: uuid.UUID
    master_admin_token: str


def _session_token(db: Session, user_id: uuid.UUID, *, expired: bool = False) -> str:
    token = new_token(TokenKind.SESSION)
    delta = timedelta(hours=-1) if expired else timedelta(hours=1)
    db.add(
        ConsoleSession(session_token=token_digest(token), user_id=user_id, expires=datetime.now(UTC) + delta)
    )
    return token


def create_platform_rows(db: Session) -> uuid.UUID:
    """Global rows: a plan, an agent package, a verification token, a rate-limit window."""
    plan = SubscriptionPlan(
        slug=f"plan-{uuid.uuid4().hex[:8]}",
        name="Test plan",
        base_price=Decimal("10"),
        billing_cycle="monthly",
        limits={"agentCount": 3},
    )
    db.add(plan)
    db.add(
        AgentPackage(
            slug=f"pkg-{uuid.uuid4().hex[:8]}",
            name="Default",
            version="1.0.0",
            package_url="s3://packages/default.zip",
            package_hash="0" * 64,
        )
    )
    db.add(
        VerificationToken(
            identifier="someone@example.com",
            token=token_digest(new_token(TokenKind.VERIFICATION)),
            expires=datetime.now(UTC) + timedelta(hours=1),
        )
    )
    now = datetime.now(UTC)
    db.add(
        RateLimitRecord(
            key=f"ip:{uuid.uuid4().hex[:6]}:login",
            window_start=now,
            window_end=now + timedelta(minutes=1),
            limit_value=10,
        )
    )
    # Politeness is per host: a platform row (as rate-limit windows are).
    db.add(CrawlHost(host=f"help-{uuid.uuid4().hex[:6]}.example", next_request_at=now))
    db.flush()
    return plan.id


def create_company(db: Session, label: str, plan_id: uuid.UUID) -> CompanyData:
    now = datetime.now(UTC)
    suffix = uuid.uuid4().hex[:8]
    company = Company(name=f"Company {label}", slug=f"{label.lower()}-{suffix}")
    db.add(company)
    db.flush()
    cid = company.id

    def user(role: UserRole, name: str) -> User:
        row = User(email=f"{name}-{suffix}@{label.lower()}.example", name=name, role=role, company_id=cid)
        db.add(row)
        db.flush()
        return row

    admin = user(UserRole.COMPANY_ADMIN, "admin")
    support = user(UserRole.SUPPORT_AGENT, "support")
    other_support = user(UserRole.SUPPORT_AGENT, "support2")
    db.add(Account(user_id=admin.id, type="oauth", provider="google", provider_account_id=f"g-{suffix}"))

    agent = Agent(company_id=cid, name=f"{label} bot", status=AgentStatus.ACTIVE)
    category = KnowledgeCategory(company_id=cid, name="FAQ", slug="faq")
    customer = Customer(company_id=cid, email=f"customer@{label.lower()}.example", name="Customer")
    db.add_all([agent, category, customer])
    db.flush()
    db.add(AgentKnowledgeCategory(agent_id=agent.id, category_id=category.id))
    file = KnowledgeFile(
        company_id=cid,
        category_id=category.id,
        filename="faq.md",
        original_filename="faq.md",
        mime_type="text/markdown",
        size=10,
        storage_path=f"{cid}/faq.md",
        uploaded_by=admin.id,
    )
    db.add(file)
    db.flush()
    content = f"{label} knows things"
    db.add(
        KnowledgeChunk(
            file_id=file.id,
            company_id=cid,
            chunk_index=0,
            content=content,
            lexical_terms=lexical.document_term_ids(content),  # the trigger counts them per company
        )
    )

    data = CompanyData(
        label=label,
        company_id=cid,
        admin_id=admin.id,
        support_agent_id=support.id,
        other_support_agent_id=other_support.id,
        agent_id=agent.id,
    )
    for name, assignee in (("mine", support.id), ("theirs", other_support.id), ("unassigned", None)):
        conversation = Conversation(
            company_id=cid,
            agent_id=agent.id,
            session_token=new_token(TokenKind.SESSION),
            channel=ChannelType.WEB,
            assigned_agent_id=assignee,
            # Rated poorly: its question is a content gap, so a nightly run (any test may fire one)
            # makes the company a topic again rather than leaving it without one.
            context={"rating": {"score": 1, "feedback": None}},
        )
        db.add(conversation)
        db.flush()
        data.conversations[name] = conversation.id
        question = Message(
            conversation_id=conversation.id, role=MessageRole.USER, content=f"{label} {name} hello"
        )
        db.add(question)
        db.flush()
        db.add(
            QuestionVector(
                message_id=question.id,
                company_id=cid,
                agent_id=agent.id,
                conversation_id=conversation.id,
                model_id="all-MiniLM-L6-v2-onnx-int8",
                embedding=pack_embedding([0.0] * 383 + [1.0]),
            )
        )
        db.add(ConversationNote(conversation_id=conversation.id, user_id=admin.id, content="note"))
        db.add(
            Escalation(
                conversation_id=conversation.id,
                company_id=cid,
                agent_id=agent.id,
                reason="asked",
                trigger_type="explicit_request",
            )
        )

    now = datetime.now(UTC)
    topic = ContentGapTopic(
        company_id=cid,
        rank=1,
        label=f"{label} gift cards?",
        question_count=2,
        reasons={"low_confidence": 2, "handed_over": 0, "rated_poorly": 0},
        agent_ids=[str(agent.id)],
        example_questions=[
            {
                "text": f"{label} gift cards?",
                "message_id": str(question.id),
                "conversation_id": str(conversation.id),
                "agent_id": str(agent.id),
                "asked_at": now.isoformat(),
                "reasons": ["low_confidence"],
            }
        ],
        first_asked_at=now,
        last_asked_at=now,
        window_days=30,
        computed_at=now,
    )
    db.add(topic)
    db.flush()
    draft = KnowledgeDraft(
        company_id=cid,
        topic_id=topic.id,
        title=f"{label} gift cards",
        content="# Gift cards",
        generated_by="template",
        category_id=category.id,
        created_by=admin.id,
    )
    db.add(draft)
    db.flush()
    data.draft_id = draft.id
    source = KnowledgeSource(
        company_id=cid,
        category_id=category.id,
        kind="web",
        name=f"{label} help site",
        start_url=f"https://help.{label.lower()}.example/",
        created_by=admin.id,
    )
    db.add(source)
    db.flush()
    sync = SourceSync(company_id=cid, source_id=source.id, trigger="manual", status="completed")
    db.add(sync)
    db.flush()
    db.add(
        SourceSyncItem(
            company_id=cid, sync_id=sync.id, item_key=f"https://help.{label.lower()}.example/", kind="page"
        )
    )
    data.source_id, data.sync_id = source.id, sync.id
    db.add(
        ReplySuggestion(
            company_id=cid,
            conversation_id=data.conversations["mine"],
            requested_by=support.id,
            content=f"{label} suggests",
            latency_ms=5,
        )
    )

    db.add(
        CompanySubscription(
            company_id=cid,
            plan_id=plan_id,
            status=SubscriptionStatus.ACTIVE,
            starts_at=now,
            expires_at=now + timedelta(days=30),
        )
    )
    db.add(
        UsageRecord(company_id=cid, agent_id=agent.id, period_start=now, period_end=now + timedelta(days=30))
    )
    db.add(
        ChannelConfig(
            company_id=cid, agent_id=agent.id, channel=ChannelType.TELEGRAM, webhook_id=f"wh-{suffix}"
        )
    )
    db.add(WidgetConfig(company_id=cid, agent_id=agent.id, title=f"{label} chat"))
    api_key = new_token(TokenKind.API_KEY)
    db.add(
        ApiKey(
            company_id=cid,
            name="server",
            key_prefix=display_prefix(api_key),
            key_hash=token_digest(api_key),
            permissions=["read:company"],
            created_by=admin.id,
        )
    )
    webhook = Webhook(
        company_id=cid, name="crm", url="https://example.com/hook", secret="s" * 32, events=["x"]
    )
    db.add(webhook)
    db.flush()
    db.add(
        WebhookOutbox(
            company_id=cid,
            webhook_id=webhook.id,
            message={"company_id": str(cid), "webhook_id": str(webhook.id), "event_id": "msg_fixture"},
            # Dated in the future so no relay run during the tests takes it: the isolation tests need it.
            created_at=now + timedelta(days=36500),
        )
    )
    db.add(DailyAnalytics(company_id=cid, agent_id=agent.id, date=date.today(), total_conversations=3))
    db.add(
        AuditLog(
            company_id=cid,
            user_id=admin.id,
            action="agent.create",
            resource_type="agent",
            resource_id=agent.id,
        )
    )
    db.add(
        Invitation(
            company_id=cid,
            invited_by=admin.id,
            email=f"new@{label.lower()}.example",
            token=token_digest(new_token(TokenKind.VERIFICATION)),
            expires_at=now + timedelta(days=7),
        )
    )
    db.add(CannedResponse(company_id=cid, created_by=admin.id, title="Thanks", content="Thank you!"))
    db.add(SupportAgentStatus(user_id=support.id, company_id=cid))
    first_conversation = next(iter(data.conversations.values()))
    db.add(
        RealtimeTicket(
            company_id=cid,
            conversation_id=first_conversation,
            agent_id=agent.id,
            token_hash=token_digest(new_token(TokenKind.REALTIME_TICKET)),
            expires_at=now + timedelta(days=1),  # outlives the session: housekeeping runs in between
        )
    )
    db.add(
        RealtimeConnection(
            connection_id=f"{label}-{uuid.uuid4().hex[:12]}=",
            company_id=cid,
            kind="widget",
            agent_id=agent.id,
            conversation_id=first_conversation,
            expires_at=now + timedelta(hours=2),
        )
    )
    run = TestRun(
        company_id=cid, agent_id=agent.id, created_by=admin.id, name="Before launch", question_count=1
    )
    db.add(run)
    db.flush()
    db.add(
        TestRunResult(
            run_id=run.id, company_id=cid, position=1, question="How do returns work?", citations=[]
        )
    )
    db.add(RegressionQuestion(company_id=cid, agent_id=agent.id, position=1, question="How do returns work?"))
    db.add(  # an inbox event whose delivery never happened (the relay's work)
        RealtimeOutboxEvent(
            company_id=cid,
            conversation_id=first_conversation,
            event_type="presence",
            payload={"presence": {"user_id": str(support.id), "status": "online", "current_chat_count": 0}},
        )
    )

    data.tokens = {
        "admin": _session_token(db, admin.id),
        "support": _session_token(db, support.id),
        "admin_expired": _session_token(db, admin.id, expired=True),
        "api_key": api_key,
    }
    db.flush()
    return data
