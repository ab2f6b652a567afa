// The right-hand panel: who the client is, what they are owed, and how to reach their machines.
import { formatWhen } from "../shared/clock";
import { followLink } from "../shared/router";
import { type Priority, type TicketContext, statusLabel } from "../shared/types";

function minutes(value: number): string {
  if (value % (24 * 60) === 0) return `${value / (24 * 60)} d`;
  if (value % 60 === 0) return `${value / 60} h`;
  return `${value} min`;
}

export function ContextPanel({
  context,
  priority,
}: {
  context: TicketContext;
  priority: Priority;
}) {
  const { client, contract, sla_plan: plan, end_user: person, recent_tickets, assets } = context;
  const target = plan?.targets[priority];
  return (
    <aside className="context" aria-label="Client context">
      <section aria-labelledby="ctx-client">
        <h2 id="ctx-client">Client</h2>
        <p className="big">{client.name}</p>
        {client.unsupported && <p className="flag flag-bad">Client not supported</p>}
        {client.main_phone && <p>{client.main_phone}</p>}
      </section>
      <section aria-labelledby="ctx-contract">
        <h2 id="ctx-contract">Contract and SLA</h2>
        {contract ? (
          <dl>
            <dt>Contract</dt>
            <dd>{contract.name}</dd>
            <dt>Kind</dt>
            <dd>{contract.kind.replaceAll("_", " ")}</dd>
            <dt>Allowance</dt>
            <dd>
              {contract.allowance_unlimited
                ? "Unlimited"
                : `${contract.allowance_hours} h ${contract.allowance_period}`}
            </dd>
            <dt>SLA plan</dt>
            <dd>{plan?.name ?? "—"}</dd>
            {target && (
              <>
                <dt>{priority} targets</dt>
                <dd>
                  respond {minutes(target.response_minutes)}, resolve{" "}
                  {minutes(target.resolution_minutes)}{" "}
                  {target.business_hours ? "(business hours)" : "(calendar hours)"}
                </dd>
              </>
            )}
          </dl>
        ) : (
          <p className="flag flag-bad">No contract in force: work is chargeable</p>
        )}
      </section>
      {person && (
        <section aria-labelledby="ctx-person">
          <h2 id="ctx-person">End-user</h2>
          <p className="big">
            {person.name} {person.vip && <span className="flag flag-vip">VIP</span>}
          </p>
          {person.job_title && <p>{person.job_title}</p>}
          {person.unsupported && <p className="flag flag-bad">End-user not supported</p>}
          <ul className="plain">
            {person.emails.map((e) => (
              <li key={e}>
                <a href={`mailto:${e}`}>{e}</a>
              </li>
            ))}
            {person.phones.map((p) => (
              <li key={p}>
                <a href={`tel:${p}`}>{p}</a>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section aria-labelledby="ctx-recent">
        <h2 id="ctx-recent">Recent tickets</h2>
        {recent_tickets.length === 0 ? (
          <p className="muted">None</p>
        ) : (
          <ul className="plain">
            {recent_tickets.map((t) => (
              <li key={t.number}>
                <a href={`/tickets/${t.number}`} onClick={followLink}>
                  #{t.number} {t.subject}
                </a>{" "}
                <span className="muted">
                  {statusLabel(t.status)} · {formatWhen(t.created_at)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="ctx-assets">
        <h2 id="ctx-assets">Assets</h2>
        {assets.length === 0 ? (
          <p className="muted">None recorded</p>
        ) : (
          <ul className="plain">
            {assets.map((a) => (
              <li key={a.id}>
                <strong>{a.name}</strong> <span className="muted">{a.kind}</span>
                {a.remote_access.map((r) => (
                  <a
                    key={r.launch_url}
                    className="launch"
                    href={r.launch_url}
                    aria-label={`Connect to ${a.name} with ${r.label ?? r.kind}`}
                  >
                    Connect ({r.label ?? r.kind})
                  </a>
                ))}
              </li>
            ))}
          </ul>
        )}
      </section>
    </aside>
  );
}
