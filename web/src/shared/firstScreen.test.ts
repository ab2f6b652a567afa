import { afterEach, describe, expect, it, vi } from "vitest";

afterEach(() => {
  vi.useRealTimers();
  vi.resetModules();
});

describe("afterFirstScreen", () => {
  it("waits for the first screen, then runs once", async () => {
    vi.useFakeTimers();
    const { afterFirstScreen, markFirstScreenShown } = await import("./firstScreen");
    const task = vi.fn();
    afterFirstScreen(task, 5000);
    vi.advanceTimersByTime(1000);
    expect(task).not.toHaveBeenCalled();
    markFirstScreenShown();
    markFirstScreenShown();
    vi.advanceTimersByTime(10_000);
    expect(task).toHaveBeenCalledTimes(1);
  });

  it("runs after the longest wait when no screen says it is up, and not once cancelled", async () => {
    vi.useFakeTimers();
    const { afterFirstScreen } = await import("./firstScreen");
    const late = vi.fn();
    const cancelled = vi.fn();
    afterFirstScreen(late, 5000);
    afterFirstScreen(cancelled, 5000)();
    vi.advanceTimersByTime(5000);
    expect(late).toHaveBeenCalledTimes(1);
    expect(cancelled).not.toHaveBeenCalled();
  });

  it("runs at once (next microtask) when the screen is already up", async () => {
    const { afterFirstScreen, markFirstScreenShown } = await import("./firstScreen");
    markFirstScreenShown();
    const task = vi.fn();
    afterFirstScreen(task);
    await Promise.resolve();
    expect(task).toHaveBeenCalledTimes(1);
  });
});
