// Lanyard's API front (test/lanyard-api-server.ts) as a process of its own, for scripts that must not
// share a CPU's event loop with it (the gateway benchmark): prints "LANYARD <url>", stops on SIGTERM.
import { startLanyardApi } from "./lanyard-api-server";

const api = await startLanyardApi();
process.stdout.write(`LANYARD ${api.url}\n`);
const stop = () => void api.stop().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
