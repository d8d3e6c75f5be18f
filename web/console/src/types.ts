// The API's response shapes, as declared in shared/chatapp/schemas/ (only the fields the console reads).
// Dates are ISO strings; money (Decimal) arrives as a string.

export type Role = "master_admin" | "company_admin" | "support_agent";

export interface User {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  company_id: string | null;
}

/** GET /v1/companies/me/settings and the PATCH /v1/companies/me answer (company admins). */
export interface CompanySettings {
  settings: Record<string, unknown>;
  require_identity_verification: boolean;
  identity_secret_set: boolean;
}

export interface Company {
  id: string;
  name: string;
  slug: string;
  status: string;
  status_reason: string | null;
  timezone: string | null;
  created_at: string;
}

export interface WhoAmI {
  user: User;
  company: Company | null;
  role: Role;
  permissions: Record<string, unknown>;
  session_id: string;
  session_expires_at: string;
}

export interface SessionIssued {
  session_token: string;
  expires_at: string;
  user: User;
}

export type AgentStatus = "draft" | "active" | "paused" | "archived";

export interface Agent {
  id: string;
  name: string;
  description: string | null;
  personality: string | null;
  response_style: { tone?: string; formality?: string; verbosity?: string; language?: string };
  rag_enabled: boolean;
  escalation_rules: {
    keywords?: string[];
    sentimentThreshold?: number;
    confidenceThreshold?: number;
    autoEscalateAfter?: number;
  };
  business_hours: {
    timezone?: string;
    schedule?: Record<string, { start: string; end: string }>;
    outsideHoursMessage?: string;
  };
  status: AgentStatus;
  total_conversations: number;
  total_messages: number;
  created_at: string;
}

export interface WidgetConfig {
  theme: "light" | "dark" | "auto" | null;
  position: "bottom-right" | "bottom-left" | "top-right" | "top-left" | null;
  primary_color: string | null;
  title: string | null;
  subtitle: string | null;
  avatar_url: string | null;
  logo_url: string | null;
  show_branding: boolean | null;
  auto_open: boolean | null;
  auto_open_delay: number | null;
  welcome_message: string | null;
  placeholder_text: string | null;
  enable_file_upload: boolean | null;
  enable_emoji: boolean | null;
  custom_css: string | null;
  allowed_domains: string[];
}

export interface Category {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  parent_id: string | null;
  sort_order: number | null;
}

export type FileStatus = "pending" | "processing" | "indexed" | "failed";

export interface KnowledgeFile {
  id: string;
  category_id: string;
  original_filename: string;
  mime_type: string;
  size: number;
  status: FileStatus;
  processing_error: string | null;
  chunk_count: number | null;
  created_at: string;
  indexed_at: string | null;
}

export interface UploadTicket {
  file: KnowledgeFile;
  upload_url: string;
  upload_method: string;
  upload_headers: Record<string, string>;
}

export interface RetrievedChunk {
  chunk_id: string;
  filename: string;
  text: string;
  page_number: number | null;
  section_title: string | null;
  score: number;
}

export interface Escalation {
  id: string;
  conversation_id: string;
  agent_id: string;
  assigned_to: string | null;
  reason: string;
  trigger_type: string;
  priority: "low" | "medium" | "high" | "urgent";
  status: string;
  created_at: string;
}

export interface ConversationSummary {
  id: string;
  agent_id: string;
  channel: string;
  status: string;
  customer_id: string | null;
  customer_name: string | null;
  customer_email: string | null;
  assigned_agent_id: string | null;
  message_count: number | null;
  language?: string | null; // the customer's (ISO 639-1), from the page or detected
  last_message_at: string;
  started_at: string;
}

export interface InboxMessage {
  id: string;
  role: string;
  content: string;
  sender_id: string | null;
  created_at: string;
  metadata?: { translations?: Record<string, string> } & Record<string, unknown>;
}

export interface Note {
  id: string;
  user_id: string;
  content: string;
  created_at: string;
}

export interface ConversationDetail extends ConversationSummary {
  summary: string | null;
  messages: InboxMessage[]; // the latest page, oldest first
  messages_cursor: string | null; // `before` for the page of older messages

