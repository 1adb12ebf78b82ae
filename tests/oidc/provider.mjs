// A real OpenID provider for the tests: Node's `oidc-provider` (OpenID-certified), configured
// for the console's sign-in. Started by the tests, it listens on 127.0.0.1 only and prints one
// line of JSON when ready: {"issuer": "...", "jwks_uri": "..."}. It stops on SIGTERM, and with
// --watch-stdin also when its standard input closes (so it never outlives the Rust test that
// started it).
//
//   node provider.mjs [--port 0] [--audience onconet] [--ttl 3600] [--watch-stdin]
//
// Clients: `onconet-console` (confidential, client_secret_basic with the secret
// `test-secret`) and `onconet-public` (public, PKCE only). Both are registered as native
// clients so that any loopback port is an allowed redirect (RFC 8252 §7.3): the tests' servers
// bind free ports.
//
// Sign-in uses the provider's development interactions: any password, and the login names the
// account as `role` or `role@org`, e.g. `ros_adviser@demo-ros`, `iknl_staff`. Access tokens are
// JWTs (RS256) for the API's audience that carry `roles`, `org` and `name`, which is what the
// API checks; first-party clients are not asked for consent.

import Provider, { errors } from "oidc-provider";

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const PORT = Number(option("port", "0"));
const AUDIENCE = option("audience", "onconet");
const TTL = Number(option("ttl", "3600"));
// The resource indicator (RFC 8707) the access tokens are for; their `aud` is AUDIENCE.
const RESOURCE = "urn:onconet:api";
const REDIRECTS = ["http://127.0.0.1/console/callback"];
const ROLES = new Set(["ros_adviser", "iknl_staff", "admin"]);

/** The account a login names: `role` or `role@org`. */
function account(id) {
  const [role, org] = String(id).split("@");
  if (!ROLES.has(role)) return undefined;
  return {
    roles: [role],
    org: org || undefined,
    name: `Test ${role.replace("_", " ")}${org ? ` (${org})` : ""}`,
  };
}

const configuration = {
  clients: [
    {
      client_id: "onconet-console",
      client_secret: "test-secret",
      application_type: "native",
      redirect_uris: REDIRECTS,
      token_endpoint_auth_method: "client_secret_basic",
    },
    {
      client_id: "onconet-public",
      application_type: "native",
      redirect_uris: REDIRECTS,
      token_endpoint_auth_method: "none",
    },
  ],
  pkce: { required: () => true },
  claims: { openid: ["sub"], profile: ["name", "roles", "org"] },
  async findAccount(_ctx, sub) {
    const found = account(sub);
    if (!found) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...found }) };
  },
  async extraTokenClaims(_ctx, token) {
    const found = account(token.accountId);
    if (!found) return undefined;
    // The API requires `nbf` (DESIGN §5); the provider does not set it by itself.
    return { roles: found.roles, org: found.org, name: found.name, nbf: Math.floor(Date.now() / 1000) };
  },
  // First-party clients: the grant is given without a consent page.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const existing = await ctx.oidc.provider.Grant.find(grantId);
      if (existing) return existing;
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope("openid profile");
    grant.addResourceScope(RESOURCE, "console");
    await grant.save();
    return grant;
  },
  features: {
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo(_ctx, resource) {
        if (resource !== RESOURCE) throw new errors.InvalidTarget();
        return {
          scope: "console",
          audience: AUDIENCE,
          accessTokenTTL: TTL,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "RS256" } },
        };
      },
    },
  },
  ttl: { AccessToken: TTL, IdToken: TTL, Session: TTL, Grant: TTL, Interaction: 600 },
};

const server = (await import("node:http")).createServer();
await new Promise((resolve) => server.listen(PORT, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
const provider = new Provider(issuer, configuration);
// The tests' servers reach the provider over plain HTTP on loopback.
provider.proxy = false;
server.on("request", provider.callback());
console.log(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));

const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
if (process.argv.includes("--watch-stdin")) {
  process.stdin.on("end", stop);
  process.stdin.resume();
}
