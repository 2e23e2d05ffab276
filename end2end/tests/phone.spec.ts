// Every page at a phone's width (390 px): the top bar folds into a menu, the
// period picker wraps, and no page is wider than the screen (wide tables
// scroll inside their cards). A lead on call opens the alert link on a phone.
import { test, expect } from '@playwright/test';
import { signIn } from './helpers';

const PAGES = [
  '/', '/explore', '/untagged', '/reconcile', '/budgets', '/budgets/new', '/alerts', '/signals', '/model',
  '/keys', '/users', '/taxonomy', '/prices', '/audit', '/developers', '/account',
];

test.use({ viewport: { width: 390, height: 844 } });

test('every page is usable at 390 px: nothing wider than the screen', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, '/');
  const tooWide: string[] = [];
  for (const path of PAGES) {
    await page.goto(path);
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await expect(page.getByTestId('menu-button')).toBeVisible();
    // Wide tables scroll inside their cards; the page itself never does sideways.
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > 390) tooWide.push(`${path}: ${width}px`);
    const name = path === '/' ? 'overview' : path.slice(1).replace(/\//g, '-');
    await page.screenshot({ path: `.tmp/phone-${name}.png`, fullPage: true });
  }
  expect(tooWide, 'pages wider than the screen').toEqual([]);
  expect(errors).toEqual([]);
});

test('the top bar folds into a menu, and the period picker wraps', async ({ page }) => {
  await signIn(page, '/');
  const nav = page.locator('.nav');
  await expect(nav.getByRole('link', { name: 'Budgets' })).toBeHidden();
  await page.getByTestId('menu-button').click();
  await expect(nav.getByRole('link', { name: 'Alerts' })).toBeVisible();
  await expect(page.getByTestId('user-email')).toBeVisible();
  await nav.getByRole('link', { name: 'Alerts' }).click();
  await expect(page).toHaveURL(/\/alerts$/);
  await expect(nav.getByRole('link', { name: 'Budgets' })).toBeHidden();

  // The presets and the custom range stay inside the screen.
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.locator('.picker a').first()).toBeVisible();
  for (const el of await page.locator('.picker a, .custom-range').all()) {
    const box = await el.boundingBox();
    if (!box) continue; // not shown on this page
    expect(box.x + box.width).toBeLessThanOrEqual(390);
  }
});
