import v8 from "node:v8";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";

// Node 20's V8 aborts the whole process ("Fatal error … unreachable code" in
// Deoptimizer::DoComputeBuiltinContinuation) when it lazily deoptimizes an optimized function into
// which TurboFan inlined a JS→Wasm call, e.g. after row objects of a new shape reach the code that
// calls Cedar. Seen on every 100,000-decision replay here; never with this flag off. It only stops
// TurboFan inlining JS→Wasm calls (Cedar's calls stay as fast: the cost is inside Wasm).
v8.setFlagsFromString("--no-turbo-inline-js-wasm-calls");

export { cedar };
