// Knowledge: the category tree, files per category, drag-and-drop uploads with per-file progress and
// status (polled until indexed or failed), and a retrieval test against an agent's knowledge.

import { useEffect, useRef, useState } from "preact/hooks";
import { api, errorText, uploadWithProgress } from "../api";
import type { Agent, Category, KnowledgeFile, RetrievedChunk, UploadTicket, WhoAmI } from "../types";
import {
  ACTIONS,
  ActionMessages,
  Badge,
  DataTable,
  Empty,
  ErrorMessage,
  Field,
  LoadState,
  Loading,
  Page,
  SmallButton,
  formatBytes,
  formatDate,
  useAction,
  useInterval,
  useLoad,
  valueOf,
} from "../ui";

// Direct uploads go through the API (simplest, and what the local stack serves best); larger files
// use a presigned upload URL, as the API requires above 5 MB.
const DIRECT_LIMIT = 5 * 1024 * 1024;
const ACCEPT = ".pdf,.docx,.html,.htm,.md,.markdown,.txt,.csv";
const POLL_MS = 1500;

interface TreeNode {
  category: Category;
  children: TreeNode[];
}

function buildTree(categories: Category[]): TreeNode[] {
  const nodes = new Map(categories.map((category) => [category.id, { category, children: [] as TreeNode[] }]));
  const roots: TreeNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.category.parent_id ? nodes.get(node.category.parent_id) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  const order = (list: TreeNode[]) => {
    list.sort(
      (a, b) =>
        (a.category.sort_order ?? 0) - (b.category.sort_order ?? 0) || a.category.name.localeCompare(b.category.name),
    );
    list.forEach((node) => order(node.children));
  };
  order(roots);
  return roots;
}

export function Knowledge({ me }: { me: WhoAmI }) {
  const categories = useLoad(() => api.get<Category[]>("/v1/knowledge/categories"), []);
  const [selected, setSelected] = useState<string | null>(null);
  const isAdmin = me.role === "company_admin";
  useEffect(() => {
    if (!selected && categories.data?.length) setSelected(categories.data[0].id);
  }, [categories.data]);
  const current = categories.data?.find((category) => category.id === selected) ?? null;

  return (
    <Page title="Knowledge">
      <ErrorMessage error={categories.error} />
      <div class="split">
        <aside class="card tree-card" aria-label="Categories">
          <h2>Categories</h2>
          {!categories.data ? (
            <Loading />
          ) : categories.data.length ? (
            <CategoryTree nodes={buildTree(categories.data)} selected={selected} onSelect={setSelected} />
          ) : (
            <Empty>No categories yet.</Empty>
          )}
          {isAdmin && categories.data && (
            <NewCategory
              categories={categories.data}
              parentId={selected}
              onCreated={(category) => {
                categories.set([...(categories.data ?? []), category]);
                setSelected(category.id);
              }}
            />
          )}
        </aside>
        <div class="stack">
          {current ? (
            <CategoryFiles
              key={current.id}
              category={current}
              isAdmin={isAdmin}
              onDeleted={() => {
                setSelected(null);
                categories.reload();
              }}
            />
          ) : (
            categories.data && <Empty>Create a category to start uploading documents.</Empty>
          )}
          <RetrievalTest />
        </div>
      </div>
    </Page>
  );
}

function CategoryTree(props: { nodes: TreeNode[]; selected: string | null; onSelect: (id: string) => void }) {
  return (
    <ul class="tree">
      {props.nodes.map((node) => (
        <li>
          <button
            type="button"
            class={node.category.id === props.selected ? "tree-item selected" : "tree-item"}
            aria-current={node.category.id === props.selected ? "true" : undefined}
            onClick={() => props.onSelect(node.category.id)}
          >
            {node.category.name}
          </button>
          {node.children.length > 0 && (
            <CategoryTree nodes={node.children} selected={props.selected} onSelect={props.onSelect} />
          )}
        </li>
      ))}
    </ul>
  );
}

function NewCategory(props: { categories: Category[]; parentId: string | null; onCreated: (c: Category) => void }) {
  const [name, setName] = useState("");
  const [parent, setParent] = useState("");
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const created = await api.post<Category>("/v1/knowledge/categories", {
        name: name.trim(),
        ...(parent ? { parent_id: parent } : {}),
      });
      setName("");
      props.onCreated(created);
    });
  };
  return (
    <form class="stack small-form" onSubmit={submit} aria-label="New category">
      <Field label="New category">
        <input required maxLength={255} value={name} onInput={(e) => setName(valueOf(e))} />
      </Field>
      <Field label="Inside">
        <select value={parent} onChange={(e) => setParent(valueOf(e))}>
          <option value="">(top level)</option>
          {props.categories.map((category) => (
            <option value={category.id}>{category.name}</option>
          ))}
        </select>
      </Field>
      <button type="submit" disabled={action.busy}>
        Add category
      </button>
      <ActionMessages action={action} />
    </form>
  );
}

