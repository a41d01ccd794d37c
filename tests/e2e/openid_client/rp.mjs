// A relying party built on panva's openid-client (a certified OpenID Connect RP library), driven
// step by step by tests/e2e/test_openid_client.py.
//
//   node rp.mjs STEP < input.json > output.json
//
// STEP is one of auth-url, callback, refresh, logout-url. Each invocation does discovery again
// and one step; the state between steps (PKCE verifier, state, nonce, tokens) travels as JSON
// through the test. Every input carries the client's registration:
//   {"issuer": ..., "client_id": ..., "client_secret": ...}
//
// All of openid-client's checks stay at their strict defaults (issuer of discovery and of the
// authorization response, ID token iss/aud/azp/exp/iat/nonce and signature from the JWKS, PKCE,
// state, userinfo sub). The only relaxation is allowInsecureRequests: the provider under test
// is plain http on loopback. On failure the error is printed to stderr as JSON, exit code 1.

import { createHash } from "node:crypto";

import * as client from "openid-client";

const TIMEOUT_SECONDS = 20;

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString("utf8");
  return text.trim() ? JSON.parse(text) : {};
}

function required(input, ...names) {
  for (const name of names) {
    if (typeof input[name] !== "string" || input[name] === "") {
      throw new TypeError(`input is missing "${name}"`);
    }
  }
}

async function configure(input) {
  required(input, "issuer", "client_id", "client_secret");
  // The timeout (seconds) applies to discovery and stays on the configuration for every request.
  return client.discovery(
    new URL(input.issuer),
    input.client_id,
    // The provider signs this client's ID tokens with ES256 (its default): accept nothing else.
    { client_secret: input.client_secret, id_token_signed_response_alg: "ES256" },
    // `idp clients create` registers client_secret_basic by default; openid-client would default
    // to client_secret_post, which the provider refuses for a client_secret_basic client.
    client.ClientSecretBasic(input.client_secret),
    { execute: [client.allowInsecureRequests], timeout: TIMEOUT_SECONDS },
  );
}

function jwtHeader(token) {
  return JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString("utf8"));
}

// OIDC Core §3.1.3.8: openid-client (like oauth4webapi) does not check at_hash in the code
// flow, where it is optional; the script computes it (ES256: SHA-256, left half, base64url).
function atHash(accessToken) {
  const digest = createHash("sha256").update(accessToken, "ascii").digest();
  return digest.subarray(0, digest.length / 2).toString("base64url");
}

function describeTokens(tokens) {
  return {
    token_type: tokens.token_type ?? null,
    expires_in: tokens.expires_in ?? null,
    scope: tokens.scope ?? null,
    has_access_token: typeof tokens.access_token === "string",
    has_id_token: typeof tokens.id_token === "string",
    has_refresh_token: typeof tokens.refresh_token === "string",
  };
}

const steps = {
  // Discovery, a fresh PKCE verifier, state and nonce, and the authorization URL (with
  // `prompt` when the input has one).
  async "auth-url"(input) {
    required(input, "redirect_uri", "scope");
    const config = await configure(input);
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const parameters = {
      redirect_uri: input.redirect_uri,
      scope: input.scope,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state,
      nonce,
    };
    if (input.prompt) parameters.prompt = input.prompt;
    const url = client.buildAuthorizationUrl(config, parameters);
    return {
      authorization_url: url.href,
      server: {
        issuer: config.serverMetadata().issuer,
        end_session_endpoint: config.serverMetadata().end_session_endpoint ?? null,
      },
      code_verifier: codeVerifier,
      state,
      nonce,
    };
  },

  // The authorization response: checks (iss, state), code exchange with PKCE, ID token
  // validation (nonce required), then userinfo with the ID token's sub as expected subject.
  async callback(input) {
    required(input, "callback_url", "code_verifier", "state", "nonce");
    const config = await configure(input);
    const tokens = await client.authorizationCodeGrant(config, new URL(input.callback_url), {
      pkceCodeVerifier: input.code_verifier,
      expectedState: input.state,
      expectedNonce: input.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    return {
      ...describeTokens(tokens),
      id_token_header: jwtHeader(tokens.id_token),
      expected_at_hash: atHash(tokens.access_token),
      claims,
      userinfo,
      id_token: tokens.id_token,
      refresh_token: tokens.refresh_token ?? null,
    };
  },

  // The refresh token grant, then userinfo with the new access token (same expected sub).
  async refresh(input) {
    required(input, "refresh_token", "expected_subject");
    const config = await configure(input);
    const tokens = await client.refreshTokenGrant(config, input.refresh_token);
    const userinfo = await client.fetchUserInfo(
      config,
      tokens.access_token,
      input.expected_subject,
    );
    return {
      ...describeTokens(tokens),
      claims: tokens.claims() ?? null,
      userinfo,
      refresh_token: tokens.refresh_token ?? null,
    };
  },

  // RP-Initiated Logout 1.0: the end-session URL with id_token_hint, the registered
  // post_logout_redirect_uri and a state.
  async "logout-url"(input) {
    required(input, "id_token", "post_logout_redirect_uri", "state");
    const config = await configure(input);
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: input.id_token,
      post_logout_redirect_uri: input.post_logout_redirect_uri,
      state: input.state,
    });
    return { end_session_url: url.href };
  },
};

function describeError(error) {
  const described = {
    name: error?.name ?? "Error",
    code: error?.code ?? null,
    message: String(error?.message ?? error),
  };
  // ResponseBodyError / AuthorizationResponseError: the server's OAuth error.
  for (const key of ["error", "error_description", "status"]) {
    if (error?.[key] !== undefined) described[key] = error[key];
  }
  if (error?.cause !== undefined) {
    described.cause =
      error.cause instanceof Error ? describeError(error.cause) : structuredClone(error.cause);
  }
  return described;
}

const name = process.argv[2];
const step = Object.hasOwn(steps, name) ? steps[name] : undefined;
if (step === undefined) {
  process.stderr.write(`usage: node rp.mjs {${Object.keys(steps).join("|")}} < input.json\n`);
  process.exit(2);
}
try {
  const output = await step(await readStdin());
  process.stdout.write(JSON.stringify(output) + "\n");
} catch (error) {
  let text;
  try {
    text = JSON.stringify(describeError(error));
  } catch {
    text = JSON.stringify({ name: "Error", message: String(error) });
  }
  process.stderr.write(text + "\n");
  process.exitCode = 1;
}
