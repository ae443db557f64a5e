// graphql-http's server audits (GraphQL over HTTP conformance) against the URL given;
// prints one JSON array: [{id, name, status: "ok" | "warn" | "notice" | "error", reason}].
import { auditServer } from "graphql-http";

const url = process.argv[2];
const results = await auditServer({ url });
const report = results.map((r) => ({ id: r.id, name: r.name, status: r.status, reason: r.reason ?? null }));
process.stdout.write(JSON.stringify(report));
