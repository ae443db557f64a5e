// graphql-codegen: typed documents for the example operations (and yours), from the
// gateway's exported SDL. `npm ci && npm run codegen` writes generated/.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["operations/*.graphql"],
  generates: {
    "generated/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        // The gateway's custom scalars: DateTime is an ISO-8601 string in UTC, Long a
        // 64-bit integer (a JSON number).
        scalars: { DateTime: "string", Long: "number" },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
  ignoreNoDocuments: false,
  // ES modules: relative imports with their .js extension.
  emitLegacyCommonJSImports: false,
};

export default config;
