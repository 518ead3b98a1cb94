import { describe, it, expect } from "vitest";
import { parse } from "yaml";
import { renderScrapeConfig } from "./victoria-metrics.js";

describe("renderScrapeConfig (what make run's VictoriaMetrics scrapes)", () => {
  it("is a Prometheus scrape file: the global interval and one job of static targets", () => {
    expect(parse(renderScrapeConfig({ job: "nodeplane", targets: ["127.0.0.1:9464"], intervalS: 15 }))).toEqual({
      global: { scrape_interval: "15s" },
      scrape_configs: [{ job_name: "nodeplane", static_configs: [{ targets: ["127.0.0.1:9464"] }] }],
    });
  });

  it("takes IPv6 targets in brackets", () => {
    expect(renderScrapeConfig({ job: "nodeplane", targets: ["[::1]:9464"], intervalS: 15 })).toContain('"[::1]:9464"');
  });

  it.each([
    ["a target without a port", { job: "nodeplane", targets: ["127.0.0.1"], intervalS: 15 }, /expected host:port/],
    ["a target with a path", { job: "nodeplane", targets: ["127.0.0.1:9464/x\n- evil"], intervalS: 15 }, /expected host:port/],
    ["a job with a newline", { job: "node\nplane", targets: ["127.0.0.1:9464"], intervalS: 15 }, /expected a name/],
    ["no interval", { job: "nodeplane", targets: ["127.0.0.1:9464"], intervalS: 0 }, /whole seconds/],
  ])("refuses %s", (_what, scrape, message) => {
    expect(() => renderScrapeConfig(scrape)).toThrow(message);
  });
});
