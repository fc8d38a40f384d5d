// `trainc serve`'s static server: it serves the bundle's files with their content types, nothing outside the folder
// (404), survives a request URL that does not decode (400), and refuses a folder that is not a bundle (E5030).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { startServer } from "../../compiler/commands/serve.ts";

const dir = mkdtempSync(join(tmpdir(), "trainc-serve-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Status and content type of GET `path` (sent as written, not normalized by a URL parser). */
function get(port: number, path: string): Promise<{ status: number; type: string | undefined }> {
  return new Promise((done, reject) => {
    request({ host: "127.0.0.1", port, path }, (res) => {
      res.resume();
      res.on("end", () => done({ status: res.statusCode!, type: res.headers["content-type"] }));
    }).on("error", reject).end();
  });
}

test("serves the bundle, nothing outside it, and survives a malformed URL", async () => {
  const bundle = join(dir, "bundle");
  mkdirSync(bundle);
  writeFileSync(join(dir, "secret.txt"), "outside");
  writeFileSync(join(bundle, "index.html"), "<!doctype html>");
  writeFileSync(join(bundle, "program.js"), "export {};");
  const server = await startServer(bundle, { port: 0, host: "127.0.0.1" });
  const port = (server.address() as { port: number }).port;
  try {
    expect(await get(port, "/")).toEqual({ status: 200, type: "text/html; charset=utf-8" });
    expect(await get(port, "/program.js")).toEqual({ status: 200, type: "text/javascript; charset=utf-8" });
    expect((await get(port, "/../secret.txt")).status).toBe(404);
    expect((await get(port, "/%2e%2e/secret.txt")).status).toBe(404);
    expect((await get(port, "/%E0%A4%A")).status).toBe(400);
    expect((await get(port, "/")).status).toBe(200);
  } finally {
    server.close();
  }
});

test("a folder that is not a bundle is E5030", async () => {
  await expect(startServer(dir, { port: 0, host: "127.0.0.1" })).rejects.toMatchObject({ code: 5030 });
});
