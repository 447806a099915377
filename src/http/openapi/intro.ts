/**
 * The reference's opening page and its security schemes: what a reader needs before the first
 * request (which token, where it comes from, how to send it). Markdown, as the reference UI renders it.
 */

export const INFO_DESCRIPTION = `A multi-warehouse stock ledger that delivers every stock change as a signed webhook, in the
format each subscriber speaks.

**A first session.** The administrator creates an account (\`POST /api/v1/accounts\`) and hands its
token to the shop's ERP. The ERP creates a warehouse and a product, then posts documents: a receipt
of 12 units of \`TEE-RED-M\` into \`MAIN\`, a sale of 2, a transfer to the outlet. Every document is
atomic; stock is kept per **stock key** (warehouse, product, and optionally size, lot, expiry, serial
and location), and free stock (amount minus reserved) never goes below zero. Each change writes
events (\`GET /api/v1/events\`) and a delivery to every matching webhook subscription
(\`POST /api/v1/webhooks\`).

**Authentication.** Send a token as \`Authorization: Bearer <token>\`, or as the password of HTTP
Basic (the user name is ignored), which is what Kladana-style clients send. Which token does what, and
how to get each, is in the authentication panel (scheme \`bearer\`); the rules and threat model are in
\`docs/security.md\`.

**Requests.** JSON bodies are checked strictly: a wrong type or an unknown field is
\`400 VALIDATION_FAILED\` naming the field, and a refused request changes nothing. Every \`POST\`
takes an \`Idempotency-Key\` header, so a retried request is answered once (\`docs/api/idempotency.md\`).

**Errors** share one shape, \`{"error": {"code", "message", "details"?}}\`, with a stable \`code\` to
branch on (\`docs/api/errors.md\`); the Kladana-compatible routes answer in Kladana's own shape.

**Lists** page with \`limit\` and the cursor the previous page returned (\`nextCursor\`, or \`after\`
for the event log, outbound orders and stock items).`;

const ADMIN = `**Administrator token.** Creates and lists accounts, registers integrator applications, and
manages any account's tokens; it has no access to any account's ledger. Set it with
\`STOCKHOOK_ADMIN_TOKEN\` (at least 32 characters, from a secret store), or let the first start
generate one and show it once (\`docs/operations/configuration.md\`). It is not revoked through the
API: change the variable and restart.`;

const ACCOUNT = `**Account token** (\`shk_…\`), scoped \`write\` or \`read\`. The administrator's
\`POST /api/v1/accounts\` returns the account's first token, a \`write\` token named \`default\`.
A \`write\` token does everything within its account, including creating, rotating and revoking the
account's other tokens (\`POST /api/v1/tokens {"name": "dashboard", "scope": "read"}\`). A \`read\`
token may only \`GET\` and \`HEAD\`: anything else is \`403 INSUFFICIENT_SCOPE\`. Give the dashboard and
reporting tools \`read\` tokens. A revoked or rotated secret is refused by the very next request, in
every process.`;

const APPLICATION = `**Application token.** Issued when an account installs an integrator application
(\`POST /api/v1/applications/{id}/install\`, shown once). It may do what a \`write\` token may, except
install applications and manage tokens, and it sees only the webhook subscriptions it created.
Uninstalling the application revokes it.`;

const METRICS = `A Prometheus scraper may also send \`STOCKHOOK_METRICS_TOKEN\`, which opens \`GET /metrics\` only.`;

export const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description: ['Send the token as `Authorization: Bearer <token>`. Three kinds of token:', ADMIN, ACCOUNT, APPLICATION, METRICS].join('\n\n'),
  },
  basic: {
    type: 'http',
    scheme: 'basic',
    description:
      'HTTP Basic with any user name and the token as the password (`curl -u erp:$TOKEN`), for clients such as ' +
      "Kladana's that only speak Basic. The same tokens as the bearer scheme, with the same powers.",
  },
} as const;
