/**
 * Signing in and out. A browser signs in with an API token (the session then acts with the
 * token's scopes while the token is valid) or with a dashboard user's password
 * (`switchboard user create`). Both are audited as `session.sign_in` / `session.sign_out` with
 * who signed in. A sign-in posted from another site is refused (login CSRF).
 */
import { Hono } from "hono";
import { html } from "hono/html";
import { verifyApiToken } from "../api/auth/tokens.ts";
import type { AppEnv } from "../api/context.ts";
import { recordAudit } from "../control/audit.ts";
import type { DashboardDependencies } from "./dependencies.ts";
import { isCrossSite } from "./requestForgery.ts";
import { clearSessionCookie, setSessionCookie } from "./sessionCookie.ts";
import { type SessionOwner, sessionCreate, sessionEnd } from "./sessions.ts";
import { userSignIn } from "./users.ts";

/** Where to go after signing in: a dashboard path only, never another site. */
export function safeNext(value: string | undefined): string {
  if (!value || !/^\/dashboard(?:[/?#]|$)/.test(value) || value.includes("//")) return "/dashboard";
  return value;
}

function signInPage(options: { next: string; message?: string; username?: string }) {
  return html`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Sign in · Switchboard</title>
  <link rel="stylesheet" href="/dashboard/assets/app.css">
  <link rel="icon" href="/dashboard/assets/favicon.svg" type="image/svg+xml">
</head>
<body>
  <main class="sign-in" id="main">
    <h1>Sign in to Switchboard</h1>
    ${options.message ? html`<div class="flash error" role="alert">${options.message}</div>` : ""}
    <div class="panel">
      <form method="post" action="/dashboard/sign-in">
        <input type="hidden" name="next" value="${options.next}">
        <fieldset>
          <legend>With a user</legend>
          <label>Username <input name="username" autocomplete="username" value="${options.username ?? ""}"></label>
          <label>Password <input name="password" type="password" autocomplete="current-password"></label>
        </fieldset>
        <fieldset>
          <legend>Or with an API token</legend>
          <label>API token <input name="token" type="password" autocomplete="off" placeholder="sb_…"></label>
        </fieldset>
        <button type="submit" class="primary">Sign in</button>
      </form>
    </div>
    <p class="muted">Create a user with <code>switchboard user create</code>, or a token with
    <code>switchboard token create</code>.</p>
  </main>
</body>
</html>`;
}

export function signInRoutes({ db, logger, sessionLifetime }: DashboardDependencies) {
  const app = new Hono<AppEnv>();

  app.get("/sign-in", (c) => {
    const ended = c.req.query("ended") !== undefined;
    return c.html(
      signInPage({
        next: safeNext(c.req.query("next")),
        ...(ended ? { message: "Your session has ended. Sign in again." } : {}),
      }),
    );
  });

  app.post("/sign-in", async (c) => {
    if (isCrossSite(c)) return c.text("Cross-site sign-in refused", 403);
    const form = await c.req.parseBody();
    const field = (name: string) => {
      const value = form[name];
      return typeof value === "string" ? value.trim() : "";
    };
    const next = safeNext(field("next"));
    const username = field("username");
    let owner: SessionOwner | null = null;
    let actor = "";
    if (field("token")) {
      const check = await verifyApiToken(db, field("token"));
      if (check.outcome === "valid" && check.principal.tokenId !== null) {
        owner = { tokenId: check.principal.tokenId };
        actor = check.principal.name;
      }
    } else if (username && typeof form.password === "string") {
      const principal = await userSignIn(db, username, form.password);
      if (principal) {
        owner = { userId: principal.userId };
        actor = principal.name;
      }
    } else {
      return c.html(
        signInPage({ next, username, message: "Give a username and password, or an API token." }),
        400,
      );
    }
    if (!owner) {
      logger.warn(
        { username: username || undefined, token: !!field("token") },
        "dashboard sign-in refused",
      );
      return c.html(
        signInPage({
          next,
          username,
          message: "Wrong username or password, or an invalid API token.",
        }),
        401,
      );
    }
    const { secret } = await sessionCreate(db, owner, sessionLifetime, c.req.header("user-agent"));
    await recordAudit(db, {
      actor,
      requestId: c.get("requestId"),
      action: "session.sign_in",
      details: { method: "tokenId" in owner ? "api_token" : "password" },
      outcome: "signed_in",
    });
    setSessionCookie(c, secret, sessionLifetime);
    return c.redirect(next, 303);
  });

  app.post("/sign-out", async (c) => {
    const session = c.get("session");
    if (session) {
      await sessionEnd(db, session.id);
      await recordAudit(db, {
        actor: session.principal.name,
        requestId: c.get("requestId"),
        action: "session.sign_out",
        outcome: "signed_out",
      });
    }
    clearSessionCookie(c);
    return c.redirect("/dashboard/sign-in", 303);
  });

  return app;
}
