import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { db } from "@/lib/db";
import { readReceipt } from "@/lib/receipts/receipt";

export const GET = withApi(operations.getReceipt, async ({ caller, params, query }) => {
  const { receipt, jws } = await readReceipt(db(), caller, params.id);
  if (query.format === "jws") {
    return new Response(jws, { headers: { "content-type": "application/jose", "content-disposition": `attachment; filename="receipt-${params.id}.jws"` } });
  }
  return { receipt };
});
