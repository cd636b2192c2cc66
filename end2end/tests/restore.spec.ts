import { expect, Locator, Page, test } from "@playwright/test";
import { ADMIN, signIn, VIEWER, waitForHydration } from "./session";

// The demo server's expiry pass at startup moves old stopped messages to
// long-term storage, so every run starts with expired campaigns and
// Canvases. Tests run in order against one server and pick fresh ones.

/** Saves a screenshot when RECALL_SCREENSHOTS names a directory. */
async function shot(target: Page | Locator, name: string) {
  const dir = process.env.RECALL_SCREENSHOTS;
  if (dir) await target.screenshot({ path: `${dir}/${name}.png` });
}

/** The landing page of the first expired message of a list. */
async function firstExpired(page: Page, list: "/campaigns" | "/canvases"): Promise<string> {
  await page.goto(`${list}?state=expired`);
  const href = await page.locator("table.messages tbody tr .row-link").first().getAttribute("href");
  expect(href).toMatch(/^\/messages\/\d+$/);
  return href!;
}

/** A tag of the first expired message of the list, by name. */
async function tagOfAnExpired(page: Page, list: string): Promise<string> {
  await page.goto(`${list}${list.includes("?") ? "&" : "?"}state=expired&sort=name&dir=asc`);
  const tag = await page.locator("table.messages tbody tr .tag").first().innerText();
  expect(tag).not.toBe("");
  return tag.trim();
}

/**
 * Opens `list` sorted by name (a restore changes last activity, not
 * names, so rows stay put) with pages one row short of everything, so
 * "select all matching" reaches beyond the page on screen.
 */
async function openShortPages(page: Page, list: string): Promise<string> {
  await page.goto(`${list}&sort=name&dir=asc`);
  const total = Number(await page.locator(".result-count").getAttribute("data-total"));
  const url = `${list}&sort=name&dir=asc&per_page=${Math.max(2, total - 1)}`;
  await page.goto(url);
  await waitForHydration(page);
  return url;
}

/** Ids of the rows on screen whose data is in long-term storage. */
async function expiredRowIds(page: Page): Promise<string[]> {
  const rows = page.locator('table.messages tbody tr:has([data-state="expired"])');
  const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-id") ?? ""));
  expect(ids.length).toBeGreaterThan(0);
  return ids;
}

function badgeOf(page: Page, id: string): Locator {
  return page.locator(`table.messages tbody tr[data-id="${id}"] .state-cell .badge`);
}

