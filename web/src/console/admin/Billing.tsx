// Billing: each client's draft invoice for a month, how every time entry was priced and why,
// re-run, approve (which locks the month) and export.
import { useCallback, useEffect, useState } from "react";
import { ApiError, download, get, request } from "../../shared/api";
import { formatWhen } from "../../shared/clock";
import { message } from "../../shared/errors";
import { followLink } from "../../shared/router";
import type { BillingClass, InvoiceDraft, Page } from "../../shared/types";
import { nameOf, useDirectory } from "../directory";

const CLASS: Record<BillingClass, string> = {
  covered: "Covered",
  billable: "Billable",
  chargeable: "Chargeable",
  non_billable: "Non-billable",
};

const thisMonth = (): string => new Date().toISOString().slice(0, 7);
const hours = (minutes: number): string => (minutes / 60).toFixed(2);

export default function Billing() {
  const { clients } = useDirectory();
  const [period, setPeriod] = useState(thisMonth);
  const [drafts, setDrafts] = useState<InvoiceDraft[] | null>(null);
  const [shown, setShown] = useState<InvoiceDraft | null>(null);
  const [previewClient, setPreviewClient] = useState("");
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const page = await get<Page<InvoiceDraft>>("/api/invoices", { period, limit: 100 });
      setDrafts(page.items);
      setError(null);
    } catch (e) {
      setError(message(e));
    }
  }, [period]);
  useEffect(() => {
    setDrafts(null);
    setShown(null);
    void load();
  }, [load]);

  const act = async (run: () => Promise<InvoiceDraft | null>): Promise<void> => {
    try {
      const out = await run();
      if (out) setShown(out);
      setError(null);
      await load();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        setError(
          "The draft changed or has newer entries since it was built: run it again, check it, then approve.",
        );
      } else setError(message(e));
    }
  };

  const base = (d: { client_id: string; period: string }): string =>
    `/api/invoices/${d.client_id}/${d.period}`;

  async function exportCsv(draft: InvoiceDraft): Promise<void> {
    const blob = await download(`${base(draft)}/export`, { format: "csv" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `invoice-${draft.client_name}-${draft.period}.csv`;
    link.click();
    URL.revokeObjectURL(link.href);
  }

  return (
    <>
      <h1>Billing</h1>
      <form className="filters" aria-label="Billing period" onSubmit={(e) => e.preventDefault()}>
        <label>
          Month
          <input
            type="month"
            value={period}
            onChange={(e) => /^\d{4}-\d{2}$/.test(e.target.value) && setPeriod(e.target.value)}
          />
        </label>
        <label>
          Preview a client
          <select value={previewClient} onChange={(e) => setPreviewClient(e.target.value)}>
            <option value="">Choose…</option>
            {clients.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          disabled={!previewClient}
          onClick={() =>
            void act(() =>
              get<InvoiceDraft>(`/api/clients/${previewClient}/billing/preview`, { period }),
            )
          }
        >
          Preview
        </button>
      </form>
      {error && <p role="alert">{error}</p>}
      {drafts === null ? (
        <p>Loading…</p>
      ) : drafts.length === 0 ? (
        <p>No invoice drafts for {period} yet: the nightly run makes them, or preview a client.</p>
      ) : (
        <table aria-label="Invoice drafts">
          <thead>
            <tr>
              <th scope="col">Client</th>
              <th scope="col">Status</th>
              <th scope="col">Entries</th>
              <th scope="col">Covered h</th>
              <th scope="col">Billable h</th>
              <th scope="col">Chargeable h</th>
              <th scope="col">Total</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {drafts.map((d) => (
              <tr key={d.client_id}>
                <td>{d.client_name}</td>
                <td>
                  {d.status}
                  {d.stale && <span className="tag">new entries since</span>}
                </td>
                <td>{d.entry_count}</td>
                <td>{hours(d.totals.covered_minutes)}</td>
                <td>{hours(d.totals.billable_minutes)}</td>
                <td>{hours(d.totals.chargeable_minutes)}</td>
                <td>
                  {d.totals.total} {d.currency}
                </td>
                <td>
                  <div className="buttons">
                    <button
                      type="button"
                      onClick={() => void act(() => get<InvoiceDraft>(base(d)))}
                    >
                      View
                    </button>
                    {d.status === "draft" && (
                      <>
                        <button
                          type="button"
                          onClick={() =>
                            void act(() => request<InvoiceDraft>("POST", `${base(d)}/run`))
                          }
                        >
                          Run now
                        </button>
                        <button
                          type="button"
                          disabled={d.stale}
                          title={d.stale ? "Run it again first" : undefined}
                          onClick={() =>
                            void act(() =>
                              request<InvoiceDraft>("POST", `${base(d)}/approve`, {
                                headers: { "If-Match": `"${d.version}"` },
                              }),
                            )
                          }
                        >
                          Approve
                        </button>
                      </>
                    )}
                    <button
                      type="button"
                      onClick={() => void act(async () => (await exportCsv(d), null))}
                    >
                      CSV
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {shown && <Draft draft={shown} />}
    </>
  );
}

function Draft({ draft }: { draft: InvoiceDraft }) {
  const { agents } = useDirectory();
  return (
    <section aria-label={`Invoice for ${draft.client_name}`} className="draft">
      <h2>
        {draft.client_name}, {draft.period}: {draft.status}
        {draft.approved_at && ` (approved ${formatWhen(draft.approved_at)})`}
      </h2>
      <table className="compact" aria-label="Invoice lines">
        <thead>
          <tr>
            <th scope="col">Line</th>
            <th scope="col">Hours</th>
            <th scope="col">Rate</th>
            <th scope="col">Amount</th>
          </tr>
        </thead>
        <tbody>
          {draft.lines.map((l, i) => (
            <tr key={`${l.description}-${i}`}>
              <td>{l.description}</td>
              <td>{l.hours}</td>
              <td>{l.rate}</td>
              <td>{l.amount}</td>
            </tr>
          ))}
          <tr>
            <th scope="row" colSpan={3}>
              Total
            </th>
            <td>
              <strong>
                {draft.totals.total} {draft.currency}
              </strong>
            </td>
          </tr>
        </tbody>
      </table>
      {draft.billing_lines.length > 0 && (
        <table className="compact" aria-label="Time entries priced">
          <thead>
            <tr>
              <th scope="col">Ticket</th>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Type</th>
              <th scope="col">Worked / billed min</th>
              <th scope="col">Class</th>
              <th scope="col">Amount</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {draft.billing_lines.map((b, i) => (
              <tr key={`${b.entry_id}-${i}`}>
                <td>
                  <a href={`/tickets/${b.ticket_number}`} onClick={followLink}>
                    #{b.ticket_number}
                  </a>
                </td>
                <td>{formatWhen(b.started_at)}</td>
                <td>{nameOf(agents, b.agent_id)}</td>
                <td>
                  {b.work_type}
                  {b.out_of_hours && " (out of hours)"}
                </td>
                <td>
                  {b.worked_minutes} / {b.billed_minutes}
                </td>
                <td>
                  <span className={`bill bill-${b.billing_class}`}>{CLASS[b.billing_class]}</span>
                </td>
                <td>{b.amount}</td>
                <td className="muted">{b.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
