// Apollo Client against the gateway, with the cache keys a contact needs.
//
//   npm ci && npm run build
//   node build/examples/apollo-client.js http://127.0.0.1:8000/graphql <contactId> [apiKey]
//
// Prints the contact and the cache's normalized keys as JSON.
import { ApolloClient, HttpLink, InMemoryCache } from "@apollo/client";
import type { TypedDocumentNode } from "@apollo/client";
import { ContactWithLinksDocument } from "../generated/graphql.js";
import type {
  ContactWithLinksQuery,
  ContactWithLinksQueryVariables,
} from "../generated/graphql.js";

export const typePolicies = {
  // A contact ID is unique within its instance only: select instanceId with id.
  Contact: { keyFields: ["instanceId", "id"] },
  // User IDs are unique: one cache entry per agent.
  Agent: { keyFields: ["id"] },
  // Per-contact records that carry the agent's or queue's ID: never merged across contacts.
  AgentInfo: { keyFields: false as const },
  QueueInfo: { keyFields: false as const },
  // Evaluation IDs are unique; a form's ID names every version of it.
  ContactEvaluation: { keyFields: ["id"] },
  EvaluationForm: { keyFields: ["id", "version"] },
  // Segment IDs are shared by a transcript's redacted and original text: never merged.
  TranscriptSegment: { keyFields: false as const },
  // Task template IDs are unique; a field's `id` is its name within one template only.
  TaskTemplate: { keyFields: ["id"] },
  TaskTemplateField: { keyFields: false as const },
  TaskTemplateDefaultFieldValue: { keyFields: false as const },
  RequiredFieldInfo: { keyFields: false as const },
  ReadOnlyFieldInfo: { keyFields: false as const },
  InvisibleFieldInfo: { keyFields: false as const },
  // The hours a queue's hours inherit from: their ID is unique.
  HoursOfOperationsIdentifier: { keyFields: ["id"] },
};

export function createClient(uri: string, apiKey?: string): ApolloClient {
  const headers: Record<string, string> = apiKey ? { "X-API-Key": apiKey } : {};
  return new ApolloClient({
    link: new HttpLink({ uri, headers }),
    cache: new InMemoryCache({ typePolicies }),
  });
}

const document: TypedDocumentNode<ContactWithLinksQuery, ContactWithLinksQueryVariables> =
  ContactWithLinksDocument;

async function main(argv: string[]): Promise<void> {
  const [uri, contactId, apiKey] = argv;
  if (!uri || !contactId) {
    throw new Error("usage: apollo-client.js <graphql URL> <contactId> [apiKey]");
  }
  const client = createClient(uri, apiKey);
  const result = await client.query({ query: document, variables: { contactId } });
  const contact = result.data?.contact;
  const keys = Object.keys(client.cache.extract() as Record<string, unknown>).sort();
  console.log(JSON.stringify({ contact, keys }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
