// Every kind of reference data the admin screens manage, described once: where it lives in
// the API, what the list shows, which fields the form has, and how one goes away: deleted for
// good (what no history names) or deactivated (what tickets, calls and bills name).
import { PRIORITIES, STATUSES, statusLabel } from "../../shared/types";
import type { FieldSpec, Option } from "./form";

type Json = Record<string, unknown>;

export interface Link {
  href: string;
  /** What the link shows, and what it says to a screen reader. */
  text: string;
  label: string;
}

export interface Column {
  label: string;
  /** The cell's text; `name` turns an id of reference data (by admin path) into its name. */
  show: (item: Json, name: (ref: string, id: unknown) => string) => string;
  /** Links shown after the text (remote-access launch links, say). */
  links?: (item: Json) => Link[];
}

export interface ResourceSpec {
  path: string; // /api/admin/<path>
  title: string;
  singular: string;
  /** Listed per client (the API wants client_id). */
  perClient?: boolean;
  columns: Column[];
  fields: FieldSpec[];
  /** A new one before the admin types anything. */
  defaults: Json;
  /** DELETE removes it for good: nothing else names it. */
  deletable?: boolean;
  /** It has an `active` flag: deactivated and reactivated, never deleted. */
  activeToggle?: boolean;
  /** Also listed per end-user of the client (the API takes end_user_id). */
  perEndUser?: boolean;
}

const plain = (values: readonly string[], label = (v: string) => v): Option[] =>
  values.map((v) => ({ value: v, label: label(v) }));
const text = (key: string) => (item: Json) => {
  const value = item[key];
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "boolean") return value ? "yes" : "no";
  return value === null || value === undefined ? "—" : String(value);
};
const col = (label: string, key: string): Column => ({ label, show: text(key) });
const refCol = (label: string, key: string, ref: string): Column => ({
  label,
  show: (item, name) => name(ref, item[key]),
});

const PRIORITY_CHOICES = plain(PRIORITIES);
const CLIENT: FieldSpec = {
  path: "client_id",
  label: "Client",
  kind: "select",
  choices: { ref: "clients" },
  required: true,
  createOnly: true,
};
const NOTES: FieldSpec = {
  path: "popup_notes",
  label: "Pop-up notes",
  kind: "lines",
  help: "One per line; shown the moment a ticket or call of theirs opens.",
};
const REMOTE_LABELS: Record<string, string> = {
  rdp: "RDP",
  splashtop: "Splashtop",
  teamviewer: "TeamViewer",
  anydesk: "AnyDesk",
  other: "Other link",
};
const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

