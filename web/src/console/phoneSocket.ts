// The screen-pop channel: one WebSocket per console (locally /api/ws, in AWS the WebSocket
// API), opened again after a drop with a growing pause, kept alive with "ping".
import { useEffect, useRef, useState } from "react";
import type { AppConfig } from "../shared/config";

/** "ready": the server said hello (local mode), so pushes for this agent reach us; the AWS
 * WebSocket API says nothing on connect, so there the socket is only ever "open". */
export type SocketStatus = "off" | "connecting" | "open" | "ready" | "closed" | "refused";

const PING_MS = 5 * 60_000; // under API Gateway's 10-minute idle timeout
const MAX_PAUSE_MS = 30_000;

/** The socket's address with the token; null where there is none to connect to (in AWS the
 * deployment names it in config.json; locally the API serves it at /api/ws). */
export function screenPopUrl(
  config: AppConfig,
  token: string,
  location: Pick<Location, "protocol" | "host">,
): string | null {
  let base = config.screenPopUrl;
  if (base === null && config.auth === "dev") {
    base = config.apiBase
      ? `${config.apiBase.replace(/^http/, "ws")}/api/ws`
      : `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/ws`;
  }
  if (base === null) return null;
  return `${base}${base.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
}

export function usePhoneSocket(
  url: string | null,
  onMessage: (data: Record<string, unknown>) => void,
): SocketStatus {
  const [status, setStatus] = useState<SocketStatus>("connecting");
  const handler = useRef(onMessage);
  useEffect(() => {
    handler.current = onMessage;
  });

  useEffect(() => {
    if (!url) {
      setStatus("off");
      return undefined;
    }
    let socket: WebSocket | null = null;
    let stopped = false;
    let pause = 1000;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let ping: ReturnType<typeof setInterval> | undefined;

    const open = (): void => {
      setStatus("connecting");
      socket = new WebSocket(url);
      socket.onopen = () => setStatus((seen) => (seen === "ready" ? seen : "open"));
      socket.onmessage = (event: MessageEvent) => {
        if (typeof event.data !== "string") return;
        try {
          const data: unknown = JSON.parse(event.data);
          if (typeof data !== "object" || data === null) return;
          const message = data as Record<string, unknown>;
          if (message.type === "hello") {
            pause = 1000;
            setStatus("ready");
          } else handler.current(message);
        } catch {
          // not ours
        }
      };
      socket.onclose = (event: CloseEvent) => {
        clearInterval(ping);
        if (stopped) return;
        if (event.code === 4401 || event.code === 4403) {
          setStatus("refused"); // a new sign-in brings a new token and a new socket
          return;
        }
        setStatus("closed");
        retry = setTimeout(open, pause);
        pause = Math.min(MAX_PAUSE_MS, pause * 2);
      };
      ping = setInterval(() => {
        if (socket?.readyState === WebSocket.OPEN) socket.send("ping");
      }, PING_MS);
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      clearInterval(ping);
      socket?.close();
    };
  }, [url]);
  return status;
}
