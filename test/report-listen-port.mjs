// Preloaded into a server program started with PORT=0 (the MCP conformance fixture prints the port it was
// given, not the one it got): says on stderr which port each server listens on, so tests can use port 0.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  this.once("listening", () => {
    const a = this.address();
    if (a && typeof a === "object") process.stderr.write(`LISTENING ${a.port}\n`);
  });
  return listen.apply(this, args);
};
