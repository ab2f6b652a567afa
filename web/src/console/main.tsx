import { createRoot } from "react-dom/client";
import { configureApi } from "../shared/api";
import { loadConfig } from "../shared/config";
import "../shared/base.css";
import "./console.css";
import { ConsoleApp, tokens } from "./ConsoleApp";

const root = createRoot(document.getElementById("root") as HTMLElement);
loadConfig()
  .then((config) => {
    configureApi({
      apiBase: config.apiBase,
      token: () => tokens.get(),
      // An expired or revoked token: start again from sign-in.
      onUnauthorized: () => {
        tokens.clear();
        window.location.reload();
      },
    });
    root.render(<ConsoleApp config={config} />);
  })
  .catch((error: unknown) => root.render(<p role="alert">Cannot start: {String(error)}</p>));
