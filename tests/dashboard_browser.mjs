// tests/dashboard_browser.mjs: open a page of ritual.dashboard_html() in
// headless Chromium, driven over the DevTools protocol on a pipe (no npm
// package needed), and check it; prints "ok - ..." and "not ok - ..." lines
// for tests/dashboard.sh to count.
//
//   node tests/dashboard_browser.mjs PAGE.html OUT_DIR [EXPECTED.json [TEXT...]]
//
// Checks: no console message of level error or warning, no exception, no
// request but the page itself; no active content (script, event-handler
// attribute, javascript: URL, embedded object or image, foreignObject);
// with EXPECTED (written by tests/dashboard_expected.sql), every chart's
// marks, their number and their data-* values, equal the tables', and each
// line has a point per value; each TEXT shows on the page as text.  Takes a
// full-page screenshot at desktop and at phone width into OUT_DIR (and the
// top of the desktop one, dashboard-top.png) and checks that each is not
// blank, and that the phone page needs no sideways scroll.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inflateSync } from 'node:zlib';

const [pagePath, outDir, expectedPath, ...texts] = process.argv.slice(2);
if (!pagePath || !outDir) {
    console.error('usage: node tests/dashboard_browser.mjs PAGE.html OUT_DIR [EXPECTED.json]');
    process.exit(2);
}
const pageUrl = 'file://' + resolve(pagePath);
const chromium = process.env.CHROMIUM || 'chromium';

let passed = 0, failed = 0;
const ok = (what) => { passed++; console.log(`ok - ${what}`); };
const notOk = (what) => { failed++; console.log(`not ok - ${what}`); };
const check = (cond, what, why) => (cond ? ok(what) : notOk(why ? `${what}: ${why}` : what));

