// Drives /api/docs in headless Chromium (playwright-core) for tests/system/test_api_reference_page.py.
//
// Input: one JSON argument {base, chromium, token, operations, operation: {id, hash, path}, models}.
// Output: one JSON object on stdout with what the page did; the Python test asserts on it. The token
// is never printed (only whether the request carried it).
import { chromium } from "playwright-core";

const input = JSON.parse(process.argv[2]);
const started = Date.now();
const result = {
  consoleErrors: [],
  pageErrors: [],
  requests: [],
  failedRequests: [],
  errorResponses: [],
  steps: [],
};
const step = (name) => result.steps.push(`${name} at ${Date.now() - started} ms`);
const TIMEOUT = 30_000;

const args = typeof process.getuid === "function" && process.getuid() === 0 ? ["--no-sandbox"] : [];
const browser = await chromium.launch({ executablePath: input.chromium, args });
try {
  const context = await browser.newContext();
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") result.consoleErrors.push(message.text().slice(0, 500));
  });
  page.on("pageerror", (error) => result.pageErrors.push(String(error).slice(0, 500)));
  page.on("request", (request) => {
    result.requests.push(`${request.method()} ${request.url()}`);
    if (new URL(request.url()).pathname === input.operation.path) {
      result.authorizationSent = request.headers().authorization === `Bearer ${input.token}`;
    }
  });
  page.on("requestfailed", (request) =>
    result.failedRequests.push(`${request.url()}: ${request.failure()?.errorText}`),
  );
  page.on("response", (response) => {
    if (response.status() >= 400) result.errorResponses.push(`${response.status()} ${response.url()}`);
  });
  // Every CSP violation, whether or not Chromium also logs it to the console.
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) =>
      window.__cspViolations.push(`${event.effectiveDirective} blocked ${event.blockedURI || event.sample}`),
    );
  });

  // A deep link to one operation: the page must open with that operation expanded.
  const response = await page.goto(`${input.base}/api/docs${input.operation.hash}`);
  result.pageStatus = response.status();
  result.csp = response.headers()["content-security-policy"] ?? null;
  step("page loaded");
  const operations = page.locator("#swagger-ui .opblock-tag-section .opblock");
  try {
    await page.waitForFunction(
      (expected) => document.querySelectorAll("#swagger-ui .opblock-tag-section .opblock").length >= expected,
      input.operations,
      { timeout: TIMEOUT },
    );
  } catch (error) {
    result.renderError = String(error).slice(0, 300);
  }
  result.operationsShown = await operations.count();
  result.loadMs = Date.now() - started;
  step(`${result.operationsShown} operations rendered`);
  const operation = page.locator(`#${input.operation.id}`);
  result.deepLinkOpened = await operation.evaluate((node) => node.classList.contains("is-open"));

  // Authorize with a bearer token, then "Try it out" on the operation.
  const authorize = page.locator(".scheme-container button.authorize");
  result.authorizeButtons = await authorize.count();
  await authorize.first().click();
  const bearer = page.locator(".dialog-ux .auth-container", { hasText: "bearerAuth" });
  await bearer.locator("input").fill(input.token);
  await bearer.locator("button.authorize").click();
  result.authorizedText = (await bearer.innerText()).includes("Authorized");
  await page.locator(".dialog-ux button.btn-done").first().click();
  step("authorized");
  await operation.locator("button.try-out__btn").click();
  await operation.locator("button.execute").click();
  const live = operation.locator(".live-responses-table");
  await live.locator("tbody .response-col_status").waitFor();
  result.tryIt = {
    status: (await live.locator("tbody .response-col_status").first().innerText()).trim(),
    body: (await live.locator(".response-col_description .highlight-code").first().innerText()).slice(0, 2000),
    duration: (await operation.locator("h5:text-is('Request duration') + pre").innerText()).trim(),
  };
  result.hashAfter = new URL(page.url()).hash;
  step(`tried ${input.operation.path}`);

  // Schemas: each model expanded ("Expand all"): its text and the property names it shows.
  result.models = {};
  for (const name of Object.keys(input.models)) {
    const model = page.locator("section.models article[data-json-schema-level='0']", {
      has: page.locator(".json-schema-2020-12-head .json-schema-2020-12__title", { hasText: new RegExp(`^${name}$`) }),
    });
    await model.locator(".json-schema-2020-12-head .json-schema-2020-12-expand-deep-button").first().click();
    await model.locator(".json-schema-2020-12-body").first().waitFor();
    result.models[name] = {
      text: await model.innerText(),
      // The names of the properties shown, nested ones included (from "Expand all").
      fields: await model
        .locator(".json-schema-2020-12-property .json-schema-2020-12__title")
        .evaluateAll((nodes) => nodes.map((node) => node.textContent.trim())),
    };
  }
  step("models expanded");

  result.localStorageKeys = await page.evaluate(() => Object.keys(window.localStorage));
  result.cspViolations = await page.evaluate(() => window.__cspViolations);
  result.origin = new URL(input.base).origin;
} catch (error) {
  result.error = String(error).slice(0, 2000);
} finally {
  await browser.close();
}
result.seconds = (Date.now() - started) / 1000;
process.stdout.write(JSON.stringify(result));