interface UploadRow {
  key: string;
  name: string;
  size: number;
  progress: number; // 0..1 of the bytes sent
  fileId: string | null;
  status: string; // "uploading", then the file's status
  error: string | null;
}

function CategoryFiles(props: { category: Category; isAdmin: boolean; onDeleted: () => void }) {
  const files = useLoad(
    () => api.get<{ items: KnowledgeFile[] }>("/v1/knowledge/files", { category_id: props.category.id, limit: 200 }),
    [props.category.id],
  );
  const [uploads, setUploads] = useState<UploadRow[]>([]);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const remove = useAction();

  const patch = (key: string, change: Partial<UploadRow>) =>
    setUploads((rows) => rows.map((row) => (row.key === key ? { ...row, ...change } : row)));

  const uploadOne = async (file: File, key: string) => {
    const categoryId = props.category.id;
    const onProgress = (fraction: number) => patch(key, { progress: fraction });
    try {
      let stored: KnowledgeFile;
      if (file.size <= DIRECT_LIMIT) {
        stored = await uploadWithProgress<KnowledgeFile>(
          {
            url: `/v1/knowledge/files?${new URLSearchParams({ category_id: categoryId, filename: file.name })}`,
            method: "POST",
            headers: file.type ? { "Content-Type": file.type } : {},
            authorised: true,
          },
          file,
          onProgress,
        );
      } else {
        const ticket = await api.post<UploadTicket>("/v1/knowledge/files/uploads", {
          category_id: categoryId,
          filename: file.name,
          size: file.size,
          ...(file.type ? { mime_type: file.type } : {}),
        });
        patch(key, { fileId: ticket.file.id });
        await uploadWithProgress(
          { url: ticket.upload_url, method: ticket.upload_method, headers: ticket.upload_headers, authorised: false },
          file,
          onProgress,
        );
        stored = await api.post<KnowledgeFile>(`/v1/knowledge/files/${ticket.file.id}/confirm`);
      }
      patch(key, { fileId: stored.id, status: stored.status, progress: 1 });
      files.reload();
    } catch (error) {
      patch(key, { status: "failed", error: errorText(error) });
    }
  };

  const addFiles = (list: FileList | null) => {
    if (!list || !props.isAdmin) return;
    const rows = [...list].map((file, index) => ({
      file,
      row: {
        key: `${Date.now()}-${index}-${file.name}`,
        name: file.name,
        size: file.size,
        progress: 0,
        fileId: null,
        status: "uploading",
        error: null,
      } as UploadRow,
    }));
    setUploads((current) => [...rows.map((r) => r.row), ...current]);
    rows.forEach(({ file, row }) => void uploadOne(file, row.key));
  };

  // Poll files still being processed until each is indexed or failed.
  const waiting = uploads.filter((row) => row.fileId && (row.status === "pending" || row.status === "processing"));
  useInterval(
    () => {
      for (const row of waiting) {
        api.get<KnowledgeFile>(`/v1/knowledge/files/${row.fileId}`).then(
          (file) => {
            patch(row.key, { status: file.status, error: file.processing_error });
            if (file.status === "indexed" || file.status === "failed") files.reload();
          },
          (error: unknown) => patch(row.key, { error: errorText(error) }),
        );
      }
    },
    POLL_MS,
    waiting.length > 0,
  );

  const deleteFile = (file: KnowledgeFile) =>
    remove.run(async () => {
      if (!confirm(`Delete ${file.original_filename}? The agent stops using it at once.`)) return;
      await api.del(`/v1/knowledge/files/${file.id}`);
      files.reload();
      return `${file.original_filename} deleted.`;
    });

  const reindex = (file: KnowledgeFile) =>
    remove.run(async () => {
      const queued = await api.post<KnowledgeFile>(`/v1/knowledge/files/${file.id}/reindex`);
      setUploads((rows) => [
        { key: `re-${file.id}-${Date.now()}`, name: file.original_filename, size: file.size, progress: 1, fileId: file.id, status: queued.status, error: null },
        ...rows,
      ]);
      return `${file.original_filename} queued for indexing.`;
    });

  const deleteCategory = () =>
    remove.run(async () => {
      if (!confirm(`Delete the category ${props.category.name}?`)) return;
      await api.del(`/v1/knowledge/categories/${props.category.id}`);
      props.onDeleted();
    });

  return (
    <section class="card" aria-labelledby="files-title">
      <div class="row spread">
        <h2 id="files-title">{props.category.name}</h2>
        {props.isAdmin && (
          <button type="button" class="danger secondary" onClick={deleteCategory}>
            Delete category
          </button>
        )}
      </div>
      {props.category.description && <p class="muted">{props.category.description}</p>}
      {props.isAdmin && (
        <div
          class={dragging ? "dropzone dragging" : "dropzone"}
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(event) => {
            event.preventDefault();
            setDragging(false);
            addFiles(event.dataTransfer?.files ?? null);
          }}
        >
          <p>Drop PDF, Word, HTML, Markdown, text or CSV files here, or</p>
          <button type="button" onClick={() => input.current?.click()}>
            Choose files…
          </button>
          <input
            ref={input}
            type="file"
            multiple
            accept={ACCEPT}
            class="sr-only"
            aria-label="Upload files"
            data-testid="file-input"
            onChange={(event) => {
              addFiles((event.currentTarget as HTMLInputElement).files);
              (event.currentTarget as HTMLInputElement).value = "";
            }}
          />
        </div>
      )}
      {uploads.length > 0 && (
        <ul class="uploads" aria-label="Uploads" aria-live="polite">
          {uploads.map((row) => (
            <li class="upload" data-status={row.status} data-filename={row.name}>
              <span class="upload-name">{row.name}</span>
              <span class="muted small">{formatBytes(row.size)}</span>
              {row.status === "uploading" ? (
                <progress max={1} value={row.progress} aria-label={`Uploading ${row.name}`} />
              ) : (
                <Badge value={row.status} />
              )}
              {row.error && <span class="error small">{row.error}</span>}
            </li>
          ))}
        </ul>
      )}
      <ActionMessages action={remove} />
      <LoadState
        load={files}
        empty={<Empty>No files in this category yet.</Empty>}
        isEmpty={(page) => !page.items.length}
      >
        {(page) => (
          <DataTable
            caption={`Files in ${props.category.name}`}
            columns={["File", "Size", "Status", "Chunks", "Uploaded", props.isAdmin && ACTIONS]}
            rows={page.items}
            row={(file) => (
              <tr data-file-status={file.status}>
                <td>{file.original_filename}</td>
                <td>{formatBytes(file.size)}</td>
                <td>
                  <Badge value={file.status} />
                  {file.processing_error && <div class="error small">{file.processing_error}</div>}
                </td>
                <td>{file.chunk_count ?? "—"}</td>
                <td>{formatDate(file.created_at)}</td>
                {props.isAdmin && (
                  <td class="row">
                    <SmallButton onClick={() => reindex(file)}>Re-index</SmallButton>
                    <SmallButton danger onClick={() => deleteFile(file)}>Delete</SmallButton>
                  </td>
                )}
              </tr>
            )}
          />
        )}
      </LoadState>
    </section>
  );
}

