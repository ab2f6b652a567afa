// A client's look in the portal: its name, logo and two colours.
import { get } from "../shared/api";
import type { Branding } from "../shared/types";

export interface PortalBrand {
  clientId: string | null;
  name: string;
  logoUrl: string | null;
  primary: string;
  accent: string;
}

const COLOUR = /^#[0-9a-fA-F]{6}$/;

export const NEUTRAL: PortalBrand = {
  clientId: null,
  name: "Support portal",
  logoUrl: null,
  primary: "#1f6feb",
  accent: "#0d1117",
};

export function brandOf(clientId: string, clientName: string, branding: Branding): PortalBrand {
  return {
    clientId,
    name: branding.display_name || clientName,
    logoUrl: branding.logo_url,
    primary: COLOUR.test(branding.primary_colour) ? branding.primary_colour : NEUTRAL.primary,
    accent: COLOUR.test(branding.accent_colour) ? branding.accent_colour : NEUTRAL.accent,
  };
}

/** Text colour that reads on `hex`: dark on light backgrounds, white on dark ones. */
export function readableOn(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#111111" : "#ffffff";
}

export function applyBrand(brand: PortalBrand): void {
  const style = document.documentElement.style;
  style.setProperty("--brand", brand.primary);
  style.setProperty("--brand-text", readableOn(brand.primary));
  style.setProperty("--brand-accent", brand.accent);
  document.title = brand.name;
}

/**
 * The branding shown before sign-in, by host name or by the client named in the path. It asks
 * the public branding endpoint; where the API has none (or does not know the client), the
 * portal stays neutral until sign-in brings the client's branding with the person.
 */
export async function publicBrand(clientKey: string | null): Promise<PortalBrand | null> {
  const query = clientKey ? { client: clientKey } : { host: window.location.hostname };
  try {
    const out = await get<{ client_id: string; client_name: string; branding: Branding }>(
      "/portal/api/branding",
      query,
    );
    return brandOf(out.client_id, out.client_name, out.branding);
  } catch {
    return null;
  }
}