/** Select all matching, restore through the preview dialog, watch the badges. */
async function restoreAllMatching(page: Page, shots?: string) {
  const expired = await expiredRowIds(page);
  await page.getByTestId("select-page").check();
  const bar = page.getByTestId("bulk-bar");
  await expect(bar.getByTestId("selected-count")).toHaveText(/^\d+ \w+ selected$/);
  const total = Number(await page.locator(".result-count").getAttribute("data-total"));
  const onPage = await page.locator("table.messages tbody tr").count();
  if (total > onPage) {
    await bar.getByTestId("select-all-matching").click();
    await expect(bar.getByTestId("selected-count")).toHaveText(
      new RegExp(`^All ${total.toLocaleString("en-US")} matching \\w+ selected$`),
    );
  } else {
    await expect(bar.getByTestId("select-all-matching")).toHaveCount(0);
  }
  // Every row on the page shows as selected.
  await expect(page.locator('table.messages tbody input[type="checkbox"]:not(:checked)')).toHaveCount(0);

  await bar.getByRole("button", { name: "Restore interaction data" }).click();
  const dialog = page.getByRole("dialog", { name: "Restore interaction data" });
  await expect(dialog).toBeVisible();
  const preview = dialog.getByTestId("restore-preview");
  await expect(preview).toBeVisible();
  const messages = Number((await preview.getByTestId("preview-messages").innerText()).replace(/,/g, ""));
  expect(messages).toBeGreaterThanOrEqual(expired.length);
  await expect(preview).toContainText(/Events[\s\S]*Size[\s\S]*(bytes|KB|MB)[\s\S]*Time[\s\S]*about \d+/);
  if (shots) await shot(page, `${shots}-dialog`);

  // Escape closes it without queuing anything; it opens again the same.
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await bar.getByRole("button", { name: "Restore interaction data" }).click();
  await expect(dialog.getByTestId("preview-messages")).toHaveText(messages.toLocaleString("en-US"));

  await dialog.getByTestId("confirm-restore").click();
  await expect(dialog).toBeHidden();
  if (shots) await shot(page, `${shots}-restoring`);
  // The rows that were expired show the restore's progress at once (the
  // queued jobs), then their new state once the jobs have ended.
  const restoring = page.locator('table.messages tbody .state-cell [data-state="restoring"]');
  await expect(restoring).toHaveCount(expired.length);
  await expect(restoring.first()).toHaveText(/^Restoring \d+%$/);
  await expect(page.getByTestId("restore-queued")).toContainText(/Restore #\d+ queued for [\d,]+ messages?\./);
  for (const id of expired) {
    await expect(badgeOf(page, id)).toHaveAttribute("data-state", "available", { timeout: 20_000 });
    await expect(badgeOf(page, id)).toHaveText(/^Available until \w{3} \d{1,2}, \d{4}$/);
  }
  await expect(page.locator('table.messages tbody [data-state="expired"]')).toHaveCount(0);
}

test.describe.configure({ mode: "serial" });

test("an editor restores an expired campaign from its page and watches it come back", async ({ page }) => {
  await signIn(page, ADMIN);
  const href = await firstExpired(page, "/campaigns");
  await page.goto(href);
  await waitForHydration(page);
  const banner = page.getByTestId("data-banner");
  await expect(banner).toHaveAttribute("data-state", "expired");
  await expect(banner.getByTestId("data-banner-text")).toHaveText(
    /^Interaction data for this campaign expired on \w{3} \d{1,2}, \d{4} and is in long-term storage\.$/,
  );
  await shot(banner, "banner-expired");

  await banner.getByRole("button", { name: "Restore interaction data" }).click();
  const progress = banner.getByTestId("restore-progress");
  await expect(progress).toBeVisible();
  await expect(progress).toContainText(/^(Restoring… \d+%|Restored 100%) · [\d,]+ of [\d,]+ rows/);
  await expect(progress.getByRole("progressbar", { name: "Restore progress" })).toBeVisible();
  await shot(banner, "banner-restoring");

  // Without a reload, the page takes the new state.
  await expect(banner).toHaveAttribute("data-state", "available", { timeout: 20_000 });
  await expect(banner.getByTestId("data-banner-text")).toHaveText(/^Interaction data is available until \w{3} \d{1,2}, \d{4}\./);
  await expect(banner.getByRole("button", { name: "Keep data available" })).toBeVisible();
  await page.reload();
  await expect(page.getByTestId("data-banner")).toHaveAttribute("data-state", "available");
});

test("an editor restores every campaign with a tag from the list, across pages", async ({ page }) => {
  await signIn(page, ADMIN);
  const tag = await tagOfAnExpired(page, "/campaigns");
  // A lone tag: "all matching" is restored as that tag.
  await openShortPages(page, `/campaigns?tag=${encodeURIComponent(tag)}`);
  await expect(page.locator(`.chip[data-tag="${tag}"]`)).toHaveAttribute("aria-pressed", "true");
  await restoreAllMatching(page, "campaigns");

  // The filter stayed in the URL; other pages were restored too.
  expect(page.url()).toContain(`tag=${encodeURIComponent(tag)}`);
  await page.goto(`/campaigns?tag=${encodeURIComponent(tag)}&state=expired`);
  await expect(page.locator("table.messages tbody tr")).toHaveCount(0);
});

test("an editor restores the Canvases matching a tag and a status from the list", async ({ page }) => {
  await signIn(page, ADMIN);
  const tag = await tagOfAnExpired(page, "/canvases?status=stopped");
  // A tag and a status: "all matching" is collected as ids, page by page.
  await openShortPages(page, `/canvases?tag=${encodeURIComponent(tag)}&status=stopped`);
  await restoreAllMatching(page, "canvases");
  await page.goto(`/canvases?tag=${encodeURIComponent(tag)}&status=stopped&state=expired`);
  await expect(page.locator("table.messages tbody tr")).toHaveCount(0);
});

test("the list's filter, sort and page survive a reload, and a new filter clears the selection", async ({ page }) => {
  await signIn(page, ADMIN);
  const url = "/campaigns?status=stopped&sort=name&dir=asc&page=2&per_page=10";
  await page.goto(url);
  await waitForHydration(page);
  await expect(page.locator('select[name="status"]')).toHaveValue("stopped");
  const first = await page.locator("table.messages tbody tr .row-link").first().innerText();
  await page.locator("table.messages tbody tr").first().getByRole("checkbox").check();
  await expect(page.getByTestId("selected-count")).toHaveText("1 campaign selected");
  await page.reload();
  await waitForHydration(page);
  expect(page.url()).toContain(url);
  await expect(page.locator('select[name="status"]')).toHaveValue("stopped");
  await expect(page.locator("table.messages tbody tr .row-link").first()).toHaveText(first);
  await expect(page.locator(".pagination")).toContainText("Page 2 of");

  await page.locator("table.messages tbody tr").first().getByRole("checkbox").check();
  await page.getByLabel("Data state").selectOption("expired");
  await expect(page).toHaveURL(/state=expired/);
  await expect(page.getByTestId("bulk-bar")).toHaveCount(0);
});

test("a viewer sees restores but cannot start one", async ({ page }) => {
  await signIn(page, VIEWER);
  const href = await firstExpired(page, "/campaigns");
  // No checkboxes, no bulk restore.
  await expect(page.getByTestId("select-page")).toHaveCount(0);
  await expect(page.locator('table.messages tbody input[type="checkbox"]')).toHaveCount(0);

  await page.goto(href);
  await waitForHydration(page);
  const banner = page.getByTestId("data-banner");
  await expect(banner).toHaveAttribute("data-state", "expired");
  await expect(banner.getByRole("button")).toHaveCount(0);
  await expect(banner).toContainText("Editors can restore it.");

  // The server function refuses too.
  const id = Number(href.split("/").pop());
  const response = await page.request.post("/api/request_restore", {
    data: { request: { message_ids: [id] } },
    headers: { Origin: new URL(page.url()).origin },
  });
  expect(response.status()).toBe(403);
  expect(await response.text()).toContain("your role (viewer) cannot do this");

  // The restores list is readable, without retry buttons.
  await page.goto("/restores");
  await expect(page.getByTestId("restore-batch").first()).toBeVisible();
  await expect(page.getByRole("button", { name: /^Retry/ })).toHaveCount(0);

  // The outbox is for admins: not in the navigation, and the page says so.
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Outbox" })).toHaveCount(0);
  await page.goto("/outbox");
  await expect(page.getByTestId("forbidden")).toContainText("Only admins can read the outbox");
});

test("the Restores page lists each batch with its jobs", async ({ page }) => {
  await signIn(page, ADMIN, "/restores");
  await waitForHydration(page);
  const batches = page.getByTestId("restore-batch");
  // The three batches of the tests above, newest first.
  await expect(batches.nth(2)).toBeVisible();
  const newest = batches.first();
  await expect(newest).toHaveAttribute("data-state", "succeeded");
  await expect(newest.getByRole("heading", { level: 2 })).toHaveText(/^#\d+ · \d+ messages$/);
  await expect(newest).toContainText(ADMIN);
  await expect(newest.getByTestId("batch-summary")).toHaveText(/^\d+ restored( · \d+ skipped)?$/);
  const tagged = batches.nth(1);
  await expect(tagged.getByRole("heading", { level: 2 })).toHaveText(/^#\d+ · tag .+$/);
  // A big finished batch folds its jobs away until asked.
  const taggedJobs = tagged.locator("tbody tr");
  await expect(taggedJobs.first()).toBeHidden();
  await tagged.getByText(/^\d+ jobs$/).click();
  await expect(taggedJobs.first()).toBeVisible();
  await expect(taggedJobs.locator('[data-status="succeeded"]').first()).toBeVisible();
  const single = batches.nth(2);
  await expect(single.getByRole("heading", { level: 2 })).toHaveText(/^#\d+ · message \d+$/);
  const job = single.locator("tbody tr");
  await expect(job).toHaveCount(1);
  await expect(job).toHaveAttribute("data-status", "succeeded");
  await expect(job.getByRole("progressbar")).toHaveAttribute("value", "100");
  await expect(job).toContainText(/Restored[\s\S]*100%[\s\S]*([\d,]+) of \1 rows/);
  await shot(page, "restores");
});

test("the completion email reaches the admin's outbox", async ({ page }) => {
  await signIn(page, ADMIN, "/outbox");
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Outbox" })).toBeVisible();
  // Mail is written by a background pass every few seconds.
  const restoreMail = page.locator("table.outbox tbody tr", { hasText: /Recall: restore of message \d+ finished \(1 of 1 restored\)/ });
  await expect(async () => {
    await page.reload();
    await expect(restoreMail).toHaveCount(1, { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await expect(restoreMail).toContainText(ADMIN);
  await expect(page.locator("table.outbox tbody tr", { hasText: /Recall: restore of tag .+ finished/ })).toHaveCount(1);

  await waitForHydration(page);
  await restoreMail.getByRole("link").click();
  await expect(page).toHaveURL(/\/outbox\?file=.+\.eml$/);
  const mail = page.getByTestId("mail");
  await expect(mail.getByRole("heading", { level: 2 })).toHaveText(/Recall: restore of message \d+ finished/);
  await expect(mail.getByTestId("mail-body")).toContainText(/restored, [\d,]+ events available for retargeting/);
  await mail.getByText("Raw message (.eml)").click();
  await expect(mail.getByTestId("mail-raw")).toContainText(`To: ${ADMIN}`);
  await shot(page, "outbox");
});
