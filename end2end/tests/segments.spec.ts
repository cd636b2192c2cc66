import { expect, Locator, Page, test } from "@playwright/test";
import { ADMIN, signIn, VIEWER, waitForHydration } from "./session";

const SEGMENT = "Received, not opened";

/** The name and landing page of a stopped campaign whose data is hot. */
async function availableCampaign(page: Page): Promise<{ name: string; href: string }> {
  await page.goto("/campaigns?status=stopped&state=available");
  const link = page.locator("table.messages tbody tr .row-link").first();
  const name = (await link.innerText()).trim();
  const href = (await link.getAttribute("href"))!;
  expect(href).toMatch(/^\/messages\/\d+$/);
  return { name, href };
}

/** Chooses a message in a filter row's picker by typing its name. */
async function chooseMessage(row: Locator, name: string) {
  const picker = row.getByRole("combobox", { name: "Message", exact: true });
  await picker.fill(name);
  const exact = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
  const option = row.getByRole("option").filter({ has: row.page().locator(".option-name", { hasText: exact }) });
  await expect(option).toBeVisible();
  await option.click();
  await expect(picker).toHaveValue(name);
  await expect(row.getByTestId("picker-meta")).toContainText("Campaign");
}

test("an admin builds a segment, sees its exact count live, and saves it", async ({ page }) => {
  await signIn(page, ADMIN);
  const campaign = await availableCampaign(page);
  await page.goto("/segments");
  await waitForHydration(page);
  await page.getByRole("link", { name: "New segment" }).click();
  await expect(page).toHaveURL(/\/segments\?segment=new$/);
  const editor = page.getByTestId("segment-editor");
  await editor.getByLabel("Name", { exact: true }).fill(SEGMENT);

  // Group 1: received the campaign.
  const first = editor.getByTestId("filter").nth(0);
  await expect(first.getByLabel("Filter", { exact: true })).toHaveValue("received");
  await expect(editor.getByTestId("count-waiting")).toContainText("Choose a message in group 1, filter 1");
  await chooseMessage(first, campaign.name);
  await expect(editor.getByTestId("count-value")).toHaveText(/^\d[\d,]*$/);
  const received = Number((await editor.getByTestId("count-value").innerText()).replace(/,/g, ""));

  // AND group 2: did NOT open it.
  await editor.getByRole("button", { name: "+ And group" }).click();
  const second = editor.getByTestId("filter-group").nth(1).getByTestId("filter");
  await second.getByLabel("Filter", { exact: true }).selectOption({ label: "Opened message" });
  await chooseMessage(second, campaign.name);
  await second.getByText("Not", { exact: true }).click();
  await expect(second.getByRole("checkbox", { name: /^Not/ })).toBeChecked();

  // The count follows: fewer people received it and did not open it.
  await expect
    .poll(async () => Number((await editor.getByTestId("count-value").innerText()).replace(/,/g, "")))
    .toBeLessThan(received);
  await expect(editor.getByTestId("count-value")).toHaveText(/^\d[\d,]*$/);

  await editor.getByRole("button", { name: "Save segment" }).click();
  await expect(page).toHaveURL(/\/segments\?segment=\d+$/);
  await expect(page.getByTestId("notice")).toHaveText(`Saved “${SEGMENT}”.`);
  const row = page.getByTestId("segment-list").locator("tr", { hasText: SEGMENT });
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId("segment-count")).toHaveText(/^\d[\d,]*/);
  // Reopened from the server, the builder shows what was saved.
  await page.reload();
  await waitForHydration(page);
  const saved = page.getByTestId("segment-editor");
  await expect(saved.getByTestId("filter")).toHaveCount(2);
  await expect(saved.getByRole("combobox", { name: "Message", exact: true }).nth(1)).toHaveValue(campaign.name);
  await expect(saved.getByTestId("segment-users")).toBeVisible();
});

test("an invalid filter shows the engine's reason at the row", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto("/segments?segment=new");
  await waitForHydration(page);
  const editor = page.getByTestId("segment-editor");
  const row = editor.getByTestId("filter").first();
  await row.getByLabel("Filter", { exact: true }).selectOption({ label: "Last engaged with any message" });
  await row.getByLabel("Days ago").fill("0");
  await expect(editor.getByTestId("filter-error")).toHaveText(
    "Group 1, filter 1: within_days must be 1 to 3650.",
  );
  await expect(row.getByRole("alert")).toHaveText("within_days must be 1 to 3650.");
  await expect(row).toHaveClass(/invalid/);

  await row.getByLabel("Days ago").fill("30");
  await expect(editor.getByTestId("filter-error")).toHaveCount(0);
  await expect(editor.getByTestId("count-value")).toHaveText(/^\d[\d,]*$/);
});

