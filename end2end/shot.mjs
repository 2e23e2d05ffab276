import { chromium } from '@playwright/test';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const p = await b.newPage({ viewport: { width: 1280, height: 900 } });
const msgs = [];
p.on('console', m => { if (/Content Security Policy|Refused/.test(m.text())) msgs.push(m.text()); });
await p.goto('http://127.0.0.1:3931/login?next=/account');
await p.waitForSelector('body[data-hydrated="true"]', { state: 'attached' });
await p.fill('input[name=email]', 'shot@example.com');
await p.fill('input[name=password]', 'shot-password-123');
await p.click('button[type=submit]');
await p.waitForURL('**/account');
await p.waitForSelector('body[data-hydrated="true"]', { state: 'attached' });
await p.screenshot({ path: '.tmp/desk-account.png', fullPage: true });
for (const path of ['users', 'keys']) {
  await p.goto('http://127.0.0.1:3931/' + path);
  await p.waitForSelector('body[data-hydrated="true"]', { state: 'attached' });
  await p.waitForTimeout(500);
  await p.screenshot({ path: `.tmp/desk-${path}.png`, fullPage: true });
}
// Try a bad password change, then the wrong next
await p.goto('http://127.0.0.1:3931/account');
await p.waitForSelector('body[data-hydrated="true"]', { state: 'attached' });
await p.fill('input[name=current]', 'wrong-one-123');
await p.fill('input[name=password]', 'a-new-password-1');
await p.fill('input[name=confirm]', 'a-new-password-1');
await p.click('button:has-text("Change password")');
await p.waitForSelector('.form-error');
await p.screenshot({ path: '.tmp/desk-account-error.png' });
console.log('violations', JSON.stringify(msgs));
await b.close();
