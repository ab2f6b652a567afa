import { describe, expect, it } from "vitest";
import { parsePortalPath } from "./paths";

describe("parsePortalPath", () => {
  it.each([
    ["/portal/", null, "/portal/", { page: "list" }],
    ["/portal", null, "/portal/", { page: "list" }],
    ["/portal/new", null, "/portal/", { page: "new" }],
    ["/portal/tickets/42", null, "/portal/", { page: "ticket", number: 42 }],
    ["/portal/harbour/", "harbour", "/portal/harbour/", { page: "list" }],
    ["/portal/harbour", "harbour", "/portal/harbour/", { page: "list" }],
    ["/portal/cl_9f/tickets/7", "cl_9f", "/portal/cl_9f/", { page: "ticket", number: 7 }],
    ["/portal/harbour/new", "harbour", "/portal/harbour/", { page: "new" }],
    ["/portal/tickets/abc", null, "/portal/", { page: "unknown" }],
    ["/portal/harbour/elsewhere", "harbour", "/portal/harbour/", { page: "unknown" }],
  ])("%s", (path, clientKey, base, route) => {
    expect(parsePortalPath(path)).toEqual({ clientKey, base, route });
  });
});
