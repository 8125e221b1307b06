// A real OpenID Connect provider (panva/oidc-provider) for DQ Hub's browser tests, on loopback.
// Environment: PORT, REDIRECT_URI (DQ Hub's /oauth2callback), CLIENT_SECRET, and
// OIDC_GROUPS = JSON {"login name": ["group", ...]} - the groups claim each test person gets.
// Its development sign-in form takes any login name (with any password), like a company IdP
// that knows every employee; the groups decide what DQ Hub grants.
import Provider from "oidc-provider";

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const groups = JSON.parse(process.env.OIDC_GROUPS || "{}");

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "dqhub",
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: [process.env.REDIRECT_URI],
      post_logout_redirect_uris: [process.env.REDIRECT_URI],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: `${id}@example.com`, name: `Test ${id}`, groups: groups[id] || [] };
      },
    };
  },
  claims: { openid: ["sub"], email: ["email"], profile: ["name"], groups: ["groups"] },
  conformIdTokenClaims: false, // the groups go into the identity token, which st.user reads
  pkce: { required: () => false },
  cookies: { keys: ["dqhub-test-only"] },
  features: { devInteractions: { enabled: true } },
});
provider.proxy = false;
provider.listen(port, "127.0.0.1", () => console.log(`oidc-provider listening on ${issuer}`));
