// Loads a `mandate replay --report` page in headless Chromium and checks it:
// the charts are there and drawn, the page asks for nothing outside itself, the
// console stays clean, and a screenshot of it is neither blank nor tiny.
//
//   node tests/browser/report_test.mjs REPORT.html SCREENSHOT.png
//
// Exit 0 when every check passes, 1 with the failures listed, 77 when Chromium
// is not installed (the caller reports the skip).

import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const [reportPath, screenshotPath] = process.argv.slice(2);
if (!reportPath || !screenshotPath) {
    console.error('usage: node report_test.mjs REPORT.html SCREENSHOT.png');
    process.exit(2);
}
if (!existsSync(chromiumPath)) {
    console.error(`report_test: no Chromium at ${chromiumPath}; scripts/setup.sh installs it`);
    process.exit(77);
}

const failures = [];
function check(condition, message) {
    if (!condition) failures.push(message);
}

const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
});
try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 1200 } });
    const consoleErrors = [];
    page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
    // The page must be self-contained: any request but the page itself fails the test.
    const outside = [];
    const pageUrl = pathToFileURL(reportPath).href;
    page.on('request', (request) => {
        if (request.url() !== pageUrl) outside.push(request.url());
    });

    await page.goto(pageUrl, { waitUntil: 'load' });

    const facts = await page.evaluate(() => {
        const box = (element) => {
            const r = element.getBoundingClientRect();
            return { width: r.width, height: r.height };
        };
        const charts = [...document.querySelectorAll('svg.budget-chart')];
        return {
            title: document.title,
            charts: charts.map((svg) => ({
                box: box(svg),
                points: (svg.querySelector('polyline.spend')?.getAttribute('points') ?? '')
                    .trim().split(/\s+/).filter(Boolean).length,
                spendLength: svg.querySelector('polyline.spend')?.getTotalLength() ?? 0,
                limit: svg.querySelectorAll('line.limit').length,
            })),
            dailyBars: document.querySelectorAll('svg.daily-chart rect').length,
            reasonRows: document.querySelectorAll('#by-reason tbody tr').length,
            sellerRows: document.querySelectorAll('#by-seller tbody tr').length,
            changeRows: document.querySelectorAll('#changes tbody tr').length,
            scripts: document.querySelectorAll('script').length,
            external: [...document.querySelectorAll('[src], link[href]')].length,
        };
    });

    check(facts.title.startsWith('Replay of'), `unexpected title "${facts.title}"`);
    check(facts.charts.length >= 1, 'no budget chart (svg.budget-chart)');
    for (const [i, chart] of facts.charts.entries()) {
        check(chart.box.width > 300 && chart.box.height > 100,
              `budget chart ${i} is ${chart.box.width}x${chart.box.height}`);
        check(chart.points >= 2, `budget chart ${i} draws ${chart.points} points`);
        check(chart.spendLength > 10, `budget chart ${i}: the spend line has no length`);
        check(chart.limit === 1, `budget chart ${i} has ${chart.limit} budget lines`);
    }
    check(facts.dailyBars >= 2, `daily chart has ${facts.dailyBars} bars`);
    check(facts.reasonRows >= 1, 'no row in the declines-by-reason table');
    check(facts.sellerRows >= 1, 'no row in the by-seller table');
    check(facts.changeRows >= 1, 'no row in the changes table (the test replays --against)');
    check(facts.scripts === 0 && facts.external === 0, 'the page loads scripts or resources');

    // The viewport holds the figures and the first charts; a full page of a long
    // history's tables would only make the screenshot slow.
    const png = await page.screenshot({ path: screenshotPath });
    // Decode the screenshot in the page and look at its pixels: a blank or
    // one-colour page means nothing was drawn.
    const stats = await page.evaluate(async (base64) => {
        const image = new Image();
        image.src = `data:image/png;base64,${base64}`;
        await image.decode();
        const canvas = document.createElement('canvas');
        canvas.width = image.width;
        canvas.height = image.height;
        const context = canvas.getContext('2d');
        context.drawImage(image, 0, 0);
        const data = context.getImageData(0, 0, image.width, image.height).data;
        const colours = new Set();
        let nonWhite = 0;
        let blueish = 0;  // the spend line
        let reddish = 0;  // the budget line and the declined bars
        for (let i = 0; i < data.length; i += 4) {
            const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
            colours.add((r << 16) | (g << 8) | b);
            if (r < 245 || g < 245 || b < 245) nonWhite++;
            if (b > 180 && r < 90) blueish++;
            if (r > 150 && g < 80 && b < 80) reddish++;
        }
        return { width: image.width, height: image.height, colours: colours.size,
                 nonWhite: nonWhite / (data.length / 4), blueish, reddish };
    }, png.toString('base64'));

    check(stats.width >= 800 && stats.height >= 600,
          `screenshot is only ${stats.width}x${stats.height}`);
    check(stats.colours >= 16, `screenshot has ${stats.colours} distinct colours`);
    check(stats.nonWhite > 0.02, `screenshot is ${(stats.nonWhite * 100).toFixed(2)}% non-white`);
    check(stats.blueish > 100, `only ${stats.blueish} pixels of the spend line`);
    check(stats.reddish > 100, `only ${stats.reddish} pixels of budget line or declines`);
    check(consoleErrors.length === 0, `console errors: ${consoleErrors.join(' | ')}`);
    check(outside.length === 0, `requests outside the page: ${outside.join(', ')}`);

    console.log(JSON.stringify({ charts: facts.charts.length, screenshot: stats }));
} finally {
    await browser.close();
}

if (failures.length > 0) {
    for (const failure of failures) console.error(`report_test: ${failure}`);
    process.exit(1);
}
console.log('report_test: ok');
