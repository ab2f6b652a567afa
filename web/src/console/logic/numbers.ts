/** Ticket numbers typed by a person: "12, 15 #18" -> [12, 15, 18]; null when anything else
 * is there. */
export function parseNumbers(text: string): number[] | null {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  const out: number[] = [];
  for (const part of parts) {
    const match = /^#?(\d{1,12})$/.exec(part);
    if (!match?.[1]) return null;
    const n = Number(match[1]);
    if (n < 1) return null;
    if (!out.includes(n)) out.push(n);
  }
  return out;
}
