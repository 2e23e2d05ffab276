// Reconcile in a real browser: an OpenAI costs page imported through the API
// (a batch job the demo never instrumented), the page explains it and draws
// its daily chart, an admin shows the gap as uninstrumented, and Explore's
// invoice basis then has it as a row of its own.
import { test, expect } from '@playwright/test';

import { signIn } from './helpers';

const adminKey = process.env.BURSAR_E2E_ADMIN_KEY ?? '';

test('reconcile explains an imported bill and an admin sets its true-up', async ({ page }) => {
  expect(adminKey, 'scripts/test.sh sets BURSAR_E2E_ADMIN_KEY').not.toBe('');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const day = new Date(Date.now() - 2 * 86_400_000);
  day.setUTCHours(0, 0, 0, 0);
  const start = Math.floor(day.getTime() / 1000);
  const date = day.toISOString().slice(0, 10);
  const month = date.slice(0, 7);
  const costs = {
    object: 'page',
    has_more: false,
    next_page: null,
    data: [{ object: 'bucket', start_time: start, end_time: start + 86_400, results: [
      { object: 'organization.costs.result', amount: { value: 12.5, currency: 'usd' }, line_item: 'gpt-4.1-nano, input', project_id: 'proj_batch' },
    ] }],
  };
  const resp = await page.request.post('/api/v1/bills/import?source=openai', {
    headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' },
    data: JSON.stringify(costs),
  });
  expect(resp.status()).toBe(200);
  expect((await resp.json()).totals).toEqual([{ currency: 'USD', billed: '12.50' }]);

  await signIn(page, `/reconcile?month=${month}`);
  await expect(page.getByTestId('reconcile-headline')).toContainText('$12.50');
  await expect(page.getByTestId('reconcile-daily')).toHaveAttribute('data-chart', 'drawn');
  await expect(page.getByTestId('reconcile-findings')).toContainText('gpt-4.1-nano');

  const form = page.getByTestId('true-up-openai');
  await form.locator('select').selectOption('uninstrumented');
  await form.getByRole('button', { name: 'Set' }).click();
  await expect(page.getByTestId('true-up-openai').locator('select')).toHaveValue('uninstrumented');

  await page.goto(`/explore?period=custom&from=${date}&to=${date}&by=team&basis=invoice`);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.getByText('(uninstrumented)').first()).toBeVisible();
  expect(errors).toEqual([]);
});
