#!/usr/bin/env node
// trainc's command-line entry: registers the TypeScript loader (tsx) and runs compiler/cli.ts.
// Invariant: no logic here; everything lives in compiler/cli.ts so `npx trainc` and `npm run trainc` behave the same.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../compiler/cli.ts");
process.exitCode = await main(process.argv.slice(2));
