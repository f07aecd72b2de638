// Drives the web UI in headless Chromium (playwright-core) as a person
// would: signs in by the form's labels, browses to an npm and a PyPI
// version, reads their README and dependencies, signs out, and signs in as
// a user who may not read one repository. Run by test/e2e/ui_test.go, which
// passes its settings in UI_E2E (JSON); exits non-zero on the first failed
// check. Screenshots go to cfg.shots.
'use strict';
const { chromium } = require('playwright-core');
const path = require('path');

const cfg = JSON.parse(process.env.UI_E2E);
const problems = [];

function check(ok, what) {
  if (!ok) throw new Error('check failed: ' + what);
  console.log('ok - ' + what);
}

// visible waits (up to 15 s: CI machines are busy) for a locator to show;
// isVisible() alone would not wait for the page the last click opened.
async function visible(locator) {
  return locator.waitFor({ state: 'visible', timeout: 15000 }).then(() => true, () => false);
}

async function shot(page, name, opts = {}) {
  await page.screenshot({ path: path.join(cfg.shots, name + '.png'), fullPage: true, ...opts });
  console.log('screenshot ' + name + '.png');
}

async function signIn(page, key, secret) {
  await page.goto(cfg.base + '/ui/');
  check(page.url().includes('/ui/signin'), 'a signed-out visitor is sent to the sign-in form');
  await page.getByLabel('Access key ID').fill(key);
  await page.getByLabel('Secret access key').fill(secret);
  await page.getByLabel('Secret access key').press('Enter'); // the keyboard submits
  await page.waitForURL(cfg.base + '/ui/');
}

async function main() {
  const browser = await chromium.launch({
    executablePath: cfg.chromium,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    // Anything the page's CSP refuses (inline script or style) is a bug.
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(String(e)));

    await page.goto(cfg.base + '/ui/');
    await page.getByLabel('Access key ID').waitFor();
    await shot(page, 'signin');
    // A wrong secret is refused with a message.
    await page.getByLabel('Access key ID').fill(cfg.root.key);
    await page.getByLabel('Secret access key').fill('not-the-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    check(await page.getByRole('alert').innerText().then((t) => t.includes('wrong')), 'a wrong secret is refused');

    await signIn(page, cfg.root.key, cfg.root.secret);
    check(await visible(page.getByRole('heading', { name: 'Domains' })), 'signed in as root: the domains');
    await page.getByRole('link', { name: cfg.domain, exact: true }).click();
    check(await visible(page.getByRole('link', { name: 'secret', exact: true })), 'root sees the secret repository');
    await shot(page, 'domain');

    // npm: the repository, its chain, a search, the package, the version.
    await page.getByRole('link', { name: cfg.npm.repo, exact: true }).click();
    check(await visible(page.getByText('external: public:npmjs')), 'the chain shows the upstream\'s external connection');
    await page.getByLabel('Name starts with').fill(cfg.npm.prefix);
    await page.getByLabel('Format').selectOption('npm');
    await page.getByRole('button', { name: 'Search' }).click();
    await shot(page, 'repository');
    await page.getByRole('link', { name: cfg.npm.display, exact: true }).click();
    check(await visible(page.getByRole('cell', { name: 'Published' }).first()), 'the npm version is Published');
    await shot(page, 'package');
    await page.getByRole('link', { name: cfg.npm.version, exact: true }).click();
    await page.getByRole('heading', { name: cfg.npm.readmeHeading, exact: true }).waitFor();
    check(await page.locator('article.readme').innerText().then((t) => t.includes(cfg.npm.readmeText)), 'the npm README is rendered');
    check(await page.locator('article.readme script').count() === 0, 'no script from the README');
    check(await visible(page.getByText(cfg.npm.install)), 'the npm install snippet');
    await shot(page, 'npm-version');
    await page.getByRole('link', { name: cfg.npm.dep, exact: true }).click();
    check(await visible(page.getByRole('heading', { name: cfg.npm.dep + ' npm', exact: true })), 'the dependency links to its package');

    // PyPI, found by format.
    await page.goto(cfg.base + cfg.pypi.repoURL);
    await page.getByLabel('Format').selectOption('pypi');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: cfg.pypi.display, exact: true }).click();
    await page.getByRole('link', { name: cfg.pypi.version, exact: true }).click();
    await page.getByRole('heading', { name: cfg.pypi.readmeHeading, exact: true }).waitFor();
    check(await page.locator('article.readme').innerText().then((t) => t.includes(cfg.pypi.readmeText)), 'the PyPI README is rendered');
    check(await visible(page.getByRole('link', { name: cfg.pypi.dep, exact: true })), 'the PyPI dependency is listed');
    check(await visible(page.getByText(cfg.pypi.install)), 'the pip install snippet');
    await shot(page, 'pypi-version');

    // On a phone: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(wide <= 0, 'the version page fits a 390px screen (overflow ' + wide + 'px)');
    await shot(page, 'phone-version', { fullPage: false });
    await page.setViewportSize({ width: 1280, height: 900 });

    // Keyboard: the first Tab reaches the skip link.
    await page.keyboard.press('Tab');
    check(await page.evaluate(() => document.activeElement.textContent) === 'Skip to content', 'Tab reaches the skip link first');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/ui\/signin/);
    await page.goto(cfg.base + cfg.secretURL);
    check(page.url().includes('/ui/signin'), 'after sign-out the pages need a sign-in again');

    // The reader may not read from the secret repository.
    await signIn(page, cfg.reader.key, cfg.reader.secret);
    await page.getByRole('link', { name: cfg.domain, exact: true }).click();
    check(await visible(page.getByRole('link', { name: cfg.npm.repo, exact: true })), 'the reader sees the npm repository');
    check(await page.getByRole('link', { name: 'secret', exact: true }).count() === 0, 'the reader does not see the secret repository');
    const resp = await page.goto(cfg.base + cfg.secretURL);
    check(resp.status() === 403, 'the secret repository is refused (403, got ' + resp.status() + ')');
    check(await page.getByRole('alert').innerText().then((t) => t.includes('ReadFromRepository')), 'the refusal names the permission');
    await shot(page, 'refused');

    const csp = problems.filter((p) => /Content Security Policy|Refused/i.test(p));
    check(csp.length === 0, 'no CSP violations: ' + csp.join('; '));
  } finally {
    await browser.close();
  }
}

main().then(() => console.log('done'), (e) => { console.error(String(e && e.stack || e)); process.exit(1); });