function RetrievalTest() {
  const agents = useLoad(() => api.get<Agent[]>("/v1/agents"), []);
  const [agentId, setAgentId] = useState("");
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<RetrievedChunk[] | null>(null);
  const action = useAction();
  useEffect(() => {
    if (!agentId && agents.data?.length) setAgentId(agents.data[0].id);
  }, [agents.data]);
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const answer = await api.post<{ results: RetrievedChunk[] }>(`/v1/agents/${agentId}/retrieval-test`, {
        query: query.trim(),
      });
      setResults(answer.results);
    });
  };
  return (
    <section class="card" aria-labelledby="retrieval-title">
      <h2 id="retrieval-title">Test retrieval</h2>
      <p class="muted small">See which passages an agent would find for a question (from the categories it uses).</p>
      <form class="row wrap" onSubmit={submit}>
        <Field label="Agent">
          <select value={agentId} onChange={(e) => setAgentId(valueOf(e))} required>
            {(agents.data ?? []).map((agent) => (
              <option value={agent.id}>{agent.name}</option>
            ))}
          </select>
        </Field>
        <Field label="Question">
          <input required maxLength={2000} value={query} onInput={(e) => setQuery(valueOf(e))} />
        </Field>
        <button type="submit" disabled={action.busy || !agentId}>
          Search
        </button>
      </form>
      <ActionMessages action={action} />
      {results &&
        (results.length ? (
          <ol class="results">
            {results.map((chunk) => (
              <li>
                <div class="muted small">
                  {chunk.filename}
                  {chunk.section_title ? ` · ${chunk.section_title}` : ""}
                  {chunk.page_number ? ` · page ${chunk.page_number}` : ""} · score {chunk.score.toFixed(3)}
                </div>
                <p class="excerpt">{chunk.text}</p>
              </li>
            ))}
          </ol>
        ) : (
          <Empty>Nothing relevant found. Check that the agent uses categories with indexed files.</Empty>
        ))}
    </section>
  );
}
