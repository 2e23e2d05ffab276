// A lead builds a cost scenario, watches the estimate follow each keystroke,
// saves it linked to the demo's bug-triage workflow, sets it beside what
// bug-triage really did, calibrates a scenario from that data, and compares
// scenarios side by side. Then the Signals page and the alert history show
// the demo's early warnings without anyone asking.
import { test, expect } from '@playwright/test';
import { signIn } from './helpers';

test('a scenario is built, saved, linked and set beside the actual workflow', async ({ page }) => {
  test.setTimeout(120_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, '/model');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');

  const form = page.getByTestId('model-form');
  const perMonth = page.getByTestId('cost-per-month');
  const perTask = page.getByTestId('cost-per-task');
  await expect(perMonth).toContainText('$');
  const before = await perMonth.innerText();

  // The estimate updates as the user types: ten times the tasks is ten times the month.
  const tasks = form.locator('input[data-field="tasks_per_day"]');
  await tasks.fill('5000');
  await expect(perMonth).not.toHaveText(before);
  const taskCost = await perTask.innerText();
  // More loops cost more per task; a bad value is named, not priced.
  await form.locator('input[data-field="loops.mean"]').fill('9');
  await expect(perTask).not.toHaveText(taskCost);
  await form.locator('input[data-field="loops.p95"]').fill('2');
  await expect(page.getByTestId('estimate')).toContainText('loops.p95');
  await form.locator('input[data-field="loops.p95"]').fill('25');
  await expect(page.getByTestId('sensitivity-row')).toHaveCount(5);
  await expect(page.getByTestId('turns-chart').locator('g')).toHaveCount(25);

  // Save it, linked to bug-triage.
  const save = page.getByTestId('save-scenario');
  await save.locator('input[name="scenario_name"]').fill('E2E triage plan');
  await save.locator('select[name="workflow"]').selectOption('bug-triage');
  await page.getByTestId('save-new').click();
  const row = page.getByTestId('scenario-row').filter({ hasText: 'E2E triage plan' });
  await expect(row).toBeVisible();
  await expect(row).toContainText('bug-triage');

  // Model vs actual: nine figures, the observed side read from the demo's bug-triage calls.
  const mva = page.getByTestId('model-vs-actual');
  await expect(mva.getByTestId('actual-row')).toHaveCount(9);
  await expect(mva.getByTestId('actual-summary')).toContainText('bug-triage:');
  await expect(mva.locator('[data-testid="actual-row"][data-flagged="true"]').first()).toBeVisible();
  await page.screenshot({ path: 'test-results/modeller.png', fullPage: true });

  // Calibrating fills the form from the data: the modelled tasks a day now match the observed.
  await page.getByTestId('calibrate').click();
  await expect(tasks).not.toHaveValue('5000');
  const tasksRow = mva.getByTestId('actual-row').filter({ hasText: 'Tasks per day' });
  await expect(tasksRow).toHaveAttribute('data-flagged', 'false');

  // Compare the saved plans side by side.
  await page.getByTestId('scenario-row').nth(0).getByRole('checkbox').check();
  await page.getByTestId('scenario-row').nth(1).getByRole('checkbox').check();
  await expect(page.getByTestId('comparison')).toContainText('Cost per month');

  // The Signals page shows the demo's drifts and its rules; the alert history holds what they fired.
  await page.goto('/signals?key=workflow&days=30');
  await expect(page.locator('[data-testid="scope"][data-value="bug-triage"]')).toBeVisible();
  await expect(page.getByTestId('drift').filter({ hasText: 'bug-triage: cache hit rate fell' })).toBeVisible();
  await expect(page.getByTestId('signal-rule').first()).toBeVisible();
  await page.screenshot({ path: 'test-results/signals.png', fullPage: true });
  await page.goto('/alerts?kind=signal');
  await expect(page.getByTestId('alert-message').first()).toBeVisible();
  expect(errors).toEqual([]);
});
