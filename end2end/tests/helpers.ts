// Shared steps for the browser tests.
import { expect, Page } from '@playwright/test';

export const key = process.env.BURSAR_E2E_KEY ?? '';
export const email = process.env.BURSAR_E2E_EMAIL ?? '';
export const password = process.env.BURSAR_E2E_PASSWORD ?? '';
export const lead = {
  email: process.env.BURSAR_E2E_LEAD_EMAIL ?? '',
  password: process.env.BURSAR_E2E_LEAD_PASSWORD ?? '',
};

/** Opens `next`, is sent to the sign-in form, signs in (as the admin unless `who` is given), and lands on `next`. */
export async function signIn(page: Page, next: string, who = { email, password }) {
  await page.goto(next);
  await expect(page).toHaveURL(/\/login\?next=/);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('user-email')).toHaveText(who.email);
}

/** A USD decimal string as integer nano-dollars, exactly. */
export function nanos(usd: string): bigint {
  const neg = usd.startsWith('-');
  const [int, frac = ''] = usd.replace('-', '').split('.');
  const n = BigInt(int) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
  return neg ? -n : n;
}
