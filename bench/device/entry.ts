// The entry point bench/device/pack.sh bundles: what bin/trainc.js does, without the TypeScript loader.
import { main } from "../../compiler/cli.ts";

process.exitCode = await main(process.argv.slice(2));
