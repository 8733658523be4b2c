#!/usr/bin/env node
// @modelcontextprotocol/server-postgres with its connection URL from DATABASE_URL instead of its command
// line (where any local user could read it with ps). The gateway puts there the dynamic login the vault
// released for one session's lease. Without it (the gateway's own instance, which only lists the tools)
// it starts with an address that refuses, so every query fails.
const url = process.env.DATABASE_URL || "postgresql://127.0.0.1:1/no_credential";
delete process.env.DATABASE_URL;
process.argv.splice(2, process.argv.length - 2, url);
await import("@modelcontextprotocol/server-postgres/dist/index.js");
