import { createRoot } from "react-dom/client";
import { configureApi } from "../shared/api";
import { loadConfig } from "../shared/config";
import "../shared/base.css";
import "./portal.css";
import { PortalApp, tokens } from "./PortalApp";

const root = createRoot(document.getElementById("root") as HTMLElement);
loadConfig()
  .then((config) => {
    configureApi({
      apiBase: config.apiBase,
      token: () => tokens.get(),
      onUnauthorized: () => {
        tokens.clear();
        window.location.reload();
      },
    });
    root.render(<PortalApp config={config} />);
  })
  .catch((error: unknown) => root.render(<p role="alert">Cannot start: {String(error)}</p>));
