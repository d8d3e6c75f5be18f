// Content gaps (docs/content-gaps.md): topics of the questions customers asked that the knowledge
// base served badly, clustered nightly; each becomes a draft article, edited and published here.

import { useState } from "preact/hooks";
import { api } from "../api";
import type { Agent, Category, ContentGapTopic, ContentGaps as Gaps, GapReason, KnowledgeDraft } from "../types";
import {
  ActionMessages,
  Badge,
  Empty,
  Field,
  LoadState,
  Page,
  formatDate,
  useAction,
  useLoad,
  valueOf,
} from "../ui";

const REASONS: Record<GapReason, string> = {
  low_confidence: "low confidence",
  handed_over: "handed to a person",
  rated_poorly: "rated poorly",
};

function reasonsText(reasons: Record<GapReason, number>): string {
  return (Object.keys(REASONS) as GapReason[])
    .filter((reason) => reasons[reason])
    .map((reason) => `${reasons[reason]} ${REASONS[reason]}`)
    .join(" · ");
}

export function ContentGaps() {
  const [agentId, setAgentId] = useState("");
  const agents = useLoad(() => api.get<Agent[]>("/v1/agents"), []);
  const gaps = useLoad(() => api.get<Gaps>("/v1/analytics/content-gaps", { agent_id: agentId }), [agentId]);
  const drafts = useLoad(() => api.get<KnowledgeDraft[]>("/v1/knowledge/drafts"), []);
  const [open, setOpen] = useState<string | null>(null);
  const write = useAction();
  const draftFrom = (topic: ContentGapTopic) =>
    write.run(async () => {
      const draft = await api.post<KnowledgeDraft>("/v1/knowledge/drafts", { topic_id: topic.id });
      drafts.set([draft, ...(drafts.data ?? [])]);
      setOpen(draft.id);
      return `Draft “${draft.title}” written${draft.generated_by === "template" ? " from the template" : ` by ${draft.generated_by}`}.`;
    });
  const current = (drafts.data ?? []).find((draft) => draft.id === open);
  return (
    <Page title="Content gaps">
      <p class="muted">
        Questions customers asked in the last {gaps.data?.window_days ?? 30} days that were answered with low confidence,
        handed to a person or rated poorly, grouped by topic.{" "}
        {gaps.data?.computed_at ? `Updated nightly; last on ${formatDate(gaps.data.computed_at)}.` : "Updated nightly."}
      </p>
      <label class="inline-field">
        <span>Agent</span>
        <select aria-label="Agent" value={agentId} onChange={(e) => setAgentId(valueOf(e))}>
          <option value="">All agents</option>
          {(agents.data ?? []).map((agent) => (
            <option value={agent.id}>{agent.name}</option>
          ))}
        </select>
      </label>
      <ActionMessages action={write} />
      {current && (
        <DraftEditor
          key={current.id}
          draft={current}
          onSaved={(saved) => drafts.set((drafts.data ?? []).map((d) => (d.id === saved.id ? saved : d)))}
          onClose={() => setOpen(null)}
        />
      )}
      <LoadState load={gaps} empty={<Empty>No gaps: every question in the window was answered well.</Empty>}>
        {(data) =>
          data.topics.length ? (
            <ol class="stack gap-topics" aria-label="Topics">
              {data.topics.map((topic) => (
                <TopicCard topic={topic} busy={write.busy} onDraft={() => void draftFrom(topic)} />
              ))}
            </ol>
          ) : (
            <Empty>No gaps: every question in the window was answered well.</Empty>
          )
        }
      </LoadState>
      <section class="card" aria-labelledby="drafts-title">
        <h2 id="drafts-title">Drafts</h2>
        <LoadState load={drafts} empty={<Empty>No drafts yet: write one from a topic.</Empty>}>
          {(list) =>
            list.length ? (
              <ul class="plain-list">
                {list.map((draft) => (
                  <li>
                    <button type="button" class="link" onClick={() => setOpen(draft.id)}>
                      {draft.title}
                    </button>{" "}
                    <Badge value={draft.status} /> <span class="muted small">{formatDate(draft.updated_at)}</span>
                  </li>
                ))}
              </ul>
            ) : (
              <Empty>No drafts yet: write one from a topic.</Empty>
            )
          }
        </LoadState>
      </section>
    </Page>
  );
}