  notes: Note[];
  escalations: Escalation[];
}

export interface CannedResponse {
  id: string;
  title: string;
  content: string;
  shortcut: string | null;
  category: string | null;
  is_global: boolean | null;
  agent_ids: string[];
  usage_count: number | null;
  last_used_at: string | null;
  is_active: boolean | null;
  created_at: string;
}

export interface CustomerProfile {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  tags: string[];
  notes: string | null;
  total_conversations: number | null;
  conversations: ConversationSummary[];
}

export interface Member {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  is_active: boolean;
  last_login_at: string | null;
}

export interface Invitation {
  id: string;
  email: string;
  role: Role;
  status: string;
  expires_at: string;
}

export interface Presence {
  user_id: string;
  status: "online" | "busy" | "away" | "offline";
  current_chat_count: number | null;
}

export interface Channel {
  id: string;
  agent_id: string;
  channel: string;
  webhook_url: string | null;
  identifiers: Record<string, string>;
  secrets_set: string[];
  is_active: boolean;
  is_verified: boolean;
  last_verified_at: string | null;
  last_error: string | null;
}

export interface ChannelConnected extends Channel {
  generated_secrets: Record<string, string>;
}

/** A rotation's answer: the channel, and any secret Buzzi generated (shown once) if it sends one. */
export type ChannelRotated = Channel & Partial<Pick<ChannelConnected, "generated_secrets">>;

export interface ApiKey {
  id: string;
  name: string;
  key_prefix: string;
  scopes: string[];
  rate_limit: number;
  is_active: boolean;
  last_used_at: string | null;
  expires_at: string | null;
}

export interface ApiKeyCreated extends ApiKey {
  key: string;
}

export interface Webhook {
  id: string;
  name: string;
  url: string;
  events: string[];
  is_active: boolean | null;
  success_count: number | null;
  failure_count: number | null;
  last_error: string | null;
}

export interface Totals {
  total_conversations: number;
  new_conversations: number;
  resolved_conversations: number;
  escalated_conversations: number;
  total_messages: number;
  resolution_rate: number | null;
  escalation_rate: number | null;
  avg_first_response_time: number | null;
  avg_response_time: number | null;
  total_tokens_used: number;
  estimated_cost: string;
}

export interface TimeseriesPoint extends Totals {
  date: string;
}

export interface Timeseries {
  filter: { from: string; to: string; timezone: string };
  series: { agent_id: string | null; agent_name: string | null; points: TimeseriesPoint[] }[];
}

export interface Summary {
  filter: { from: string; to: string; timezone: string };
  totals: Totals;
}

export interface BusiestHours {
  hours: { hour: number; customer_messages: number }[];
}

export interface LimitUsage {
  limit: string;
  unit: string;
  allowed: number | null;
  used: number | null;
  percent_used: number | null;
  reached: boolean;
}

export interface Usage {
  plan_name: string;
  period_start: string;
  period_end: string;
  limits: LimitUsage[];
  features: string[];
  tokens: number;
  estimated_cost: string;
}

export interface Subscription {
  plan: string;
  plan_name: string;
  status: string;
  price: string;
  currency: string | null;
  billing_cycle: string;
  trial_ends_at: string | null;
  expires_at: string;
  grace_period_ends_at: string | null;
  auto_renew: boolean | null;
  company_status: string;
  company_status_reason: string | null;
}

export interface CatalogPlan {
  slug: string;
  name: string;
  description: string | null;
  base_price: string;
  currency: string | null;
  billing_cycle: string;
  limits: Record<string, number | null>;
  features: string[];
  current: boolean;
}

export interface AdminCompany extends Company {
  deleted_at: string | null;
}

export interface AdminCompanyPage {
  items: AdminCompany[];
  total: number;
  next_cursor: string | null;
}

export interface Plan {
  id: string;
  name: string;
  slug: string;
  base_price: string;
  currency: string | null;
  billing_cycle: string;
  limits: Record<string, number | null>;
  features: string[] | null;
  is_public: boolean | null;
  is_active: boolean | null;
  live_subscriptions: number;
}

export interface AgentPackage {
  id: string;
  slug: string;
  name: string;
  version: string;
  description: string | null;
  is_active: boolean;
  is_default: boolean;
  usage_count: number;
}