test("a viewer sees segments and their counts, but no way to change them", async ({ page }) => {
  await signIn(page, VIEWER, "/segments");
  await waitForHydration(page);
  await expect(page.getByRole("link", { name: "New segment" })).toHaveCount(0);
  const row = page.getByTestId("segment-list").locator("tr", { hasText: SEGMENT });
  await expect(row.getByTestId("segment-count")).toHaveText(/^\d[\d,]*/);
  await row.getByRole("link", { name: SEGMENT }).click();
  const editor = page.getByTestId("segment-editor");
  await expect(editor.getByTestId("audience-words")).toContainText("did not open");
  await expect(editor.getByTestId("count-value")).toHaveText(/^\d[\d,]*$/);
  await expect(editor.getByRole("button", { name: "Save segment" })).toHaveCount(0);
  await expect(editor.getByRole("button", { name: "Delete segment" })).toHaveCount(0);
  await expect(editor.getByTestId("builder")).toHaveCount(0);
});

test("an editor gives a campaign an audience from its landing page", async ({ page }) => {
  await signIn(page, ADMIN);
  const campaign = await availableCampaign(page);
  await page.goto(campaign.href);
  await waitForHydration(page);
  const audience = page.getByTestId("audience");
  await expect(audience.getByRole("heading", { name: "Audience" })).toBeVisible();
  await expect(audience.getByTestId("audience-words")).toHaveText(
    "No retargeting filters: everyone is in the audience.",
  );
  await expect(audience.getByTestId("count-value")).toHaveText(/^\d[\d,]*$/);

  await audience.getByRole("button", { name: "Edit audience" }).click();
  await audience.getByRole("button", { name: "+ And group" }).click();
  const row = audience.getByTestId("filter").first();
  await row.getByLabel("Filter", { exact: true }).selectOption({ label: "Last engaged with any message" });
  await row.getByLabel("When", { exact: true }).selectOption({ label: "more than" });
  await row.getByLabel("Days ago").fill("7");
  await audience.getByRole("checkbox", { name: new RegExp(SEGMENT) }).check();
  await expect(audience.getByTestId("count-value")).toHaveText(/^\d[\d,]*$/);
  await audience.getByRole("button", { name: "Save audience" }).click();

  await expect(audience.getByTestId("audience-saved")).toHaveText("Audience saved.");
  await expect(audience.getByTestId("audience-words")).toContainText(
    "last engaged with any message more than 7 days ago",
  );
  await expect(audience.getByTestId("audience-words")).toContainText(`In the segment ${SEGMENT}`);

  // The segment's row now says which message uses it.
  await page.goto("/segments");
  const listed = page.getByTestId("segment-list").locator("tr", { hasText: SEGMENT });
  await expect(listed).toContainText(campaign.name);
});

/** The name of the `n`th campaign listed under `query`. */
async function campaignName(page: Page, query: string, n = 0): Promise<string> {
  await page.goto(`/campaigns?${query}`);
  return (await page.locator("table.messages tbody tr .row-link").nth(n).innerText()).trim();
}

test("a count that needs expired data says so, and restores it in one click", async ({ page }) => {
  await signIn(page, ADMIN);
  const expired = await campaignName(page, "state=expired", 0);
  await page.goto("/segments?segment=new");
  await waitForHydration(page);
  const editor = page.getByTestId("segment-editor");
  await chooseMessage(editor.getByTestId("filter").first(), expired);
  const warning = editor.getByTestId("incomplete");
  await expect(warning).toContainText(
    `This count is incomplete: 1 message's data is in long-term storage: ${expired}.`,
  );
  await warning.getByRole("button", { name: "Restore these" }).click();
  await expect(warning.getByTestId("restore-queued")).toContainText(/Restore queued \(batch #\d+\) for 1 message\./);
  await expect(warning.getByRole("button", { name: "Restore these" })).toBeDisabled();
});

test("an active campaign's audience that names expired data queues its restore", async ({ page }) => {
  await signIn(page, ADMIN);
  const expired = await campaignName(page, "state=expired", 1);
  await page.goto("/campaigns?status=active");
  const active = page.locator("table.messages tbody tr .row-link").first();
  const href = (await active.getAttribute("href"))!;
  await page.goto(href);
  await waitForHydration(page);
  const audience = page.getByTestId("audience");
  await audience.getByRole("button", { name: "Edit audience" }).click();
  await audience.getByRole("button", { name: "+ And group" }).click();
  await chooseMessage(audience.getByTestId("filter").first(), expired);
  await expect(audience.getByTestId("incomplete")).toContainText(expired);
  await audience.getByRole("button", { name: "Save audience" }).click();
  await expect(audience.getByTestId("audience-saved")).toHaveText(
    /^Audience saved\. Restore queued \(batch #\d+\): it names expired data, and this campaign is active\.$/,
  );
  await expect(audience.getByTestId("audience-words")).toContainText(`received “${expired}”`);
});
