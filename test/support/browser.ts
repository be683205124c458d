/**
 * A real browser for dashboard tests: Debian's Chromium driven by playwright-core (which never
 * downloads a browser of its own). `CHROMIUM_PATH` names another binary. Every browser launched
 * here is closed after the file.
 *
 * @example
 * const browser = await launchBrowser();
 * const { page, expectNoErrors } = await newPage(browser, server.baseUrl);
 * await page.goto("/dashboard");
 * expectNoErrors();
 */
import { constants } from "node:fs";
import { access, mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll } from "vitest";

export const defaultChromiumPath = "/usr/bin/chromium";

/** Below vitest's test timeout, so a wait that never ends fails naming what it waited for. */
const actionTimeoutMs = 10_000;

const browsers: Browser[] = [];
afterAll(async () => {
  await Promise.all(browsers.splice(0).map((browser) => browser.close()));
});

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? defaultChromiumPath;
}

/** Launches headless Chromium; throws saying how to install it when the binary is missing. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  try {
    await access(executablePath, constants.X_OK);
  } catch {
    throw new Error(
      `Browser tests need Chromium, and there is none at ${executablePath}. Install Debian's ` +
        "(`sudo apt-get update && sudo apt-get install -y chromium`), or set CHROMIUM_PATH " +
        "to a Chromium binary.",
    );
  }
  const browser = await chromium.launch({
    executablePath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  browsers.push(browser);
  return browser;
}

export interface TestPage {
  page: Page;
  context: BrowserContext;
  /** What went wrong in the page so far: console errors, uncaught exceptions, failed requests. */
  errors: string[];
  /** Throws listing `errors`, less those matching one of `allowed`. */
  expectNoErrors(allowed?: RegExp[]): void;
}

/**
 * A page in a fresh context (its own cookies) whose relative URLs resolve against `baseUrl`,
 * recording what goes wrong in it.
 */
export async function newPage(browser: Browser, baseUrl: string): Promise<TestPage> {
  const context = await browser.newContext({ baseURL: baseUrl });
  context.setDefaultTimeout(actionTimeoutMs);
  context.setDefaultNavigationTimeout(actionTimeoutMs);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const { url, lineNumber } = message.location();
    errors.push(`console error: ${message.text()}${url ? ` (${url}:${lineNumber})` : ""}`);
  });
  page.on("pageerror", (error) => errors.push(`uncaught in page: ${error.stack ?? error.message}`));
  page.on("requestfailed", (request) => {
    const failure = request.failure()?.errorText ?? "failed";
    // Leaving a page aborts what it still loads (an event stream, say): not a fault.
    if (failure === "net::ERR_ABORTED") return;
    errors.push(`request failed: ${request.method()} ${request.url()}: ${failure}`);
  });
  return {
    page,
    context,
    errors,
    expectNoErrors(allowed = []) {
      const unexpected = errors.filter((error) => !allowed.some((pattern) => pattern.test(error)));
      if (unexpected.length > 0) {
        throw new Error(`the page reported errors:\n${unexpected.join("\n")}`);
      }
    },
  };
}

const screenshotsDir = new URL("../../docs/screenshots/", import.meta.url);

/**
 * Takes a PNG of the page (so a page that cannot be drawn fails the test). With `SCREENSHOTS=1`
 * it is saved as docs/screenshots/<name>.png, the README's pictures; otherwise it is dropped, so
 * a test run leaves the working tree as it was. Returns the path, or null when not saved.
 */
export async function saveScreenshot(page: Page, name: string): Promise<string | null> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new Error(`screenshot name ${JSON.stringify(name)} must be lowercase kebab-case`);
  }
  const png = await page.screenshot({ type: "png", fullPage: true });
  if (png.length === 0) throw new Error(`the screenshot "${name}" is empty`);
  if (process.env.SCREENSHOTS !== "1") return null;
  await mkdir(screenshotsDir, { recursive: true });
  const file = fileURLToPath(new URL(`${name}.png`, screenshotsDir));
  await writeFile(file, png);
  return file;
}
