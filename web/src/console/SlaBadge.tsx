import { useNow } from "../shared/clock";
import type { SlaState } from "../shared/types";
import { slaBadge } from "./logic/sla";

export function SlaBadge({ state, dueAt }: { state: SlaState | null; dueAt: string | null }) {
  const now = useNow();
  const badge = slaBadge(state, dueAt, now);
  if (!badge) return <span className="muted">No SLA</span>;
  return (
    <span
      className={`sla sla-${badge.state}`}
      title={dueAt ? `Due ${new Date(dueAt).toLocaleString()}` : undefined}
    >
      {badge.label}
    </span>
  );
}
