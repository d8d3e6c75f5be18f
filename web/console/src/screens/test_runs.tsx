// An agent's test runs (docs/test-runs.md): write or upload questions, run them through the real
// engine, follow the progress, read each answer with its grade, regrade, and see the trend.

import { useState } from "preact/hooks";
import { api } from "../api";
import type { TestResult, TestRun, TestRunDetail } from "../types";
import {
  ActionMessages,
  Badge,
  DataTable,
  Empty,
  ErrorMessage,
  Field,
  LoadState,
  formatDate,
  useAction,
  useInterval,
  useLoad,
  valueOf,
} from "../ui";

const PROGRESS_MS = 1500;
const GRADES: TestResult["grade"][] = ["good", "acceptable", "poor"];

/** Lines of text as questions; a CSV (a `question` header) goes to the server as it is. */
function questionsFrom(text: string): { csv?: string; questions?: { question: string }[] } {
  const trimmed = text.trim();
  if (/^\ufeff?question\s*(,|$)/i.test(trimmed.split("\n", 1)[0] ?? "")) return { csv: trimmed };
  return { questions: trimmed.split("\n").map((q) => q.trim()).filter(Boolean).map((question) => ({ question })) };
}

export function TestRuns({ agentId, readOnly }: { agentId: string; readOnly: boolean }) {
  const runs = useLoad(() => api.get<TestRun[]>(`/v1/agents/${agentId}/test-runs`), [agentId]);
  const regression = useLoad(
    () => api.get<{ questions: unknown[] }>(`/v1/agents/${agentId}/regression-set`),
    [agentId],
  );
  const [open, setOpen] = useState<string | null>(null);
  const rerun = useAction();
  const runRegression = () =>
    rerun.run(async () => {
      const run = await api.post<TestRun>(`/v1/agents/${agentId}/regression-set/runs`);
      runs.set([run, ...(runs.data ?? [])]);
      setOpen(run.id);
      return `Running the regression set (${run.question_count} questions).`;
    });
  const busy = (runs.data ?? []).some((run) => run.status === "queued" || run.status === "running");
  useInterval(() => runs.reload(), PROGRESS_MS, busy);
  const current = open ?? runs.data?.[0]?.id ?? null;
  return (
    <div class="stack">
      {!readOnly && (
        <NewRun
          agentId={agentId}
          onStarted={(run) => {
            runs.set([run, ...(runs.data ?? [])]);
            setOpen(run.id);
          }}
        />
      )}
      <section class="card" aria-labelledby="regression-title">
        <h2 id="regression-title">Regression set</h2>
        <p class="muted">
          {regression.data?.questions.length
            ? `${regression.data.questions.length} questions every change to this agent is tested against.`
            : "None yet: open a run and use its questions."}
        </p>
        {!readOnly && Boolean(regression.data?.questions.length) && (
          <button type="button" onClick={() => void runRegression()} disabled={rerun.busy}>
            Run the regression set
          </button>
        )}
        <ActionMessages action={rerun} />
        <Trend runs={runs.data ?? []} />
      </section>
      <section class="card" aria-labelledby="runs-title">
        <h2 id="runs-title">Runs</h2>
        <LoadState load={runs} empty={<Empty>No test runs yet.</Empty>}>
          {(list) => (
            <DataTable
              caption="Test runs"
              columns={["Run", "Progress", "Good", "Acceptable", "Poor", "Got worse", ""]}
              rows={list}
              row={(run) => (
                <tr class={run.id === current ? "selected" : ""}>
                  <td>
                    {run.name}
                    <div class="muted small">{formatDate(run.created_at)}</div>
                  </td>
                  <td>
                    <Badge value={run.status} /> {run.answered_count}/{run.question_count}
                  </td>
                  <td>{run.summary.grades?.good ?? "—"}</td>
                  <td>{run.summary.grades?.acceptable ?? "—"}</td>
                  <td>{run.summary.grades?.poor ?? "—"}</td>
                  <td>{run.summary.previous_run_id ? run.summary.got_worse : "—"}</td>
                  <td>
                    <button type="button" class="small secondary" onClick={() => setOpen(run.id)}>
                      Open
                    </button>
                  </td>
                </tr>
              )}
            />
          )}
        </LoadState>
      </section>
      {current && (
        <RunDetail key={current} agentId={agentId} runId={current} readOnly={readOnly} onRegression={regression.reload} />
      )}
    </div>
  );
}

