// Small shared pieces: loading data, running actions, messages, load states, tables, fields and formatting.

import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { errorText } from "./api";
import { href, linkClick } from "./router";

export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => void;
  set: (data: T) => void;
}

/** Loads once per change of `deps`; an answer that arrives after a newer request is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const ticket = ++latest.current;
    setLoading(true);
    load().then(
      (value) => {
        if (ticket !== latest.current) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (failure: unknown) => {
        if (ticket !== latest.current) return;
        setError(errorText(failure));
        setLoading(false);
      },
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, set: setData };
}

export interface Action {
  busy: boolean;
  error: string | null;
  notice: string | null;
  /** Runs `work`; its string result (if any) becomes the notice; a failure becomes the error. */
  run: (work: () => Promise<string | void>) => Promise<boolean>;
  clear: () => void;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const run = useCallback(async (work: () => Promise<string | void>) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const message = await work();
      if (message) setNotice(message);
      return true;
    } catch (failure) {
      setError(errorText(failure));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => {
    setError(null);
    setNotice(null);
  }, []);
  return { busy, error, notice, run, clear };
}

/** Repeats `tick` every `ms` while `active`; stops when the component goes away. */
export function useInterval(tick: () => void, ms: number, active = true): void {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    if (!active) return;
    const id = window.setInterval(() => saved.current(), ms);
    return () => window.clearInterval(id);
  }, [ms, active]);
}

export function ErrorMessage({ error }: { error: string | null | undefined }) {
  if (!error) return null;
  return (
    <p class="message error" role="alert">
      {error}
    </p>
  );
}

export function Notice({ text }: { text: string | null | undefined }) {
  return (
    <p class="message notice" role="status" hidden={!text}>
      {text ?? ""}
    </p>
  );
}

export function ActionMessages({ action }: { action: Action }) {
  return (
    <>
      <ErrorMessage error={action.error} />
      <Notice text={action.notice} />
    </>
  );
}

export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <p class="muted" role="status" aria-live="polite">
      {what}…
    </p>
  );
}

/** What loaded data shows: the load's error, then an action's messages (when given), then `loading`
 * (the Loading line unless given) until the data arrives, `empty` when the data is empty (an empty
 * array, unless `isEmpty` says otherwise), or else the content `children` renders from the data. */
export function LoadState<T>(props: {
  load: { data: T | undefined; error: string | null };
  action?: Action;
  loading?: ComponentChildren;
  empty?: ComponentChildren;
  isEmpty?: (data: T) => boolean;
  children: (data: T) => ComponentChildren;
}) {
  const { data, error } = props.load;
  const isEmpty = props.isEmpty ?? ((value: T) => Array.isArray(value) && value.length === 0);
  let content: ComponentChildren;
  if (data === undefined) content = props.loading === undefined ? <Loading /> : props.loading;
  else if (props.empty !== undefined && isEmpty(data)) content = props.empty;
  else content = props.children(data);
  return (
    <>
      <ErrorMessage error={error} />
      {props.action && <ActionMessages action={props.action} />}
      {content}
    </>
  );
}

/** A table column: its header, shown only to screen readers when `srOnly`. */
export interface Column {
  header: string;
  srOnly?: boolean;
}

/** The column of a row's buttons: named for screen readers only. */
export const ACTIONS: Column = { header: "Actions", srOnly: true };

/** A data table: a header cell per column (a string is a plain header; `false` leaves the column out,
 * as for actions a reader may not take) and a `<tr>` per item from `row`. */
export function DataTable<T>(props: {
  columns: (Column | string | false)[];
  rows: T[];
  row: (item: T) => ComponentChildren;
  caption?: string;
  class?: string;
}) {
  const columns = props.columns.filter((column): column is Column | string => column !== false);
  return (
    <table class={props.class ? `table ${props.class}` : "table"}>
      {props.caption !== undefined && <caption class="sr-only">{props.caption}</caption>}
      <thead>
        <tr>
          {columns.map((column) => {
            const { header, srOnly } = typeof column === "string" ? { header: column, srOnly: false } : column;
            return <th scope="col">{srOnly ? <span class="sr-only">{header}</span> : header}</th>;
          })}
        </tr>
      </thead>
      <tbody>{props.rows.map((item) => props.row(item))}</tbody>
    </table>
  );
}

/** A table cell with a name and, under it, a muted detail (a slug, an e-mail address). */
export function NameCell({ name, detail }: { name: ComponentChildren; detail: ComponentChildren }) {
  return (
    <td>
      {name}
      <div class="muted small">{detail}</div>
    </td>
  );
}

