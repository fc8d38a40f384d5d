// `trainc serve <dir> [--port N] [--host H]`: serves a wgsl bundle folder (trainc compile --target wgsl) over HTTP on
// localhost so a browser can open its page (ES modules and fetch need http://, not file://). A static file server:
// GET and HEAD of files inside the folder, with the content types the page needs; nothing else (a request URL that
// does not decode gets 400, anything else 404).
// Invariants: no path outside the folder is ever served (".." and absolute paths resolve inside it or get 404); the
// server runs until the process is stopped (Ctrl-C).
//
// Error codes defined here:
//   5030  the folder is not a wgsl bundle (no index.html and program.js)
//   5031  the port is in use or cannot be opened

import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fail } from "../diagnostics.ts";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".json": "application/json",
  ".safetensors": "application/octet-stream", ".bin": "application/octet-stream",
};

export interface ServeOptions {
  readonly port: number;
  readonly host: string;
}

/** The decoded path of a request URL; undefined when it does not decode (a malformed percent-escape). */
function requestPath(url: string | undefined): string | undefined {
  try {
    return decodeURIComponent(new URL(url ?? "/", "http://localhost").pathname);
  } catch {
    return undefined;
  }
}

/** Starts serving `dir`; resolves to the server once it listens (its address gives the port when `port` is 0). */
export async function startServer(dir: string, options: ServeOptions): Promise<Server> {
  const root = resolve(dir);
  if (!existsSync(join(root, "index.html")) || !existsSync(join(root, "program.js"))) {
    fail(5030, `${root} is not a wgsl bundle (it lacks index.html or program.js)`, `write one with trainc compile <config.yml> --target wgsl -o ${dir}`);
  }
  const server = createServer((request, response) => {
    const path = requestPath(request.url);
    if (path === undefined) {
      response.writeHead(400).end();
      return;
    }
    const file = normalize(join(root, path === "/" ? "index.html" : path));
    const stat = file.startsWith(root + sep) && existsSync(file) ? statSync(file) : undefined;
    if (!stat?.isFile() || !(request.method === "GET" || request.method === "HEAD")) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "content-length": stat.size });
    if (request.method === "HEAD") response.end();
    else createReadStream(file).on("error", () => response.destroy()).pipe(response);
  });
  await new Promise<void>((done, reject) => {
    server.once("error", (e) => reject(e));
    server.listen(options.port, options.host, () => done());
  }).catch((e: Error) => fail(5031, `cannot serve on ${options.host}:${options.port}: ${e.message}`, "pick another --port"));
  return server;
}

export async function serve(dir: string, options: ServeOptions): Promise<void> {
  const server = await startServer(dir, options);
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  process.stdout.write(`serving ${resolve(dir)} at http://${options.host}:${port}/ (open it in a browser with WebGPU; Ctrl-C stops)\n`);
  await new Promise<void>((done) => server.on("close", done));
}
