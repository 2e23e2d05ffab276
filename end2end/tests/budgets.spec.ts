// A lead sets a budget with the form; ingest pushes spend past 80%; the
// alert appears once in the history and arrives once at a webhook receiver
// this test runs.
import { test, expect } from '@playwright/test';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { signIn, lead, key } from './helpers';

type Hook = { text: string; alert: { kind: string; threshold: number; budget_id: string } };

/** A local webhook receiver that keeps every body it is sent. */
async function receiver(): Promise<{ url: string; got: Hook[]; close: () => void }> {
  const got: Hook[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push(JSON.parse(body));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, got, close: () => server.close() };
}

test('a lead budgets with the form and the 80% alert fires once, to the webhook', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const hook = await receiver();
  const team = 'e2e-team';

  await signIn(page, '/budgets', lead);
  await page.getByTestId('new-budget').click();
  await expect(page).toHaveURL(/\/budgets\/new$/);
  const form = page.getByTestId('budget-form');
  await expect(form.getByLabel('Applies to (scope)')).toHaveValue(`team=${team}`);

  // Inline validation as it is typed, before anything is sent.
  await form.getByLabel('Amount (USD)').fill('0');
  await expect(form.locator('[data-field="amount"]')).toHaveText('must be more than zero');
  await form.getByLabel('Alert thresholds (% of the amount)').fill('80, 50');
  await expect(form.locator('[data-field="thresholds"]')).toContainText('ascending');

  // The server refuses a scope outside the lead's teams, beside the field.
  await form.getByLabel('Name').fill('E2E team, monthly');
  await form.getByLabel('Applies to (scope)').fill('team=search');
  await form.getByLabel('Amount (USD)').fill('10');
  await form.getByLabel('Alert thresholds (% of the amount)').fill('50, 80, 100');
  await form.getByTestId('save-budget').click();
  await expect(form.locator('[data-field="scope"]')).toContainText('you lead e2e-team');

  await form.getByLabel('Applies to (scope)').fill(`team=${team}`);
  await form.getByLabel('Webhook URL (optional)').fill(hook.url);
  await form.getByLabel(/Hard cap/).check();
  await page.screenshot({ path: 'test-results/budget-form.png', fullPage: true });
  await form.getByTestId('save-budget').click();
  await expect(page).toHaveURL(/\/budgets\/bgt_[0-9a-f]{12}$/);
  const budgetId = page.url().split('/').pop() ?? '';
  await expect(page.getByTestId('budget-name')).toHaveText('E2E team, monthly');

  // $8.50 of calls: past 50% and 80%, short of 100%. Sent twice: the replay changes nothing.
  const now = new Date().toISOString();
  const events = [4.25, 4.25].map((usd, i) => ({
    id: `e2e-${budgetId}-${i}`, timestamp: now, model: 'gpt-4o', input_tokens: 100, output_tokens: 10,
    cost: usd.toFixed(2), tags: { team, workflow: 'e2e' },
  }));
  for (let round = 0; round < 2; round++) {
    const resp = await page.request.post('/api/v1/events', {
      headers: { Authorization: `Bearer ${key}` },
      data: { events },
    });
    expect(resp.status()).toBe(200);
  }

  // The webhook receives the 50% and 80% alerts, once each.
  await expect.poll(() => hook.got.length, { timeout: 20_000 }).toBe(2);
  await page.waitForTimeout(2_500);
  const eighty = hook.got.filter((h) => h.alert.threshold === 80);
  expect(eighty).toHaveLength(1);
  expect(eighty[0].alert.budget_id).toBe(budgetId);
  expect(eighty[0].text).toContain('E2E team, monthly crossed 80%: $8.50 of $10.00');
  expect(hook.got).toHaveLength(2);

  // The history shows it once, delivered.
  await page.goto(`/alerts?budget=${budgetId}`);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const rows = page.getByTestId('alert-row');
  await expect(rows).toHaveCount(2);
  const row80 = page.locator('[data-testid="alert-row"][data-threshold="80"]');
  await expect(row80).toHaveCount(1);
  await expect(row80).toContainText('delivered');
  await page.screenshot({ path: 'test-results/alerts.png', fullPage: true });

  // The lead acknowledges it.
  await row80.getByTestId('ack').click();
  await expect(row80).toContainText(lead.email);

  // An agent reserves $1.00 for its next call: the cap holds it until the call is reported.
  const hold = await page.request.post('/api/v1/check', {
    headers: { Authorization: `Bearer ${key}` },
    data: { tags: { team, workflow: 'e2e' }, estimated_cost: '1.00', reserve: true, id: `e2e-${budgetId}-next` },
  });
  expect(hold.status()).toBe(200);
  expect((await hold.json()).reservation.amount).toBe('1.00');

  // The budget's page shows where it stands, with the hold.
  await page.goto(`/budgets/${budgetId}`);
  await expect(page.getByTestId('budget-spent')).toHaveText('$8.50');
  await expect(page.getByTestId('budget-reservations')).toHaveText('$1.00 reserved by 1 call not yet reported');
  await expect(page.getByTestId('burn-chart')).toHaveAttribute('data-chart', 'drawn');
  await page.waitForTimeout(1200); // the chart's draw-in animation
  await page.screenshot({ path: 'test-results/budget.png', fullPage: true });
  await page.goto('/budgets');
  await expect(page.getByTestId('budget-card').filter({ hasText: 'E2E team, monthly' })).toContainText('85% used');
  await page.screenshot({ path: 'test-results/budgets.png', fullPage: true });
  hook.close();
  expect(errors).toEqual([]);
});
