// The shapes of the HTTP API that the screens read (see /openapi.json); fields the screens
// do not use are left out.
import type { AttachmentInfo } from "./attachments";

export type Role = "admin" | "agent" | "end-user";
export type TicketStatus =
  "new" | "open" | "waiting_on_customer" | "waiting_on_supplier" | "resolved" | "closed";
export type Priority = "P1" | "P2" | "P3" | "P4";
export type SlaState = "running" | "warning" | "breached" | "met" | "paused";
export type ActionKind =
  | "note"
  | "email_in"
  | "email_out"
  | "call"
  | "status_change"
  | "field_change"
  | "sla_notification";
export type Visibility = "public" | "private";

export const STATUSES: readonly TicketStatus[] = [
  "new",
  "open",
  "waiting_on_customer",
  "waiting_on_supplier",
  "resolved",
  "closed",
];
export const PRIORITIES: readonly Priority[] = ["P1", "P2", "P3", "P4"];
export const SLA_STATES: readonly SlaState[] = ["running", "warning", "breached", "paused", "met"];

export function statusLabel(status: TicketStatus): string {
  const text = status.replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export interface Account {
  email: string;
  name: string;
  role: Role;
  client_id: string | null;
}

export interface Me {
  id: string;
  name: string;
  role: Role;
  client_id: string | null;
}

export interface Ticket {
  number: number;
  client_id: string;
  end_user_id: string | null;
  subject: string;
  status: TicketStatus;
  priority: Priority;
  category_id: string | null;
  team_id: string | null;
  agent_id: string | null;
  source: string;
  created_at: string;
  updated_at: string;
  version: number;
  sla_state: SlaState | null;
  sla_due_at: string | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Author {
  kind: "agent" | "end_user" | "system";
  id: string | null;
  name: string | null;
}

export interface Action {
  id: string;
  ticket_number: number;
  kind: ActionKind;
  visibility: Visibility;
  author: Author;
  body: string;
  meta: Record<string, unknown>;
  created_at: string;
}

export interface Presence {
  ticket_number: number;
  agent_id: string;
  agent_name: string;
  activity: "viewing" | "replying" | "editing";
  seen_at: string;
  expires_at: string;
}

export interface Branding {
  display_name: string | null;
  logo_url: string | null;
  primary_colour: string;
  accent_colour: string;
  host: string | null;
}

export interface Client {
  id: string;
  name: string;
  popup_notes: string[];
  unsupported: boolean;
  main_phone: string | null;
  branding: Branding;
}

export interface Contract {
  id: string;
  name: string;
  kind: string;
  starts_on: string;
  ends_on: string | null;
  allowance_hours: string;
  allowance_period: string;
  allowance_unlimited: boolean;
}

export interface SlaTarget {
  response_minutes: number;
  resolution_minutes: number;
  business_hours: boolean;
}

export interface SlaPlan {
  id: string;
  name: string;
  targets: Record<Priority, SlaTarget>;
}

export interface EndUser {
  id: string;
  name: string;
  emails: string[];
  phones: string[];
  job_title: string | null;
  vip: boolean;
  unsupported: boolean;
}

export interface RemoteAccess {
  kind: string;
  target: string;
  label: string | null;
  launch_url: string;
}

export interface Asset {
  id: string;
  name: string;
  kind: string;
  end_user_id: string | null;
  remote_access: RemoteAccess[];
}

export interface TicketContext {
  client: Client;
  contract: Contract | null;
  sla_plan: SlaPlan | null;
  end_user: EndUser | null;
  recent_tickets: Ticket[];
  assets: Asset[];
  vip: boolean;
  unsupported: boolean;
  popup_notes: string[];
}

export interface TicketDetail extends Ticket {
  actions: Action[];
  presence: Presence[];
  context: TicketContext | null;
  time_entries: TimeEntry[];
  /** Absent on an API without triage; null until the ticket has been triaged. */
  triage?: Triage | null;
  /** The Problem this ticket is linked to; shown when the API says (not yet in the API). */
  problem_number?: number | null;
}

export interface Named {
  id: string;
  name: string;
}

export interface PortalTicket {
  number: number;
  subject: string;
  status: TicketStatus;
  priority: Priority;
  created_at: string;
  updated_at: string;
}

export interface PortalAction {
  id: string;
  author_name: string | null;
  from_support: boolean;
  body: string;
  created_at: string;
  attachments: AttachmentInfo[];
}

export interface PortalTicketDetail extends PortalTicket {
  actions: PortalAction[];
  /** only the person who raised a ticket may mark it resolved */
  raised_by_you: boolean;
}

export interface PortalMe {
  id: string;
  name: string;
  client_id: string;
  client_name: string;
  branding: Branding;
}

// --- triage --------------------------------------------------------------------------------

export type TriageField = "category_id" | "priority" | "team_id" | "agent_id";

export interface Neighbour {
  number: number;
  similarity: number;
  category_id: string | null;
  resolution_minutes: number | null;
}

export interface FieldOverride {
  suggested: string | null;
  final: string | null;
  agent_id: string | null;
  at: string;
}

export interface Triage {
  ticket_number: number;
  method: "vector" | "llm" | "rules";
  outcome: "applied" | "suggested" | "rules_only";
  confidence: number;
  threshold: number;
  suggested: Partial<Record<string, string | null>>;
  field_confidence: Partial<Record<string, number>>;
  applied: Partial<Record<string, string | null>>;
  rules: Partial<Record<string, string>>;
  estimated_minutes: number | null;
  neighbours: Neighbour[];
  reasoning: string | null;
  model: string | null;
  fallbacks: string[];
  overrides: Partial<Record<string, FieldOverride>>;
  accepted_by: string | null;
  created_at: string;
}

// --- time ----------------------------------------------------------------------------------

export type TimerMode = "viewing" | "doing";
export type TimerState = "running" | "paused" | "stopped";

export interface Timer {
  id: string;
  ticket_number: number;
  client_id: string;
  agent_id: string;
  mode: TimerMode;
  state: TimerState;
  started_at: string;
  running_since: string | null;
  seconds: number;
  stopped_at: string | null;
  work_type: string;
  note: string;
  version: number;
  updated_at: string;
  elapsed_seconds: number;
}

export interface Proposal {
  ticket_number: number;
  started_at: string;
  minutes: number;
  work_type: string;
  note: string;
}

export interface TimeEntry {
  id: string;
  ticket_number: number;
  client_id: string;
  agent_id: string;
  started_at: string;
  minutes: number;
  work_type: string;
  note: string;
  created_at: string;
  version: number;
  billing_period: string | null;
  timer_id: string | null;
  /** What the contract makes of it, when the API says (not yet: the billing preview does). */
  billing_class?: BillingClass;
  billing_reason?: string;
}

export type BillingClass = "covered" | "billable" | "chargeable" | "non_billable";

export interface BillingLine {
  entry_id: string;
  ticket_number: number;
  agent_id: string;
  started_at: string;
  work_type: string;
  billing_class: BillingClass;
  worked_minutes: number;
  billed_minutes: number;
  out_of_hours: boolean;
  rate: string;
  uplift_percent: number;
  amount: string;
  contract_id: string | null;
  reason: string;
}

export interface InvoiceLine {
  description: string;
  billing_class: BillingClass | null;
  work_type: string | null;
  out_of_hours: boolean;
  minutes: number;
  hours: string;
  rate: string;
  uplift_percent: number;
  amount: string;
}

export interface InvoiceTotals {
  covered_minutes: number;
  billable_minutes: number;
  chargeable_minutes: number;
  non_billable_minutes: number;
  worked_minutes: number;
  fees: string;
  time: string;
  total: string;
}

export interface InvoiceDraft {
  client_id: string;
  client_name: string;
  period: string;
  status: "draft" | "approved";
  currency: string;
  lines: InvoiceLine[];
  billing_lines: BillingLine[];
  totals: InvoiceTotals;
  entry_count: number;
  built_at: string;
  version: number;
  stale: boolean;
  approved_at: string | null;
  approved_by: string | null;
}

// --- phone ---------------------------------------------------------------------------------

export type CallState = "ringing" | "answered" | "ended" | "missed";

export interface Call {
  id: string;
  provider: string;
  direction: "inbound" | "outbound";
  state: CallState;
  caller_raw: string | null;
  caller_e164: string | null;
  dialled_e164: string | null;
  client_id: string | null;
  end_user_id: string | null;
  matched_by: string | null;
  agent_id: string | null;
  team_id: string | null;
  started_at: string;
  answered_at: string | null;
  ended_at: string | null;
  ticket_number: number | null;
  notes: string;
  script_id: string | null;
  script_answers: Record<string, string>;
  logged: boolean;
  time_entry_id: string | null;
  callback_ticket: number | null;
  callback_open: boolean;
  version: number;
}

export interface CallPerson {
  id: string;
  name: string;
  job_title: string | null;
  vip: boolean;
  unsupported: boolean;
  emails: string[];
  phones: string[];
  client_id: string;
}

export interface ScriptQuestion {
  id: string;
  text: string;
  kind: "text" | "choice" | "yes_no";
  options: string[];
  branches: Record<string, string>;
  next: string | null;
}

export interface CallScript {
  id: string;
  name: string;
  questions: ScriptQuestion[];
}

export interface PopTicket {
  number: number;
  subject: string;
  status: TicketStatus;
  priority: Priority;
  end_user_id: string | null;
  mine: boolean;
}

/** What the screen-pop socket pushes on ringing and on answer (and GET .../screen-pop). */
export interface ScreenPop {
  type: "screen_pop";
  stage: "ringing" | "answered" | string;
  call: Pick<
    Call,
    | "id"
    | "provider"
    | "direction"
    | "state"
    | "caller_raw"
    | "caller_e164"
    | "dialled_e164"
    | "matched_by"
    | "agent_id"
    | "team_id"
    | "started_at"
    | "answered_at"
    | "ticket_number"
  >;
  caller: CallPerson | null;
  other_matches: CallPerson[];
  client: { id: string; name: string; unsupported: boolean; main_phone: string | null } | null;
  contract: {
    id: string;
    name: string;
    kind: string;
    starts_on: string;
    ends_on: string | null;
  } | null;
  vip: boolean;
  unsupported: boolean;
  popup_notes: string[];
  open_tickets: PopTicket[];
  script: CallScript | null;
}

// --- major incidents and Problems ------------------------------------------------------------

export interface IncidentReport {
  key: string;
  client_id: string;
  at: string;
  ticket_number: number | null;
  call_id: string | null;
}

export interface MajorIncident {
  id: string;
  status: "open" | "problem" | "dismissed";
  keywords: string[];
  client_ids: string[];
  reports: IncidentReport[];
  problem_number: number | null;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface ProblemLinks {
  number: number;
  incident_id: string | null;
  linked: number[];
}

/** A Problem as GET /api/problems lists it. */
export interface ProblemSummary {
  number: number;
  incident_id: string | null;
  linked_count: number;
  subject: string;
  status: TicketStatus;
  priority: Priority;
  client_id: string;
  created_at: string;
}

/** GET /api/tickets/{number}/problem: the Problem a ticket is, or the one it is linked to. */
export interface TicketProblem {
  problem: ProblemLinks | null;
  linked_to: number | null;
}

// --- phone administration ---------------------------------------------------------------------

/** A call script as the admin API keeps it (GET /api/admin/call-scripts). */
export interface AdminCallScript extends CallScript {
  client_ids: string[];
  category_ids: string[];
  team_ids: string[];
  active: boolean;
  version: number;
  created_at: string;
  updated_at: string;
}

/** Extensions (or names, addresses) to agents; our dialled numbers to teams. */
export interface CtiDirectory {
  extensions: Record<string, string>;
  numbers: Record<string, string>;
  version: number;
}

export interface ReindexCounts {
  clients: number;
  sites: number;
  changed: number;
}
