// panva's oidc-provider configured like the citizen-idp bench: one ES256 signing key, one
// confidential portal (client_secret_basic), JWT (ES256) access tokens, introspection,
// its in-memory storage, N workers through node's cluster. Run by `python -m bench`, which
// installs oidc-provider from the npm registry into a temporary folder beside this file's copy.
import cluster from "node:cluster";
import { generateKeyPairSync } from "node:crypto";
import Provider from "oidc-provider";

const port = Number(process.env.BENCH_PORT);
const workers = Number(process.env.BENCH_WORKERS || 2);

if (cluster.isPrimary) {
  // One key for every worker, as one provider on several workers must have.
  const jwk = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
  const key = JSON.stringify({ ...jwk, kid: "bench-es256", alg: "ES256", use: "sig" });
  for (let i = 0; i < workers; i += 1) cluster.fork({ BENCH_KEY: key });
} else {
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    jwks: { keys: [JSON.parse(process.env.BENCH_KEY)] },
    scopes: ["openid", "offline_access", "api"],
    clients: [
      {
        client_id: process.env.BENCH_CLIENT_ID,
        client_secret: process.env.BENCH_CLIENT_SECRET,
        grant_types: ["client_credentials"],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: "client_secret_basic",
        id_token_signed_response_alg: "ES256",
        scope: "api",
      },
    ],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => "urn:bench:api",
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: "api",
          audience: "urn:bench:api",
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "ES256" } },
        }),
      },
    },
  });
  provider.listen(port, "127.0.0.1");
}
