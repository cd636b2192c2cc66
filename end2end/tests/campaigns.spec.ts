import { expect, test } from "@playwright/test";
import { signIn, ADMIN } from "./session";

test.beforeEach(async ({ page }) => {
  await signIn(page, ADMIN);
});

test("the Campaigns page is rendered on the server from the database", async ({ page }) => {
  const response = await page.request.get("/campaigns");
  expect(response.status()).toBe(200);
  const html = await response.text();
  // Rows come from SQLite in the first response, before any WASM runs.
  expect(html).toContain("<h1>Campaigns</h1>");
  expect(html).toMatch(/Showing 1–50 of \d+/);
  expect(html).toContain('href="/messages/');
});

test("changing the tag filter after hydration filters without a page load", async ({ page }) => {
  await page.goto("/campaigns");
  await waitForHydration(page);
  // A page load would wipe this marker; client-side navigation keeps it.
  await page.evaluate(() => ((window as any).__noReload = true));

  const total = await resultTotal(page);
  const chip = page.locator('.chip[data-tag="promo"]');
  await chip.click();

  await expect(page).toHaveURL(/\/campaigns\?tag=promo$/);
  await expect(page.locator('.chip[data-tag="promo"]')).toHaveAttribute("aria-pressed", "true");
  await expect.poll(() => resultTotal(page)).toBeLessThan(total);
  const rows = page.locator("table.messages tbody tr");
  const count = await rows.count();
  expect(count).toBeGreaterThan(0);
  for (let i = 0; i < count; i++) {
    await expect(rows.nth(i).locator(".tag", { hasText: /^promo$/ })).toHaveCount(1);
  }
  expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);
});

test("the filter state lives in the URL and survives a reload", async ({ page }) => {
  await page.goto("/campaigns?tag=promo&status=stopped&sort=name&dir=asc");
  await expect(page.locator('.chip[data-tag="promo"]')).toHaveAttribute("aria-pressed", "true");
  await expect(page.locator('select[name="status"]')).toHaveValue("stopped");
  const first = await page.locator("table.messages tbody tr").first().locator(".row-link").innerText();
  await page.reload();
  await expect(page.locator("table.messages tbody tr").first().locator(".row-link")).toHaveText(first);
});

test("a row leads to its landing page at a stable URL", async ({ page }) => {
  await page.goto("/campaigns");
  await waitForHydration(page);
  const link = page.locator("table.messages tbody tr .row-link").first();
  const name = await link.innerText();
  const href = await link.getAttribute("href");
  expect(href).toMatch(/^\/messages\/\d+$/);
  await link.click();
  await expect(page).toHaveURL(new RegExp(`${href}$`));
  await expect(page.getByTestId("message-name")).toHaveText(name);
  await expect(page.getByTestId("data-banner")).toBeVisible();

  // The same URL opened directly renders the same page.
  await page.goto(href!);
  await expect(page.getByTestId("message-name")).toHaveText(name);
});

test("the navigation reaches every section", async ({ page }) => {
  await page.goto("/campaigns");
  for (const [label, heading] of [
    ["Canvases", "Canvases"],
    ["Segments", "Segments"],
    ["Restores", "Restores"],
    ["Settings", "Settings"],
    ["Campaigns", "Campaigns"],
  ]) {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(heading);
  }
});

async function waitForHydration(page: import("@playwright/test").Page) {
  // The app marks <body> once the WASM has hydrated the page.
  await page.locator('body[data-hydrated="true"]').waitFor({ state: "attached" });
}

async function resultTotal(page: import("@playwright/test").Page): Promise<number> {
  const text = await page.locator(".result-count").innerText();
  const match = text.match(/of ([\d,]+)/);
  return match ? Number(match[1].replace(/,/g, "")) : -1;
}