/** A small secondary button, as in a table row's actions; `danger` for one that removes something. */
export function SmallButton(props: {
  onClick: () => unknown;
  danger?: boolean;
  disabled?: boolean;
  label?: string;
  expanded?: boolean;
  children: ComponentChildren;
}) {
  return (
    <button
      type="button"
      class={props.danger ? "secondary danger small" : "secondary small"}
      aria-label={props.label}
      aria-expanded={props.expanded}
      disabled={props.disabled}
      onClick={props.onClick}
    >
      {props.children}
    </button>
  );
}

/** A form's submit button on a row of its own (`wide` spans a form grid), with anything after it. */
export function SubmitRow(props: { label: ComponentChildren; disabled: boolean; class?: string; children?: ComponentChildren }) {
  return (
    <div class={props.class ?? "wide"}>
      <button type="submit" disabled={props.disabled}>
        {props.label}
      </button>
      {props.children}
    </div>
  );
}

/** A page: its heading takes focus on arrival so screen readers announce the new screen. */
export function Page(props: { title: string; actions?: ComponentChildren; children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · Buzzi console`;
    heading.current?.focus();
  }, [props.title]);
  return (
    <section class="page">
      <header class="page-header">
        <h1 tabIndex={-1} ref={heading}>
          {props.title}
        </h1>
        {props.actions && <div class="page-actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

export function Field(props: { label: string; hint?: string; children: ComponentChildren; wide?: boolean }) {
  return (
    <label class={props.wide ? "field wide" : "field"}>
      <span class="field-label">{props.label}</span>
      {props.children}
      {props.hint && <span class="field-hint">{props.hint}</span>}
    </label>
  );
}

export function Link(props: { to: string; children: ComponentChildren; class?: string; current?: boolean }) {
  return (
    <a
      href={href(props.to)}
      onClick={linkClick(props.to)}
      class={props.class}
      aria-current={props.current ? "page" : undefined}
    >
      {props.children}
    </a>
  );
}

export function Badge({ value, tone }: { value: string; tone?: string }) {
  return <span class={`badge badge-${tone ?? value.replace(/[^a-z_]/g, "")}`}>{value.replace(/_/g, " ")}</span>;
}

/** "active", or `inactive` (by default "inactive") when not. */
export function ActiveBadge({ active, inactive = "inactive" }: { active: boolean | null | undefined; inactive?: string }) {
  return <Badge value={active ? "active" : inactive} />;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function formatDate(value: string | null | undefined): string {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString();
}

export function formatDay(value: string | null | undefined): string {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleDateString();
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatPercent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`;
}

export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function formatMoney(amount: string | number | null | undefined, currency?: string | null): string {
  if (amount === null || amount === undefined) return "—";
  const value = typeof amount === "number" ? amount : Number(amount);
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency || "USD" }).format(value);
  } catch {
    return `${value.toFixed(2)} ${currency ?? ""}`.trim();
  }
}

/** Copies text, falling back to selecting it when the clipboard is not available (plain http). */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      window.setTimeout(() => setCopied(false), 2000);
    } catch {
      setCopied(false);
    }
  };
  return (
    <button type="button" class="secondary" onClick={copy} aria-live="polite">
      {copied ? "Copied" : label}
    </button>
  );
}

/** A secret shown once (API key, webhook secret): read it now, it cannot be shown again. */
export function OneTimeSecret(props: { title: string; value: string; onDone: () => void }) {
  return (
    <div class="secret" role="region" aria-label={props.title}>
      <p>
        <strong>{props.title}</strong> — copy it now; it will not be shown again.
      </p>
      <code class="secret-value">{props.value}</code>
      <div class="row">
        <CopyButton text={props.value} />
        <button type="button" class="secondary" onClick={props.onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

export function Tabs<T extends string>(props: {
  label: string;
  tabs: { id: T; label: string }[];
  current: T;
  onChange: (id: T) => void;
}) {
  const onKey = (event: KeyboardEvent, index: number) => {
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    const next = props.tabs[(index + step + props.tabs.length) % props.tabs.length];
    props.onChange(next.id);
    document.getElementById(`tab-${next.id}`)?.focus();
  };
  return (
    <div class="tabs" role="tablist" aria-label={props.label}>
      {props.tabs.map((tab, index) => (
        <button
          type="button"
          role="tab"
          id={`tab-${tab.id}`}
          aria-selected={tab.id === props.current}
          aria-controls={`panel-${tab.id}`}
          tabIndex={tab.id === props.current ? 0 : -1}
          onClick={() => props.onChange(tab.id)}
          onKeyDown={(event) => onKey(event, index)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}

export function TabPanel(props: { id: string; children: ComponentChildren }) {
  return (
    <div role="tabpanel" id={`panel-${props.id}`} aria-labelledby={`tab-${props.id}`}>
      {props.children}
    </div>
  );
}

/** Value of a form control, for event handlers. */
export function valueOf(event: Event): string {
  return (event.currentTarget as HTMLInputElement).value;
}

export function checkedOf(event: Event): boolean {
  return (event.currentTarget as HTMLInputElement).checked;
}

export function optionalNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}
