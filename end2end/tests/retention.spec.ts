import { expect, Page, test } from "@playwright/test";
import { ADMIN, signIn, VIEWER, waitForHydration } from "./session";

/** The landing page of a stopped campaign whose data is still hot. */
async function availableCampaign(page: Page): Promise<string> {
  await page.goto("/campaigns?status=stopped&state=available");
  const href = await page.locator("table.messages tbody tr .row-link").first().getAttribute("href");
  expect(href).toMatch(/^\/messages\/\d+$/);
  return href!;
}

test("an admin keeps a campaign's data available and stops keeping it", async ({ page }) => {
  await signIn(page, ADMIN);
  const href = await availableCampaign(page);
  await page.goto(href);
  await waitForHydration(page);
  const banner = page.getByTestId("data-banner");
  await expect(banner).toHaveAttribute("data-state", "available");
  await expect(banner).toContainText(/Interaction data is available until \w{3} \d{1,2}, \d{4}/);

  // A day in the past is refused inline, and nothing changes.
  await banner.getByLabel("Until").fill("2001-01-01");
  await banner.getByRole("button", { name: "Keep data available" }).click();
  await expect(banner.getByRole("alert")).toHaveText("Pick today or a later day.");
  await expect(banner).toHaveAttribute("data-state", "available");

  await banner.getByLabel("Until").fill("");
  await banner.getByRole("button", { name: "Keep data available" }).click();
  await expect(banner).toHaveAttribute("data-state", "retained");
  await expect(banner.locator(".badge")).toHaveText("Retained");
  await expect(banner.getByTestId("retained-by")).toContainText("Kept available by a person until unpinned");

  // Keyboard only: focus the button and press Enter.
  const stop = banner.getByRole("button", { name: "Stop keeping" });
  await stop.focus();
  await page.keyboard.press("Enter");
  await expect(banner).toHaveAttribute("data-state", "available");
  await expect(banner.locator(".badge")).toHaveText("Available");
  await expect(banner).toContainText(/available until \w{3} \d{1,2}, \d{4}/);
  await expect(banner.getByRole("button", { name: "Keep data available" })).toBeEnabled();

  // Both show in the audit log, attributed to the person.
  await page.goto("/settings");
  const id = href.split("/").pop();
  const audit = page.locator("table.audit tbody");
  await expect(audit.locator("tr", { hasText: `message ${id} unpinned` })).toContainText(`user:${ADMIN}`);
  await expect(audit.locator("tr", { hasText: `message ${id} kept available until unpinned` })).toContainText(
    "message.pin",
  );
});

test("an admin changes the workspace's retention window and back", async ({ page }) => {
  await signIn(page, ADMIN, "/settings");
  await waitForHydration(page);
  const section = page.getByTestId("retention");
  await expect(section.getByRole("heading", { name: "Data retention" })).toBeVisible();
  await expect(section.getByTestId("retention-window")).toHaveText("3 months");
  const select = section.getByLabel("Keep the data of stopped messages available for");
  const save = section.getByRole("button", { name: "Save" });
  await expect(save).toBeDisabled();

  await select.selectOption({ label: "6 months" });
  await save.click();
  await expect(section.getByRole("status").filter({ hasText: "Saved" })).toHaveText(
    "Saved. Retention is now 6 months.",
  );
  await expect(section.getByTestId("retention-window")).toHaveText("6 months");
  await page.reload();
  await expect(page.getByTestId("retention-window")).toHaveText("6 months");

  await waitForHydration(page);
  await page.getByLabel("Keep the data of stopped messages available for").selectOption({ label: "3 months" });
  await page.getByTestId("retention").getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("retention-window")).toHaveText("3 months");
});

test("a viewer sees where the data stands but no buttons", async ({ page }) => {
  await signIn(page, VIEWER);
  const href = await availableCampaign(page);
  await page.goto(href);
  await waitForHydration(page);
  const banner = page.getByTestId("data-banner");
  await expect(banner).toHaveAttribute("data-state", "available");
  await expect(banner).toContainText("Interaction data is available until");
  await expect(banner.getByRole("button")).toHaveCount(0);

  await page.goto("/settings");
  await expect(page.getByTestId("retention-window")).toHaveText("3 months");
  await expect(page.getByTestId("retention")).toContainText("Only admins can change it.");
  await expect(page.getByTestId("retention").getByRole("combobox")).toHaveCount(0);
});
