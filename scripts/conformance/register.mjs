// node --import ./scripts/conformance/register.mjs node_modules/@modelcontextprotocol/conformance/dist/index.js …
// The suite's bundle imports globSync from "fs", which Node 22 has and Node 20 lacks: for the suite's own
// files only, "fs" resolves to node:fs plus glob's globSync (../shared/design/TOOLCHAIN.md).
import { register } from "node:module";

register("./hooks.mjs", import.meta.url);