function TopicCard(props: { topic: ContentGapTopic; busy: boolean; onDraft: () => void }) {
  const { topic } = props;
  const passage = topic.best_passage;
  return (
    <li class="card">
      <h2>
        {topic.label} <Badge value={`${topic.question_count} questions`} />
      </h2>
      <p class="muted small">
        {reasonsText(topic.reasons)} · last asked {formatDate(topic.last_asked_at)}
      </p>
      <ul aria-label="Example questions">
        {topic.example_questions.map((question) => (
          <li>{question.text}</li>
        ))}
      </ul>
      <p class="muted small">Nearest passage in the knowledge base</p>
      {passage ? (
        <blockquote>
          <strong>
            {passage.filename}
            {passage.section_title ? ` · ${passage.section_title}` : ""}
          </strong>{" "}
          <span class="muted small">({Math.round(passage.similarity * 100)}% alike)</span>
          <p class="message-body">{passage.text}</p>
        </blockquote>
      ) : (
        <p class="muted">The knowledge base has nothing on this.</p>
      )}
      <button type="button" disabled={props.busy} onClick={props.onDraft}>
        Write an article
      </button>
    </li>
  );
}

function DraftEditor(props: { draft: KnowledgeDraft; onSaved: (draft: KnowledgeDraft) => void; onClose: () => void }) {
  const { draft } = props;
  const categories = useLoad(() => api.get<Category[]>("/v1/knowledge/categories"), []);
  const [title, setTitle] = useState(draft.title);
  const [content, setContent] = useState(draft.content);
  const [categoryId, setCategoryId] = useState(draft.category_id ?? "");
  const action = useAction();
  const published = draft.status === "published";
  const save = () =>
    action.run(async () => {
      const saved = await api.patch<KnowledgeDraft>(`/v1/knowledge/drafts/${draft.id}`, {
        title,
        content,
        category_id: categoryId || null,
      });
      props.onSaved(saved);
      return "Draft saved.";
    });
  const publish = () =>
    action.run(async () => {
      await api.patch<KnowledgeDraft>(`/v1/knowledge/drafts/${draft.id}`, { title, content });
      const saved = await api.post<KnowledgeDraft>(`/v1/knowledge/drafts/${draft.id}/publish`, {
        category_id: categoryId || null,
      });
      props.onSaved(saved);
      return "Published: the article is being indexed and answers will use it in a moment.";
    });
  return (
    <section class="card form-grid" aria-labelledby="draft-title">
      <h2 id="draft-title" class="wide">
        {published ? "Published article" : "Draft article"}
      </h2>
      <p class="wide muted small">
        {draft.generated_by === "template" ? "Started from the template" : `Written by ${draft.generated_by}`}; replace
        every [TODO] before publishing.
      </p>
      <Field label="Title" wide>
        <input value={title} maxLength={200} disabled={published} onInput={(e) => setTitle(valueOf(e))} />
      </Field>
      <Field label="Article (Markdown)" wide>
        <textarea rows={14} value={content} disabled={published} onInput={(e) => setContent(valueOf(e))} />
      </Field>
      <Field label="Category">
        <select value={categoryId} disabled={published} onChange={(e) => setCategoryId(valueOf(e))}>
          <option value="">Choose…</option>
          {(categories.data ?? []).map((category) => (
            <option value={category.id}>{category.name}</option>
          ))}
        </select>
      </Field>
      <div class="wide row">
        {!published && (
          <>
            <button type="button" class="secondary" disabled={action.busy} onClick={() => void save()}>
              Save draft
            </button>
            <button type="button" disabled={action.busy || !categoryId} onClick={() => void publish()}>
              Publish
            </button>
          </>
        )}
        <button type="button" class="secondary" onClick={props.onClose}>
          Close
        </button>
        <ActionMessages action={action} />
      </div>
    </section>
  );
}