// -- the browser, over --remote-debugging-pipe: JSON messages ended by NUL,
//    written to its fd 3, read from its fd 4
const profile = mkdtempSync(join(tmpdir(), 'ritual-chromium-'));
const browser = spawn(chromium, [
    '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--mute-audio',
    '--no-first-run', '--no-default-browser-check', '--disable-extensions',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--remote-debugging-pipe', `--user-data-dir=${profile}`, 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
let browserLog = '';
browser.stderr.on('data', (d) => { browserLog += d; });
const toBrowser = browser.stdio[3];
const fromBrowser = browser.stdio[4];

let nextId = 1;
const waiting = new Map();
const listeners = [];
let pending = Buffer.alloc(0);
fromBrowser.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    let end;
    while ((end = pending.indexOf(0)) >= 0) {
        const msg = JSON.parse(pending.subarray(0, end).toString('utf8'));
        pending = pending.subarray(end + 1);
        if (msg.id && waiting.has(msg.id)) {
            const { resolve: done, reject } = waiting.get(msg.id);
            waiting.delete(msg.id);
            if (msg.error) reject(new Error(`${msg.error.message} (${msg.error.code})`));
            else done(msg.result);
        } else if (msg.method) {
            for (const l of listeners) l(msg);
        }
    }
});
function send(method, params = {}, sessionId) {
    const id = nextId++;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    toBrowser.write(JSON.stringify(msg) + '\0');
    return new Promise((done, reject) => waiting.set(id, { resolve: done, reject }));
}
function once(method, sessionId, timeoutMs = 240000) {
    return new Promise((done, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${method}`)), timeoutMs);
        const l = (msg) => {
            if (msg.method === method && msg.sessionId === sessionId) {
                clearTimeout(timer);
                listeners.splice(listeners.indexOf(l), 1);
                done(msg.params);
            }
        };
        listeners.push(l);
    });
}

// -- a PNG of Chromium's (8-bit RGB or RGBA, not interlaced), decoded enough
//    to say how many pixels differ from the top-left one
function differingShare(png) {
    let pos = 8, width = 0, height = 0, channels = 0;
    const idat = [];
    while (pos < png.length) {
        const len = png.readUInt32BE(pos);
        const type = png.toString('latin1', pos + 4, pos + 8);
        const data = png.subarray(pos + 8, pos + 8 + len);
        if (type === 'IHDR') {
            width = data.readUInt32BE(0);
            height = data.readUInt32BE(4);
            if (data[8] !== 8 || data[12] !== 0 || (data[9] !== 2 && data[9] !== 6))
                throw new Error('unexpected PNG format');
            channels = data[9] === 6 ? 4 : 3;
        } else if (type === 'IDAT') {
            idat.push(data);
        }
        pos += 12 + len;
    }
    const raw = inflateSync(Buffer.concat(idat));
    const stride = width * channels;
    const prev = Buffer.alloc(stride), cur = Buffer.alloc(stride);
    let first = null, differing = 0;
    for (let y = 0; y < height; y++) {
        const filter = raw[y * (stride + 1)];
        const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
        for (let x = 0; x < stride; x++) {
            const a = x >= channels ? cur[x - channels] : 0;
            const b = prev[x];
            const c = x >= channels ? prev[x - channels] : 0;
            let v = line[x];
            if (filter === 1) v += a;
            else if (filter === 2) v += b;
            else if (filter === 3) v += (a + b) >> 1;
            else if (filter === 4) {
                const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
                v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            }
            cur[x] = v & 255;
        }
        for (let x = 0; x < stride; x += channels) {
            const px = cur.subarray(x, x + 3).toString('hex');
            if (first === null) first = px;
            else if (px !== first) differing++;
        }
        cur.copy(prev);
    }
    return { width, height, share: differing / (width * height) };
}

// What the page holds, read in the page: marks per chart as strings of
// their data-* attributes (sorted by name), and anything active.
const inspect = `(() => {
    const marks = {};
    for (const fig of document.querySelectorAll('figure[data-chart]')) {
        marks[fig.dataset.chart] = [...fig.querySelectorAll('[data-mark]')].map((m) =>
            [...m.attributes].filter((a) => a.name.startsWith('data-') && a.name !== 'data-mark')
                .map((a) => a.name.slice(5) + '=' + a.value).sort().join('|'));
    }
    const lines = [...document.querySelectorAll('polyline[data-values]')]
        .filter((l) => l.points.numberOfItems !== l.dataset.values.split(' ').length)
        .map((l) => l.dataset.series);
    const kpis = {};
    for (const k of document.querySelectorAll('[data-kpi]')) kpis[k.dataset.kpi] = k.dataset.value;
    const active = [];
    for (const el of document.querySelectorAll('*')) {
        const tag = el.tagName.toLowerCase();
        if (['script', 'iframe', 'frame', 'object', 'embed', 'img', 'image', 'foreignobject', 'link',
             'audio', 'video', 'form', 'input', 'button', 'base', 'animate', 'set'].includes(tag))
            active.push('element ' + tag);
        for (const a of el.attributes) {
            if (a.name.toLowerCase().startsWith('on')) active.push(tag + ' attribute ' + a.name);
            if (/^\\s*(javascript|data|vbscript):/i.test(a.value) && /href|src|action/i.test(a.name))
                active.push(tag + ' ' + a.name + '=' + a.value.slice(0, 40));
        }
        if (tag === 'meta' && el.httpEquiv.toLowerCase() === 'refresh') active.push('meta refresh');
    }
    return JSON.stringify({ marks, lines, kpis, active, text: document.body.innerText,
                            sections: [...document.querySelectorAll('section[id]')].map((s) => s.id),
                            pending: [...document.querySelectorAll('[data-pending]')].map((s) => s.dataset.pending),
                            sources: Object.fromEntries([...document.querySelectorAll('figure[data-chart]')]
                                .map((f) => [f.dataset.chart, f.dataset.source])) });
})()`;

async function main() {
    step = 'opening a tab';
    const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    const problems = [];
    const requests = [];
    listeners.push((msg) => {
        if (msg.sessionId !== sessionId) return;
        const p = msg.params;
        if (msg.method === 'Runtime.consoleAPICalled' && ['error', 'warning', 'assert'].includes(p.type))
            problems.push(`console.${p.type}: ${p.args.map((a) => a.value ?? a.description).join(' ')}`);
        else if (msg.method === 'Runtime.exceptionThrown')
            problems.push(`exception: ${p.exceptionDetails.text} ${p.exceptionDetails.exception?.description ?? ''}`);
        else if (msg.method === 'Log.entryAdded' && ['error', 'warning'].includes(p.entry.level))
            problems.push(`${p.entry.source} ${p.entry.level}: ${p.entry.text}`);
        else if (msg.method === 'Network.requestWillBeSent' && p.request.url !== pageUrl)
            requests.push(p.request.url.slice(0, 120));
    });
    await send('Runtime.enable', {}, sessionId);
    await send('Log.enable', {}, sessionId);
    await send('Network.enable', {}, sessionId);
    await send('Page.enable', {}, sessionId);

    const shots = {};
    for (const [name, width, mobile] of [['desktop', 1280, false], ['phone', 390, true]]) {
        step = `loading the page at ${name} width`;
        await send('Emulation.setDeviceMetricsOverride',
                   { width, height: 900, deviceScaleFactor: 1, mobile }, sessionId);
        const loaded = once('Page.loadEventFired', sessionId);
        await send('Page.navigate', { url: pageUrl }, sessionId);
        await loaded;
        const { result } = await send('Runtime.evaluate', {
            expression: `JSON.stringify([document.documentElement.scrollWidth, document.documentElement.scrollHeight,
                [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > ${width})
                    .slice(0, 3).map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className?.baseVal ?? e.className ? '.' + (e.className.baseVal ?? e.className) : ''))])`,
            returnByValue: true }, sessionId);
        const [scrollWidth, scrollHeight, wide] = JSON.parse(result.value);
        step = `taking the ${name} screenshot`;
        const { data } = await send('Page.captureScreenshot',
                                    { format: 'png', captureBeyondViewport: true,
                                      clip: { x: 0, y: 0, width, height: scrollHeight, scale: 1 } }, sessionId);
        const png = Buffer.from(data, 'base64');
        if (name === 'desktop') {
            // the top of the page, as the README shows it
            const top = await send('Page.captureScreenshot',
                                   { format: 'png', captureBeyondViewport: true,
                                     clip: { x: 0, y: 0, width, height: Math.min(scrollHeight, 1000), scale: 1 } },
                                   sessionId);
            writeFileSync(join(outDir, 'dashboard-top.png'), Buffer.from(top.data, 'base64'));
        }
        const file = join(outDir, `dashboard-${name}.png`);
        writeFileSync(file, png);
        shots[name] = { file, scrollWidth, width, wide, ...differingShare(png) };
    }

    step = 'reading the page';
    const { result } = await send('Runtime.evaluate', { expression: inspect, returnByValue: true }, sessionId);
    const page = JSON.parse(result.value);

    check(problems.length === 0, 'the page loads with no console error, warning or exception',
          problems.slice(0, 5).join('; '));
    check(requests.length === 0, 'the page makes no request but for itself', requests.slice(0, 5).join(', '));
    check(page.active.length === 0, 'the page has no active content (script, handler, javascript: URL, embedded object)',
          page.active.slice(0, 5).join('; '));
    for (const [name, s] of Object.entries(shots)) {
        check(s.share > 0.02, `the ${name} screenshot (${s.width} px wide, ${s.height} px tall) is not blank`,
              `${(100 * s.share).toFixed(2)}% of its pixels differ from the background (${s.file})`);
    }
    check(shots.phone.scrollWidth <= shots.phone.width, 'at phone width the page needs no sideways scroll',
          `it is ${shots.phone.scrollWidth} px wide in a ${shots.phone.width} px viewport (${shots.phone.wide.join(', ')})`);

    if (expectedPath) {
        const expected = JSON.parse(readFileSync(expectedPath, 'utf8'));
        check(page.lines.length === 0, 'every line has a point per value', `not: ${page.lines.join(', ')}`);
        for (const [key, value] of Object.entries(expected.kpis))
            check(page.kpis[key] === value, `headline ${key} is ${value}, as in the tables`,
                  `the page says ${page.kpis[key]}`);
        for (const [chart, want] of Object.entries(expected.charts)) {
            const got = page.marks[chart];
            if (!got) { notOk(`chart ${chart} is on the page`); continue; }
            check(got.length === want.marks.length, `chart ${chart} has ${want.marks.length} marks`,
                  `it has ${got.length}`);
            const diff = want.marks.findIndex((m, i) => m !== got[i]);
            check(diff < 0 && got.length === want.marks.length,
                  `chart ${chart}'s numbers equal ${want.source}`,
                  `mark ${diff}: page ${JSON.stringify(got[diff])}, table ${JSON.stringify(want.marks[diff])}`);
            check(page.sources[chart] === want.source, `chart ${chart} names its table ${want.source}`,
                  `it names ${page.sources[chart]}`);
        }
        for (const text of texts)
            check(page.text.includes(text), `the page shows ${JSON.stringify(text.slice(0, 60))} as text`);
        for (const pending of expected.pending ?? [])
            check(page.pending.includes(pending), `the page keeps a place for ${pending}, with no chart`);
    }
    writeFileSync(join(outDir, 'dashboard-page.json'), JSON.stringify(page, null, 1));
}

// a guard against a hung browser, not a timing check: generous, for a loaded machine
let step = 'starting chromium';
const watchdog = setTimeout(() => { notOk(`the browser check hung for 5 minutes while ${step}`); finish(); }, 300000);
let finishing = false;
function finish() {
    if (finishing) return;
    finishing = true;
    clearTimeout(watchdog);
    const done = () => {
        // the browser's helpers may still be writing in it; a leftover is harmless
        try { rmSync(profile, { recursive: true, force: true, maxRetries: 5 }); } catch { /* left in tmp */ }
        console.log(`dashboard_browser: ${passed} passed, ${failed} failed`);
        process.exit(failed === 0 && passed > 0 ? 0 : 1);
    };
    if (browser.exitCode !== null || browser.signalCode !== null) done();
    else {
        browser.once('exit', done);
        browser.kill();
    }
}
browser.on('exit', (code) => {
    if (passed + failed === 0 && !finishing) {
        notOk(`chromium exited (status ${code}) before the checks: ${browserLog.slice(-400)}`);
        finish();
    }
});
main().catch((e) => notOk(`the browser check failed: ${e.message}`)).finally(finish);