function NewRun({ agentId, onStarted }: { agentId: string; onStarted: (run: TestRun) => void }) {
  const [name, setName] = useState("Test run");
  const [text, setText] = useState("");
  const action = useAction();
  const upload = async (event: Event) => {
    const file = (event.currentTarget as HTMLInputElement).files?.[0];
    if (file) setText(await file.text());
  };
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const body = questionsFrom(text);
      const path = `/v1/agents/${agentId}/test-runs${body.csv ? "/csv" : ""}`;
      const run = await api.post<TestRun>(path, { name, ...body });
      onStarted(run);
      setText("");
      return `Running ${run.question_count} questions.`;
    });
  };
  return (
    <form class="card form-grid" onSubmit={submit} aria-label="New test run">
      <p class="wide muted">
        Up to 50 questions, one a line, or a CSV with a header row: question, expected_answer, expected_source. Each
        goes through the agent as a customer's would, without counting anywhere a customer's does.
      </p>
      <Field label="Name">
        <input value={name} maxLength={200} required onInput={(e) => setName(valueOf(e))} />
      </Field>
      <Field label="Upload a CSV">
        <input type="file" accept=".csv,text/csv" onChange={(e) => void upload(e)} />
      </Field>
      <Field label="Questions" wide>
        <textarea rows={6} required value={text} onInput={(e) => setText(valueOf(e))} />
      </Field>
      <div class="wide row">
        <button type="submit" disabled={action.busy || !text.trim()}>
          Run the test
        </button>
        <ActionMessages action={action} />
      </div>
    </form>
  );
}

/** Finished runs, oldest first: the share of answers graded good, as bars. */
function Trend({ runs }: { runs: TestRun[] }) {
  const finished = runs.filter((run) => run.status === "finished" && run.summary.grades).slice(0, 12).reverse();
  if (finished.length < 2) return null;
  return (
    <ol class="trend" aria-label="Trend">
      {finished.map((run) => {
        const grades = run.summary.grades!;
        const graded = grades.good + grades.acceptable + grades.poor;
        const share = graded ? Math.round((100 * grades.good) / graded) : 0;
        return (
          <li title={`${run.name}, ${formatDate(run.created_at)}: ${share}% good`}>
            <span class="trend-bar" style={{ height: `${Math.max(share, 2)}%` }} />
            <span class="sr-only">
              {run.name}: {share}% good
            </span>
          </li>
        );
      })}
    </ol>
  );
}

function RunDetail(props: {
  agentId: string;
  runId: string;
  readOnly: boolean;
  onRegression: () => void;
}) {
  const path = `/v1/agents/${props.agentId}/test-runs/${props.runId}`;
  const run = useLoad(() => api.get<TestRunDetail>(path), [path]);
  const running = run.data?.status === "queued" || run.data?.status === "running";
  useInterval(() => run.reload(), PROGRESS_MS, running);
  const action = useAction();
  if (run.error && !run.data) return <ErrorMessage error={run.error} />;
  if (!run.data) return null;
  const detail = run.data;
  const regrade = (result: TestResult, grade: TestResult["grade"]) =>
    action.run(async () => {
      await api.patch(`${path}/results/${result.position}`, { grade });
      run.reload();
      return `Question ${result.position} regraded.`;
    });
  const summary = detail.summary;
  return (
    <section class="card" aria-labelledby="run-title">
      <h2 id="run-title">{detail.name}</h2>
      <p class="muted" role="status">
        {running
          ? `Answering… ${detail.answered_count} of ${detail.question_count}`
          : `${detail.question_count} questions · graded by ${detail.grader_model ? `${detail.grader_model} (${detail.grader_prompt_version})` : "source match"}`}
        {summary.previous_run_id ? ` · ${summary.got_worse} got worse, ${summary.got_better} got better than the previous run` : ""}
      </p>
      {!props.readOnly && !running && (
        <button
          type="button"
          class="secondary"
          disabled={action.busy}
          onClick={() =>
            void action.run(async () => {
              await api.put(`/v1/agents/${props.agentId}/regression-set`, { from_run: props.runId });
              props.onRegression();
              return "These questions are now the regression set.";
            })
          }
        >
          Use as regression set
        </button>
      )}
      <ActionMessages action={action} />
      <ol class="test-results" aria-label="Answers">
        {detail.results.map((result) => (
          <li class="card">
            <p>
              <strong>{result.question}</strong>
            </p>
            {result.answered_at ? (
              <>
                <p class="message-body">{result.answer}</p>
                <p class="muted small">
                  {result.citations.map((c) => String(c.filename)).join(", ") || "No citations"}
                  {result.would_hand_over ? " · would hand over to a person" : ""} · {result.latency_ms} ms
                </p>
                <p>
                  {result.grade ? <Badge value={result.grade} /> : <span class="muted">Not graded</span>}{" "}
                  <span class="muted small">{result.grade_reason}</span>
                </p>
                {!props.readOnly && (
                  <label class="inline-field">
                    <span>Grade</span>
                    <select
                      aria-label={`Grade of question ${result.position}`}
                      value={result.grade ?? ""}
                      onChange={(e) => void regrade(result, valueOf(e) as TestResult["grade"])}
                    >
                      {!result.grade && <option value="">—</option>}
                      {GRADES.map((grade) => (
                        <option value={grade ?? ""}>{grade}</option>
                      ))}
                    </select>
                  </label>
                )}
              </>
            ) : (
              <p class="muted">Waiting for its answer…</p>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