export const RESOURCES: readonly ResourceSpec[] = [
  {
    path: "clients",
    title: "Clients",
    singular: "client",
    activeToggle: true,
    columns: [
      col("Name", "name"),
      col("Main phone", "main_phone"),
      { label: "Portal", show: (i) => String((i.branding as Json | undefined)?.host ?? "—") },
      col("Active", "active"),
    ],
    defaults: {
      name: "",
      email_domains: [],
      main_phone: null,
      popup_notes: [],
      unsupported: false,
      auto_create_end_users: true,
      active: true,
      branding: {
        display_name: null,
        logo_url: null,
        primary_colour: "#1f6feb",
        accent_colour: "#0d1117",
        host: null,
      },
    },
    fields: [
      { path: "name", label: "Name", kind: "text", required: true },
      {
        path: "email_domains",
        label: "Email domains",
        kind: "lines",
        help: "Mail from these domains is theirs.",
      },
      { path: "main_phone", label: "Main phone", kind: "text", nullable: true },
      NOTES,
      { path: "unsupported", label: "Not supported", kind: "checkbox" },
      {
        path: "auto_create_end_users",
        label: "Create end-users from new senders",
        kind: "checkbox",
      },
      {
        path: "branding.display_name",
        section: "Portal branding",
        label: "Portal name",
        kind: "text",
        nullable: true,
      },
      {
        path: "branding.logo_url",
        label: "Logo URL",
        kind: "text",
        nullable: true,
        placeholder: "https://…",
      },
      { path: "branding.primary_colour", label: "Primary colour", kind: "colour" },
      { path: "branding.accent_colour", label: "Accent colour", kind: "colour" },
      {
        path: "branding.host",
        label: "Portal host",
        kind: "text",
        nullable: true,
        placeholder: "support.client.example",
      },
    ],
  },
  {
    path: "end-users",
    title: "End-users",
    singular: "end-user",
    perClient: true,
    activeToggle: true,
    columns: [
      col("Name", "name"),
      col("Email", "emails"),
      col("Phone", "phones"),
      col("VIP", "vip"),
      col("Active", "active"),
    ],
    defaults: {
      name: "",
      emails: [],
      phones: [],
      site_id: null,
      job_title: null,
      vip: false,
      unsupported: false,
      popup_notes: [],
      active: true,
    },
    fields: [
      CLIENT,
      { path: "name", label: "Name", kind: "text", required: true },
      { path: "emails", label: "Email addresses", kind: "lines" },
      { path: "phones", label: "Phone numbers", kind: "lines" },
      { path: "job_title", label: "Job title", kind: "text", nullable: true },
      { path: "vip", label: "VIP", kind: "checkbox" },
      { path: "unsupported", label: "Not supported", kind: "checkbox" },
      NOTES,
    ],
  },
  {
    path: "sites",
    title: "Sites",
    singular: "site",
    perClient: true,
    columns: [col("Name", "name"), col("Address", "address"), col("Main phone", "main_phone")],
    defaults: { name: "", address: null, main_phone: null, time_zone: null },
    fields: [
      CLIENT,
      { path: "name", label: "Name", kind: "text", required: true },
      { path: "address", label: "Address", kind: "textarea", nullable: true },
      { path: "main_phone", label: "Main phone", kind: "text", nullable: true },
      {
        path: "time_zone",
        label: "Time zone",
        kind: "text",
        nullable: true,
        placeholder: "Europe/London",
      },
    ],
  },
  {
    path: "assets",
    title: "Assets",
    singular: "asset",
    perClient: true,
    perEndUser: true,
    deletable: true,
    columns: [
      col("Name", "name"),
      col("Kind", "kind"),
      refCol("Used by", "end_user_id", "end-users"),
      refCol("Site", "site_id", "sites"),
      col("Serial number", "serial_number"),
      {
        label: "Remote access",
        show: (i) => (Array.isArray(i.remote_access) && i.remote_access.length ? "" : "—"),
        links: (i) =>
          ((i.remote_access as Json[] | undefined) ?? []).map((r) => {
            const tool = String(r.label ?? REMOTE_LABELS[String(r.kind)] ?? r.kind);
            return {
              href: String(r.launch_url),
              text: `Connect (${tool})`,
              label: `Connect to ${String(i.name)} with ${tool}`,
            };
          }),
      },
    ],
    defaults: {
      name: "",
      kind: "workstation",
      end_user_id: null,
      site_id: null,
      serial_number: null,
      notes: null,
      remote_access: [],
    },
    fields: [
      CLIENT,
      { path: "name", label: "Name", kind: "text", required: true, placeholder: "ACME-PC-014" },
      {
        path: "kind",
        label: "Kind",
        kind: "text",
        required: true,
        help: "workstation, laptop, server, printer, firewall…",
      },
      {
        path: "end_user_id",
        label: "Used by",
        kind: "select",
        choices: { ref: "end-users", perClient: true },
        nullable: true,
      },
      {
        path: "site_id",
        label: "Site",
        kind: "select",
        choices: { ref: "sites", perClient: true },
        nullable: true,
      },
      { path: "serial_number", label: "Serial number", kind: "text", nullable: true },
      { path: "notes", label: "Notes", kind: "textarea", nullable: true },
      {
        path: "remote_access",
        label: "Remote access",
        kind: "rows",
        addLabel: "remote-access link",
        help: "A device id (Splashtop, TeamViewer, AnyDesk), a host name (RDP) or a full URL. Agents get a Connect link on this person's tickets.",
        columns: [
          {
            key: "kind",
            label: "Tool",
            kind: "select",
            choices: Object.entries(REMOTE_LABELS).map(([value, label]) => ({ value, label })),
          },
          {
            key: "target",
            label: "Device id, host or URL",
            kind: "text",
            required: true,
          },
          {
            key: "label",
            label: "Link label",
            kind: "text",
            nullable: true,
            placeholder: "optional",
          },
        ],
      },
    ],
  },
  {
    path: "contracts",
    title: "Contracts",
    singular: "contract",
    perClient: true,
    columns: [
      col("Name", "name"),
      col("Kind", "kind"),
      col("From", "starts_on"),
      col("To", "ends_on"),
      refCol("SLA plan", "sla_plan_id", "sla-plans"),
    ],
    defaults: {
      name: "",
      kind: "managed",
      starts_on: new Date().toISOString().slice(0, 10),
      ends_on: null,
      allowance_hours: "0",
      allowance_period: "monthly",
      allowance_unlimited: false,
      rates: {},
      adhoc_rate: "95.00",
      out_of_hours_uplift_percent: 50,
      rounding_minutes: 15,
      minimum_charge_minutes: 15,
      fixed_fee: "0.00",
      scope: { category_ids: [], work_types: [], covers_out_of_hours: false },
      non_billable_work_types: [],
      currency: "GBP",
    },
    fields: [
      CLIENT,
      { path: "name", label: "Name", kind: "text", required: true },
      {
        path: "kind",
        label: "Kind",
        kind: "select",
        choices: plain(["managed", "prepaid_block", "time_and_materials"], (v) =>
          v.replaceAll("_", " "),
        ),
      },
      { path: "starts_on", label: "Starts on", kind: "date", required: true },
      { path: "ends_on", label: "Ends on", kind: "date", nullable: true },
      {
        path: "sla_plan_id",
        label: "SLA plan",
        kind: "select",
        choices: { ref: "sla-plans" },
        required: true,
      },
      {
        path: "calendar_id",
        label: "Calendar",
        kind: "select",
        choices: { ref: "calendars" },
        required: true,
      },
      {
        path: "allowance_hours",
        section: "Allowance and prices",
        label: "Allowance (hours)",
        kind: "decimal",
      },
      {
        path: "allowance_period",
        label: "Allowance per",
        kind: "select",
        choices: plain(["monthly", "quarterly", "block"]),
      },
      { path: "allowance_unlimited", label: "Unlimited allowance", kind: "checkbox" },
      { path: "block_expires_on", label: "Block expires on", kind: "date", nullable: true },
      { path: "fixed_fee", label: "Fixed fee", kind: "decimal" },
      { path: "adhoc_rate", label: "Ad-hoc rate", kind: "decimal" },
      {
        path: "rates",
        label: "Rates by work type",
        kind: "json",
        help: 'e.g. {"remote": "85.00", "onsite": "110.00"}',
      },
      { path: "out_of_hours_uplift_percent", label: "Out-of-hours uplift %", kind: "number" },
      { path: "rounding_minutes", label: "Round up to (min)", kind: "number" },
      { path: "minimum_charge_minutes", label: "Minimum charge (min)", kind: "number" },
      {
        path: "scope.category_ids",
        section: "What the contract covers",
        label: "Covered categories",
        kind: "multi",
        choices: { ref: "categories" },
        help: "None ticked: every category.",
      },
      {
        path: "scope.work_types",
        label: "Covered work types",
        kind: "lines",
        help: "Empty: every work type.",
      },
      { path: "scope.covers_out_of_hours", label: "Covers out of hours", kind: "checkbox" },
      { path: "non_billable_work_types", label: "Never billed work types", kind: "lines" },
      { path: "currency", label: "Currency", kind: "text", required: true },
    ],
  },
  {
    path: "sla-plans",
    title: "SLA plans",
    singular: "SLA plan",
    columns: [
      col("Name", "name"),
      {
        label: "P1 respond / resolve",
        show: (i) => {
          const t = (i.targets as Json | undefined)?.P1 as Json | undefined;
          return t ? `${String(t.response_minutes)} / ${String(t.resolution_minutes)} min` : "—";
        },
      },
      col("Warn at %", "warning_percent"),
    ],
    defaults: {
      name: "",
      targets: Object.fromEntries(
        PRIORITIES.map((p, i) => [
          p,
          { response_minutes: 60 * 2 ** i, resolution_minutes: 240 * 2 ** i, business_hours: true },
        ]),
      ),
      warning_percent: 75,
      pause_statuses: ["waiting_on_customer", "waiting_on_supplier"],
      escalations: [],
    },
    fields: [
      { path: "name", label: "Name", kind: "text", required: true },
      ...PRIORITIES.flatMap((p): FieldSpec[] => [
        {
          path: `targets.${p}.response_minutes`,
          section: `${p} targets`,
          label: `${p} respond within (min)`,
          kind: "number",
        },
        {
          path: `targets.${p}.resolution_minutes`,
          label: `${p} resolve within (min)`,
          kind: "number",
        },
        { path: `targets.${p}.business_hours`, label: `${p} in business hours`, kind: "checkbox" },
      ]),
      { path: "warning_percent", section: "Clock", label: "Warn at % of the time", kind: "number" },
      {
        path: "pause_statuses",
        label: "Clock paused while",
        kind: "multi",
        choices: plain(STATUSES, (s) => statusLabel(s as never)),
      },
      {
        path: "escalations",
        label: "Escalations",
        kind: "json",
        help: 'e.g. [{"clocks": ["resolution"], "priorities": ["P1"], "raise_priority_to": null, "assign_team_id": "team_…"}]',
      },
    ],
  },
  {
    path: "calendars",
    title: "Calendars",
    singular: "calendar",
    columns: [
      col("Name", "name"),
      col("Time zone", "time_zone"),
      col("Holidays from", "holiday_country"),
    ],
    defaults: {
      name: "",
      time_zone: "Europe/London",
      week: Object.fromEntries(
        [1, 2, 3, 4, 5].map((d) => [String(d), [{ start: "09:00:00", end: "17:30:00" }]]),
      ),
      holidays: [],
      holiday_country: null,
      holiday_subdivision: null,
    },
    fields: [
      { path: "name", label: "Name", kind: "text", required: true },
      { path: "time_zone", label: "Time zone", kind: "text", required: true },
      ...DAYS.map((day, i): FieldSpec => ({
        path: `week.${i + 1}`,
        label: day,
        kind: "intervals",
        placeholder: "09:00-17:30",
      })),
      {
        path: "holidays",
        label: "Holidays",
        kind: "lines",
        help: "Dates, one per line: 2026-12-25",
      },
      {
        path: "holiday_country",
        label: "Public holidays of (country)",
        kind: "text",
        nullable: true,
        placeholder: "GB",
      },
      {
        path: "holiday_subdivision",
        label: "Region",
        kind: "text",
        nullable: true,
        placeholder: "ENG",
      },
    ],
  },
  {
    path: "agents",
    title: "Agents",
    singular: "agent",
    activeToggle: true,
    columns: [
      col("Name", "name"),
      col("Email", "email"),
      col("Role", "role"),
      {
        label: "Teams",
        show: (i, name) =>
          ((i.team_ids as string[] | undefined) ?? []).map((t) => name("teams", t)).join(", ") ||
          "—",
      },
      col("Available", "available"),
      col("Active", "active"),
    ],
    defaults: {
      name: "",
      email: "",
      role: "agent",
      team_ids: [],
      skills: [],
      available: true,
      active: true,
    },
    fields: [
      { path: "name", label: "Name", kind: "text", required: true },
      { path: "email", label: "Email", kind: "text", required: true },
      { path: "role", label: "Role", kind: "select", choices: plain(["agent", "admin"]) },
      { path: "team_ids", label: "Teams", kind: "multi", choices: { ref: "teams" } },
      { path: "skills", label: "Skills", kind: "lines" },
      { path: "available", label: "Available for new tickets", kind: "checkbox" },
    ],
  },
  {
    path: "teams",
    title: "Teams",
    singular: "team",
    columns: [col("Name", "name"), col("Email", "email"), col("Timer", "timer_mode")],
    defaults: { name: "", email: null, timer_mode: "viewing", webhook_url: null },
    fields: [
      { path: "name", label: "Name", kind: "text", required: true },
      { path: "email", label: "Mailbox", kind: "text", nullable: true },
      {
        path: "timer_mode",
        label: "Timer starts when an agent",
        kind: "select",
        choices: [
          { value: "viewing", label: "opens a ticket (viewing)" },
          { value: "doing", label: "starts an action (doing)" },
        ],
      },
      { path: "webhook_url", label: "Webhook URL", kind: "text", nullable: true },
    ],
  },
  {
    path: "categories",
    title: "Categories",
    singular: "category",
    columns: [
      col("Name", "name"),
      refCol("Parent", "parent_id", "categories"),
      refCol("Default team", "default_team_id", "teams"),
    ],
    defaults: { name: "", parent_id: null, default_team_id: null },
    fields: [
      { path: "name", label: "Name", kind: "text", required: true },
      {
        path: "parent_id",
        label: "Parent",
        kind: "select",
        choices: { ref: "categories" },
        nullable: true,
      },
      {
        path: "default_team_id",
        label: "Default team",
        kind: "select",
        choices: { ref: "teams" },
        nullable: true,
      },
    ],
  },
  {
    path: "routing-rules",
    title: "Routing rules",
    singular: "routing rule",
    deletable: true,
    columns: [
      col("Order", "order"),
      col("Name", "name"),
      {
        label: "Keywords",
        show: (i) =>
          ((i.conditions as Json | undefined)?.keywords as string[] | undefined)?.join(", ") || "—",
      },
      { label: "Priority", show: (i) => String((i.actions as Json | undefined)?.priority ?? "—") },
      { label: "Team", show: (i, name) => name("teams", (i.actions as Json | undefined)?.team_id) },
      col("Active", "active"),
    ],
    defaults: {
      name: "",
      order: 100,
      active: true,
      conditions: {
        client_ids: [],
        category_ids: [],
        keywords: [],
        request_types: [],
        sources: [],
        vip_only: false,
      },
      actions: {
        team_id: null,
        agent_id: null,
        required_skill: null,
        priority: null,
        category_id: null,
      },
    },
    fields: [
      { path: "name", label: "Name", kind: "text", required: true },
      {
        path: "order",
        label: "Order",
        kind: "number",
        help: "Lowest first; the first rule to set a field settles it.",
      },
      { path: "active", label: "Active", kind: "checkbox" },
      {
        path: "conditions.keywords",
        section: "When a new ticket matches",
        label: "Keywords",
        kind: "lines",
        help: "Any of them, whole words, in the subject or the message.",
      },
      {
        path: "conditions.client_ids",
        label: "Clients",
        kind: "multi",
        choices: { ref: "clients" },
        help: "None ticked: every client.",
      },
      {
        path: "conditions.category_ids",
        label: "Categories",
        kind: "multi",
        choices: { ref: "categories" },
      },
      {
        path: "conditions.request_types",
        label: "Request types",
        kind: "multi",
        choices: plain(["incident", "service_request", "change", "question"], (v) =>
          v.replaceAll("_", " "),
        ),
      },
      {
        path: "conditions.sources",
        label: "Sources",
        kind: "multi",
        choices: plain(["portal", "email", "phone", "agent"]),
      },
      { path: "conditions.vip_only", label: "VIPs only", kind: "checkbox" },
      {
        path: "actions.priority",
        section: "Then",
        label: "Set priority",
        kind: "select",
        choices: PRIORITY_CHOICES,
        nullable: true,
      },
      {
        path: "actions.team_id",
        label: "Set team",
        kind: "select",
        choices: { ref: "teams" },
        nullable: true,
      },
      {
        path: "actions.agent_id",
        label: "Assign to",
        kind: "select",
        choices: { ref: "agents" },
        nullable: true,
      },
      {
        path: "actions.required_skill",
        label: "Assign by skill",
        kind: "text",
        nullable: true,
        help: "The least-loaded available agent with this skill.",
      },
      {
        path: "actions.category_id",
        label: "Set category",
        kind: "select",
        choices: { ref: "categories" },
        nullable: true,
      },
    ],
  },
];

export const BY_PATH = new Map(RESOURCES.map((r) => [r.path, r]));
