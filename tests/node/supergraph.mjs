// A supergraph of the gateway's subgraph and a small CRM subgraph, with Apollo's own tools:
// @apollo/composition composes the two SDLs, @apollo/gateway serves the supergraph, an
// @apollo/subgraph schema on @apollo/server is the CRM.
//
//   node supergraph.mjs compose <gateway-sdl-file>
//       prints {"supergraphSdl": ...} or {"errors": [...]} (exit 1)
//   node supergraph.mjs serve <gateway-sdl-file> <gateway-url> <cases-json-file>
//       prints {"url": ...} once the supergraph answers, and serves until stdin closes.
//       The client's x-api-key and authorization headers are forwarded to the gateway.
import { readFileSync } from "node:fs";
import { composeServices } from "@apollo/composition";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";

// The CRM stores contact IDs on its cases: a Contact it names by key, and a field of its
// own (Contact.supportCases) that the supergraph adds to the gateway's Contact.
const CRM_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.11", import: ["@key"])

  type Query {
    cases: [SupportCase!]!
  }

  type SupportCase @key(fields: "id") {
    id: ID!
    subject: String!
    contact: Contact
  }

  type Contact @key(fields: "id instanceId") {
    id: ID!
    instanceId: ID!
    supportCases: [SupportCase!]!
  }
`;

function compose(gatewaySdl, crmUrl = "http://crm.invalid/graphql", gatewayUrl = "http://gateway.invalid/graphql") {
  return composeServices([
    { name: "contacts", typeDefs: parse(gatewaySdl), url: gatewayUrl },
    { name: "crm", typeDefs: parse(CRM_SDL), url: crmUrl },
  ]);
}

// Apollo's logs go to stderr: stdout carries the one JSON line the test reads.
const logger = {
  debug: () => {},
  info: (...args) => console.error(...args),
  warn: (...args) => console.error(...args),
  error: (...args) => console.error(...args),
};

async function serve(gatewaySdl, gatewayUrl, cases) {
  const contactOf = (c) => ({ id: c.contactId, instanceId: c.instanceId });
  const crm = new ApolloServer({
    logger,
    plugins: [ApolloServerPluginInlineTraceDisabled()],
    schema: buildSubgraphSchema({
      typeDefs: parse(CRM_SDL),
      resolvers: {
        Query: { cases: () => cases },
        SupportCase: {
          __resolveReference: (ref) => cases.find((c) => c.id === ref.id),
          contact: contactOf,
        },
        Contact: {
          __resolveReference: (ref) => ref,
          supportCases: (contact) =>
            cases.filter((c) => c.contactId === contact.id && c.instanceId === contact.instanceId),
        },
      },
    }),
  });
  const { url: crmUrl } = await startStandaloneServer(crm, { listen: { host: "127.0.0.1", port: 0 } });

  const composed = compose(gatewaySdl, crmUrl, gatewayUrl);
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join("\n"));

  class Forwarding extends RemoteGraphQLDataSource {
    willSendRequest({ request, context }) {
      for (const name of ["x-api-key", "authorization"]) {
        const value = context.headers?.[name];
        if (value) request.http.headers.set(name, value);
      }
    }
  }
  const gateway = new ApolloGateway({
    logger,
    supergraphSdl: composed.supergraphSdl,
    buildService: ({ url }) => new Forwarding({ url }),
  });
  const server = new ApolloServer({ gateway, logger });
  const { url } = await startStandaloneServer(server, {
    listen: { host: "127.0.0.1", port: 0 },
    context: async ({ req }) => ({ headers: req.headers }),
  });
  process.stdout.write(JSON.stringify({ url }) + "\n");
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
}

const [mode, sdlFile, gatewayUrl, casesFile] = process.argv.slice(2);
const gatewaySdl = readFileSync(sdlFile, "utf8");
if (mode === "compose") {
  const composed = compose(gatewaySdl);
  const hints = (composed.hints ?? []).map((h) => h.toString());
  if (composed.errors) {
    process.stdout.write(JSON.stringify({ errors: composed.errors.map((e) => e.message), hints }) + "\n");
    process.exit(1);
  }
  process.stdout.write(JSON.stringify({ supergraphSdl: composed.supergraphSdl, hints }) + "\n");
} else if (mode === "serve") {
  await serve(gatewaySdl, gatewayUrl, JSON.parse(readFileSync(casesFile, "utf8")));
} else {
  process.stderr.write("usage: node supergraph.mjs compose|serve <gateway-sdl-file> ...\n");
  process.exit(2);
}
