import { chromium } from "playwright-core";
const base = process.argv[2];
const csp = process.argv[3];
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
const page = await browser.newPage();
const log = [];
page.on("console", (m) => log.push(["console", m.type(), m.text().slice(0, 300)]));
page.on("pageerror", (e) => log.push(["pageerror", String(e)]));
await page.addInitScript(() => { window.__v = []; document.addEventListener("securitypolicyviolation", (e) => window.__v.push([e.violatedDirective, e.blockedURI, e.sample, e.sourceFile + ":" + e.lineNumber])); });
if (csp) await page.route("**/api/docs", async (route) => { const r = await route.fetch(); await route.fulfill({ response: r, headers: { ...r.headers(), "content-security-policy": csp } }); });
await page.goto(base + "/api/docs");
await page.waitForSelector(".opblock", { timeout: 20000 });
// expand a model
const art = page.locator("section.models article.json-schema-2020-12", { has: page.locator("strong.json-schema-2020-12__title", { hasText: /^ProjectCreate$/ }) }).first();
await art.locator("button.json-schema-2020-12-expand-deep-button").first().click();
await page.waitForTimeout(500);
console.log("model text:", (await art.innerText()).slice(0, 1500));
// expand an op
await page.locator("#operations-projects-create_project .opblock-summary-control").click();
await page.waitForTimeout(500);
await page.locator("#operations-projects-create_project").screenshot({ path: "/tmp/explore/op.png" });
console.log("url", page.url());
// authorize
await page.locator("button.authorize").first().click();
await page.waitForTimeout(300);
console.log("dialog:", (await page.locator(".dialog-ux").innerText()).slice(0, 600));
await page.locator(".dialog-ux").screenshot({ path: "/tmp/explore/auth.png" });
console.log(JSON.stringify(log, null, 1));
console.log("violations", JSON.stringify(await page.evaluate(() => window.__v)));
await browser.close();
