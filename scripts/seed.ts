// Seeds the tool catalog always, and demo people and agents into an empty database when LANYARD_SEED_DEMO=1.
import { db } from "@/lib/db";
import { ensureSigningKey } from "@/lib/tokens/keys";
import { encryptWebhookSecrets } from "@/lib/webhooks/secret";
import { seedCatalog, seedDemo } from "../prisma/seed";

await seedCatalog(db());
await ensureSigningKey(db());
await encryptWebhookSecrets(db());
if (process.env.LANYARD_SEED_DEMO === "1") {
  const fresh = await seedDemo(db(), process.env.LANYARD_DEMO_PASSWORD ?? "lanyard-demo");
  process.stdout.write(fresh ? "[lanyard] demo data seeded\n" : "[lanyard] database not empty: demo seed skipped\n");
}
await db().$disconnect();
