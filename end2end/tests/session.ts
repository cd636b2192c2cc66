import { expect, Page } from "@playwright/test";

export const ADMIN = "admin@demo.recall.dev";
export const VIEWER = "viewer@demo.recall.dev";
export const PASSWORD = "demo-password-123";

/** Signs in through the real form, as a person would. */
export async function signIn(page: Page, email: string, next = "/campaigns") {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(new RegExp(`${next.replace(/[?]/g, "\\\\?")}$`));
}

/** Waits until the WASM has hydrated the page (the app marks <body>). */
export async function waitForHydration(page: Page) {
  await page.locator('body[data-hydrated="true"]').waitFor({ state: "attached" });
}
