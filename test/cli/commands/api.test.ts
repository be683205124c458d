import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import twilio from "twilio";
import { afterEach, describe, expect, it } from "vitest";
import { defaultAccountSid } from "../../../src/twilio/simulator/options.ts";
import { type LongRunning, startCli } from "../../support/cli.ts";
import { testDatabaseUrl } from "../../support/database.ts";

/** The auth token every simulator shared before each installation generated its own. */
const FORMER_FIXED_TOKEN = "00000000000000000000000000simulator";
const PUBLIC_BASE_URL = "http://switchboard.test";
const WARNING =
  "Twilio webhooks are verified with the local simulator's auth token (no TWILIO_ACCOUNT_SID " +
  "set): real Twilio callbacks will be refused, and forging one takes the secret in the file " +
  "named here. Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to take real callbacks.";

const running: LongRunning[] = [];
const folders: string[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((process) => process.stop("SIGKILL")));
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** `switchboard api` without Twilio credentials, its local secrets in a folder of its own. */
async function startApi(env: Record<string, string> = {}) {
  const installation = await mkdtemp(path.join(tmpdir(), "switchboard-installation-"));
  folders.push(installation);
  const process = startCli(["api"], {
    DATABASE_URL: testDatabaseUrl(),
    PORT: "0",
    PUBLIC_BASE_URL,
    RECORDING_STORAGE_DIR: path.join(installation, "recordings"),
    TWILIO_ACCOUNT_SID: "",
    TWILIO_AUTH_TOKEN: "",
    TWILIO_SIMULATOR_URL: "",
    ...env,
  });
  running.push(process);
  const listening = await process.waitForLog("API listening");
  return {
    process,
    url: String(listening.url),
    tokenFile: path.join(installation, "simulator.token"),
  };
}

function callStatus(url: string, authToken: string, callSid: string) {
  const params = { CallSid: callSid, CallStatus: "ringing", SequenceNumber: "1" };
  const path = "/webhooks/twilio/call-status";
  return fetch(url + path, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-twilio-signature": twilio.getExpectedTwilioSignature(
        authToken,
        PUBLIC_BASE_URL + path,
        params,
      ),
    },
    body: new URLSearchParams(params).toString(),
  });
}

describe("switchboard api without Twilio credentials", () => {
  it("verifies webhooks with the installation's simulator token only, and warns that it does", async () => {
    const { process, url, tokenFile } = await startApi({
      TWILIO_SIMULATOR_URL: "http://127.0.0.1:9",
    });
    const forged = await callStatus(url, FORMER_FIXED_TOKEN, "CA0000000000000000000000000000f01d");
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe(
      "invalid_signature",
    );
    const token = (await readFile(tokenFile, "utf8")).trim();
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    const genuine = await callStatus(url, token, "CA0000000000000000000000000000600d");
    expect(genuine.status).toBe(204);
    expect(await process.waitForLog(WARNING, 1_000)).toMatchObject({
      level: "warn",
      file: tokenFile,
    });
  });

  it("runs its simulator with the same token, refusing the former fixed one", async () => {
    const { process, tokenFile } = await startApi();
    const simulator = String(
      (await process.waitForLog("Twilio: the local simulator (no TWILIO_ACCOUNT_SID set)"))
        .simulator,
    );
    const token = (await readFile(tokenFile, "utf8")).trim();
    const listCalls = (authToken: string) =>
      fetch(`${simulator}/2010-04-01/Accounts/${defaultAccountSid}/Calls.json`, {
        headers: {
          authorization: `Basic ${Buffer.from(`${defaultAccountSid}:${authToken}`).toString("base64")}`,
        },
      });
    expect((await listCalls(FORMER_FIXED_TOKEN)).status).toBe(401);
    expect((await listCalls(token)).status).toBe(200);
    expect(await process.waitForLog(WARNING, 1_000)).toMatchObject({ level: "warn" });
  });
});
