// Explore in a real browser: group by workflow, drill into a workflow and
// then a task, export the CSV and check it sums to the page's total.
import { test, expect } from '@playwright/test';
import { signIn, nanos } from './helpers';

test('explore groups, drills to a task and exports what it shows', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, '/explore?period=90d');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.getByTestId('explore-chart')).toHaveAttribute('data-chart', 'drawn');

  // Group by workflow.
  await page.getByTestId('group-by').selectOption('workflow');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/by=workflow/);
  const table = page.getByTestId('explore-table');
  const row = table.getByRole('link', { name: 'bug-triage', exact: true });
  await expect(row).toBeVisible();
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.waitForTimeout(1200);
  await page.screenshot({ path: 'test-results/explore-1440.png' });

  // Drill into bug-triage: it becomes a filter, and the calls below are its calls.
  await row.click();
  await expect(page).toHaveURL(/f=workflow%3Abug-triage/);
  await expect(page.locator('.chip')).toContainText('workflow = bug-triage');
  const taskLink = page.getByTestId('task-link').first();
  await expect(taskLink).toBeVisible();
  const taskId = (await taskLink.textContent()) ?? '';
  expect(taskId).toContain('bug-triage');

  // The CSV of this view sums to the total on the page, to the nano-dollar.
  const shown = BigInt((await page.getByTestId('explore-total').getAttribute('data-nanos')) ?? '-1');
  const csvHref = (await page.getByTestId('export-csv').getAttribute('href')) ?? '';
  const csv = await (await page.request.get(csvHref)).text();
  const lines = csv.trim().split('\n');
  const col = lines[0].split(',').indexOf('cost_usd');
  const sum = lines.slice(1).reduce((s, l) => s + nanos(l.split(',')[col]), 0n);
  expect(sum).toBe(shown);

  // Into the task: its calls in order, with the loop count.
  await taskLink.click();
  await expect(page).toHaveURL(new RegExp(`/tasks/${taskId}`));
  await expect(page.getByTestId('task-loops')).not.toHaveText('0');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: 'test-results/task-phone.png', fullPage: true });
  expect(errors).toEqual([]);
});
