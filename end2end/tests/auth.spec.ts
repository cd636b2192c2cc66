import { expect, test } from "@playwright/test";
import { ADMIN, PASSWORD, VIEWER, signIn } from "./session";

test("a visitor is sent to sign in and comes back where they were going", async ({ page }) => {
  await page.goto("/canvases?tag=promo");
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByLabel("Email").fill(ADMIN);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/canvases\?tag=promo$/);
  await expect(page.getByTestId("viewer")).toContainText(ADMIN);
});

test("a wrong password is refused with a clear message", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(ADMIN);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");
});

test("an admin signs in, works, sees the audit log and signs out", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.locator("table.messages tbody tr .row-link").first().click();
  await expect(page.getByTestId("message-name")).toBeVisible();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
  await expect(page.locator("table.audit")).toContainText("session.signed_in");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/campaigns");
  await expect(page).toHaveURL(/\/login\?next=/);
});

test("a viewer does not see the audit log", async ({ page }) => {
  await signIn(page, VIEWER);
  await page.goto("/settings");
  await expect(page.getByText("The audit log is visible to admins.")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Audit log" })).toHaveCount(0);
});
