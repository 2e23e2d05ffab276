// An admin adds an alias in the taxonomy, applies it to stored calls, and
// sees two Explore rows (two spellings of one workflow) merge into one.
import { test, expect } from '@playwright/test';
import { signIn, key } from './helpers';

test('an alias merges two spellings of a workflow in Explore', async ({ page }) => {
  test.setTimeout(90_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const now = Date.now();
  const events = ['E2E-Merge', 'e2e_merge', 'e2e_merge'].map((workflow, i) => ({
    id: `e2e-merge-${now}-${i}`,
    timestamp: new Date(now - (i + 1) * 60_000).toISOString(),
    model: 'gpt-4o',
    input_tokens: 1000,
    output_tokens: 100,
    tags: { team: 'e2e-team', workflow },
  }));
  const sent = await page.request.post('/api/v1/events', { headers: { Authorization: `Bearer ${key}` }, data: { events } });
  expect(sent.status()).toBe(200);

  await signIn(page, '/explore?period=7d&by=workflow');
  const table = page.getByTestId('explore-table');
  await expect(table.getByRole('link', { name: 'E2E-Merge', exact: true })).toBeVisible();
  await expect(table.getByRole('link', { name: 'e2e_merge', exact: true })).toBeVisible();

  await page.goto('/taxonomy');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  // The demo organisation already has a workflow rule; edit it (or add one on a bare store).
  const card = page.locator('[data-testid="rule"][data-key="workflow"]');
  const form = page.getByTestId('rule-form');
  if (await card.count()) {
    await card.getByTestId('edit-rule').click();
  } else {
    await page.getByTestId('new-rule').click();
    await form.locator('input[name="key"]').fill('workflow');
    await form.locator('select[name="policy"]').selectOption('accept');
  }
  const aliases = form.getByTestId('aliases');
  const existing = await aliases.inputValue();
  await aliases.fill(`${existing ? existing + '\n' : ''}E2E-Merge => e2e-merge\ne2e_merge => e2e-merge`);
  await form.getByTestId('save-rule').click();
  await expect(card).toContainText('e2e_merge => e2e-merge');
  await expect(card.getByTestId('seen-value').filter({ has: page.getByText('E2E-Merge', { exact: true }) })).toContainText('→ e2e-merge');

  await page.getByTestId('apply-taxonomy').click();
  await expect(page.getByTestId('job').first()).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('job').first()).toContainText('moved 3 calls');
  await page.screenshot({ path: 'test-results/taxonomy.png', fullPage: true });

  await page.goto('/explore?period=7d&by=workflow');
  const merged = page.getByTestId('explore-table').getByRole('link', { name: 'e2e-merge', exact: true });
  await expect(merged).toBeVisible();
  await expect(merged.locator('xpath=ancestor::tr')).toContainText('3');
  await expect(page.getByTestId('explore-table').getByRole('link', { name: 'E2E-Merge', exact: true })).toHaveCount(0);
  await expect(page.getByTestId('explore-table').getByRole('link', { name: 'e2e_merge', exact: true })).toHaveCount(0);

  // The change is in the audit log, and the price catalog page lists the models.
  await page.goto('/audit?kind=taxonomy');
  await expect(page.getByTestId('audit-row').first()).toContainText('taxonomy.apply');
  await page.screenshot({ path: 'test-results/audit.png', fullPage: true });
  await page.goto('/prices');
  await expect(page.locator('[data-testid="model-row"][data-model="gpt-4o"]')).toBeVisible();
  await page.screenshot({ path: 'test-results/prices.png', fullPage: true });
  expect(errors).toEqual([]);
});
