// An admin creates an API key in the browser, ingests with it, revokes it,
// and within a second ingest with it is refused with 401.
import { test, expect } from '@playwright/test';
import { signIn, email } from './helpers';

test('an admin creates a key, uses it, revokes it, and it is refused', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, '/keys');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const form = page.getByTestId('key-form');
  await form.getByLabel('Name').fill('e2e nightly job');
  await form.getByTestId('create-key').click();
  const secret = (await page.getByTestId('new-key').textContent()) ?? '';
  expect(secret).toMatch(/^bsr_[0-9a-f]{12}_[0-9a-f]{40}$/);
  const row = page.getByTestId('key-row').filter({ hasText: 'e2e nightly job' });
  await expect(row).toContainText('ingest');
  await page.screenshot({ path: 'test-results/keys.png', fullPage: true });

  const send = (id: string) =>
    page.request.post('/api/v1/events', {
      headers: { Authorization: `Bearer ${secret}` },
      data: { events: [{ id, timestamp: new Date().toISOString(), model: 'gpt-4o', input_tokens: 10, output_tokens: 1 }] },
    });
  expect((await send('e2e-key-1')).status()).toBe(200);

  await row.getByTestId('revoke-key').click();
  await expect(row).toContainText('revoked');
  await page.waitForTimeout(1_200);
  expect((await send('e2e-key-2')).status()).toBe(401);

  // The users page lists everyone, the reader marked as "you".
  await page.goto('/users');
  await expect(page.locator(`[data-testid="user-row"][data-email="${email}"]`)).toContainText('you');
  await page.screenshot({ path: 'test-results/users.png', fullPage: true });
  expect(errors).toEqual([]);
});
