// The Overview in a real browser: it hydrates, the chart draws, and the
// numbers on the page equal what the API says for the same range.
import { test, expect, Page } from '@playwright/test';

import { key, nanos, signIn } from './helpers';

async function apiTotal(page: Page, from: string, to: string): Promise<bigint> {
  const resp = await page.request.get(`/api/v1/spend?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, {
    headers: { Authorization: `Bearer ${key}` },
  });
  expect(resp.status()).toBe(200);
  const body = await resp.json();
  return nanos(body.total.cost);
}

/** The x-axis categories of the chart drawn on the page (read from ECharts itself). */
async function chartDays(page: Page): Promise<number> {
  return page.getByTestId('spend-chart').evaluate((el) => {
    const chart = (window as any).echarts.getInstanceByDom(el);
    return chart ? chart.getOption().xAxis[0].data.length : -1;
  });
}

async function pageTotal(page: Page) {
  const kpi = page.getByTestId('total-spend');
  await expect(kpi).toBeVisible();
  return {
    nanos: BigInt((await kpi.getAttribute('data-nanos')) ?? '-1'),
    from: (await kpi.getAttribute('data-from')) ?? '',
    to: (await kpi.getAttribute('data-to')) ?? '',
  };
}

test('overview hydrates, draws its chart and matches the API', async ({ page }) => {
  expect(key, 'scripts/test.sh sets BURSAR_E2E_KEY').not.toBe('');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await signIn(page, '/?period=90d');
  await expect(page).toHaveURL(/period=90d/);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.getByTestId('spend-chart')).toHaveAttribute('data-chart', 'drawn');
  await expect(page.getByTestId('spend-chart').locator('canvas')).toHaveCount(1);

  expect(await chartDays(page)).toBe(90);
  const shown = await pageTotal(page);
  expect(shown.nanos > 0n).toBeTruthy();
  expect(await apiTotal(page, shown.from, shown.to)).toBe(shown.nanos);

  // Team and workflow tables list the demo organisation.
  await expect(page.locator('[data-breakdown="team"] tbody tr')).not.toHaveCount(0);
  await expect(page.locator('[data-breakdown="workflow"]')).toContainText('bug-triage');
  await page.waitForTimeout(1500); // let the chart's entry animation finish before the picture
  await page.screenshot({ path: 'test-results/overview-90d.png', fullPage: true });

  // Client-side navigation to another period keeps the page and the API in step.
  await page.locator('a[data-period="7d"]').click();
  await expect(page).toHaveURL(/period=7d/);
  await expect(page.locator('a[data-period="7d"]')).toHaveClass(/active/);
  await expect(page.getByTestId('spend-chart')).toHaveAttribute('data-chart', 'drawn');
  // The chart was already drawn for 90 days: wait for the 7-day data to replace it.
  await expect.poll(() => chartDays(page)).toBe(7);
  const week = await pageTotal(page);
  expect(week.nanos < shown.nanos).toBeTruthy();
  expect(await apiTotal(page, week.from, week.to)).toBe(week.nanos);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: 'test-results/overview-7d.png', fullPage: true });

  // Signing out ends the session: the overview sends us back to sign in.
  await page.getByTestId('sign-out').click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto('/?period=7d');
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.screenshot({ path: 'test-results/login.png' });

  expect(errors).toEqual([]);
});