export interface PlatformOverview {
  companies_total: number;
  companies_by_status: Record<string, number>;
  trial_subscriptions: number;
  mrr: { currency: string; mrr: string; subscriptions: number }[];
  active_companies: number;
}

export interface TestRun {
  id: string;
  agent_id: string;
  name: string;
  status: "queued" | "running" | "finished" | "failed";
  question_count: number;
  answered_count: number;
  grader_model: string | null;
  grader_prompt_version: string | null;
  summary: {
    grades?: { good: number; acceptable: number; poor: number; ungraded: number };
    source_match?: { expected: number; matched: number };
    previous_run_id?: string | null;
    got_worse?: number;
    got_better?: number;
  };
  created_at: string;
  finished_at: string | null;
}

export interface TestResult {
  position: number;
  question: string;
  expected_answer: string | null;
  expected_source: string | null;
  answer: string | null;
  citations: Record<string, unknown>[];
  confidence: string | number | null;
  would_hand_over: boolean | null;
  latency_ms: number | null;
  source_match: boolean | null;
  grade: "good" | "acceptable" | "poor" | null;
  grade_reason: string | null;
  graded_by: "source" | "model" | "person" | null;
  answered_at: string | null;
}

export interface TestRunDetail extends TestRun {
  results: TestResult[];
}

export type GapReason = "low_confidence" | "handed_over" | "rated_poorly";

export interface GapQuestion {
  text: string;
  message_id: string;
  conversation_id: string;
  agent_id: string;
  asked_at: string;
  reasons: GapReason[];
}

export interface ContentGapTopic {
  id: string;
  rank: number;
  label: string;
  question_count: number;
  reasons: Record<GapReason, number>;
  agent_ids: string[];
  example_questions: GapQuestion[];
  best_passage: {
    chunk_id: string;
    file_id: string;
    filename: string;
    section_title: string | null;
    text: string;
    similarity: number;
  } | null;
  first_asked_at: string;
  last_asked_at: string;
}

export interface ContentGaps {
  computed_at: string | null;
  window_days: number;
  low_confidence_below: number;
  topics: ContentGapTopic[];
}

export interface KnowledgeDraft {
  id: string;
  topic_id: string | null;
  title: string;
  content: string;
  questions: string[];
  generated_by: string;
  status: "draft" | "published";
  category_id: string | null;
  file_id: string | null;
  created_at: string;
  updated_at: string;
  published_at: string | null;
}

export interface Suggestion {
  id: string;
  conversation_id: string;
  content: string;
  citations: {
    number: number;
    chunk_id: string;
    file_id: string;
    filename: string;
    section_title: string | null;
    text: string;
  }[];
  model: string | null;
  offline: boolean;
  latency_ms: number;
  status: "suggested" | "sent" | "edited" | "ignored";
  created_at: string;
}

export interface CopilotReport {
  from: string;
  to: string;
  suggested: number;
  sent_as_is: number;
  edited: number;
  ignored: number;
  open: number;
  acceptance_rate: number | null;
}

export type SyncSchedule = "daily" | "weekly" | "manual";

export interface SourceSync {
  id: string;
  source_id: string;
  status: "running" | "completed" | "failed";
  trigger: "manual" | "schedule";
  started_at: string;
  finished_at: string | null;
  error: string | null;
  pages_found: number;
  new: number;
  changed: number;
  unchanged: number;
  failed: number;
  skipped: number;
  removed: number;
  pending: number;
}

export interface KnowledgeSource {
  id: string;
  name: string;
  kind: "web" | "zendesk";
  url: string;
  category_id: string;
  include_patterns: string[];
  exclude_patterns: string[];
  page_limit: number;
  schedule: SyncSchedule;
  allow_http: boolean;
  locale: string | null;
  has_credentials: boolean;
  next_sync_at: string | null;
  created_at: string;
  page_count: number;
  last_sync: SourceSync | null;
}

export interface SyncItem {
  id: string;
  key: string;
  kind: "page" | "listing";
  outcome: string;
  reason: string | null;
  file_id: string | null;
  finished_at: string | null;
}
