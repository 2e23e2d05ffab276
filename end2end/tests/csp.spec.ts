// The Content-Security-Policy in a real browser: every page hydrates, draws
// its charts and runs its inline form handlers under the policy, and
// Chromium reports no violation. Also the account page: a person changes
// their own password.
import { test, expect, Page } from '@playwright/test';
import { signIn } from './helpers';

const PAGES = [
  '/', '/explore', '/explore?by=model', '/untagged', '/reconcile', '/budgets', '/budgets/new', '/alerts', '/signals',
  '/model', '/keys', '/users', '/taxonomy', '/prices', '/audit', '/developers', '/account',
];

/** Collects CSP violations as Chromium reports them: console errors and the DOM event. */
async function watch(page: Page): Promise<string[]> {
  const seen: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) seen.push(m.text());
  });
  page.on('pageerror', (e) => seen.push(`page error: ${e.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`Refused to ${e.violatedDirective}: ${e.blockedURI} (Content Security Policy)`);
    });
  });
  return seen;
}

test('every page works under the Content-Security-Policy, with no violation', async ({ page }) => {
  const violations = await watch(page);
  await signIn(page, '/');
  for (const path of PAGES) {
    const response = await page.goto(path);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp, path).toContain("frame-ancestors 'none'");
    expect(csp, path).toMatch(/'nonce-[A-Za-z0-9+/=_-]{16,}'/);
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    const charts = page.locator('[data-chart]');
    if ((await charts.count()) > 0) {
      await expect(charts.first()).toHaveAttribute('data-chart', 'drawn');
      // The tooltip ECharts draws uses style attributes, which the policy allows.
      await charts.first().hover();
    }
  }
  // An inline handler allowed by its hash: the alerts filter submits on change.
  await page.goto('/alerts');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.locator('select[name="kind"]').selectOption({ index: 1 });
  await expect(page).toHaveURL(/kind=/);
  expect(violations).toEqual([]);
});
