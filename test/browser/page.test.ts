/**
 * The browser build in a real browser (headless Chromium): the bundle against the golden frames,
 * and the page driven as a user would, its results checked against scapy's bytes (golden.json),
 * tshark's dissection of the pcapng it downloads, the Node build's page walker, and TLB
 * outcomes counted by hand. Screenshots of every view go to out/browser/ (git-ignored).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, encodeFrame, readCapture, type Layer, type SecurityAssociation } from '../../src/index.js';
import { PhysicalMemory, FrameAllocator } from '../../src/mem/phys.js';
import { PageTableBuilder, type PageFlags, type PageSize } from '../../src/mem/builder.js';
import { PageWalker } from '../../src/mem/walker.js';
import { vaHi, vaLo } from '../../src/mem/va.js';
import { NestedWalker } from '../../src/mem/virt/nested.js';
import { Vm } from '../../src/mem/virt/vm.js';
import { DIR_IN, simulateScenario } from '../../src/netsim/index.js';
import { GOLDEN_PATH } from '../helpers/golden.js';
import { ROOT } from '../helpers/cli.js';
import { toolsAvailable } from '../helpers/tools.js';
import { haveChromium, openSession, SHOTS, type Session } from './browser.js';

interface Vector {
  name: string;
  layers: Layer[];
  hex: string;
}
const GOLDEN = (JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')) as { vectors: Vector[] }).vectors;
/** ESP frames made by scapy's SecurityAssociation (fixtures/esp), each with its SA. */
const ESP = (JSON.parse(readFileSync(join(ROOT, 'fixtures', 'esp', 'scapy-esp.json'), 'utf8')) as { vectors: (Vector & { sa: SecurityAssociation[] })[] }).vectors;
const golden = (name: string): Vector => GOLDEN.find((v) => v.name === name) ?? ESP.find((v) => v.name === name)!;

/**
 * The listed layers as the decoder gives them back (as in test/net/golden.test.ts): a GRE
 * `"chksum": true` comes back as the number found, and a 0x9100 tag as `dot1ad`.
 */
function expectedDecode(layers: Layer[]): Layer[] {
  return layers.map((l, i) => {
    const out: Layer = { ...l };
    if (out.layer === 'gre' && out.chksum === true) delete out.chksum;
    const prev = layers[i - 1];
    if (out.layer === 'dot1q' && prev && prev.type === 0x9100) out.layer = 'dot1ad';
    return out;
  });
}

/** Frame bytes from `tshark -x` (the hex dump of each frame). */
function tsharkBytes(file: string): string {
  const r = spawnSync('tshark', ['-r', file, '-x'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  let hex = '';
  for (const line of r.stdout.split('\n')) {
    const m = /^[0-9a-f]{4}  ((?:[0-9a-f]{2} ){1,16})/.exec(line);
    if (m) hex += m[1]!.replace(/ /g, '');
  }
  return hex;
}

const RUN = haveChromium();

describe.skipIf(!RUN)('the page and the browser bundle in headless Chromium', () => {
  let s: Session;
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    s = await openSession();
    await s.page.goto(s.server.url + 'web/index.html');
    await s.page.waitForSelector('body[data-ready="true"]');
  });
  afterAll(async () => {
    await s?.close();
  });

  it('the bundle (dist/browser/virtkit.js) encodes every golden frame byte for byte and decodes it back', async () => {
    // A string, so that the test runner does not rewrite the dynamic import.
    await s.page.evaluate(`import('/browser/virtkit.js').then((m) => { window.vkBundle = m; })`);
    type Out = { name: string; hex: string; decoded: Layer[]; error?: string; rebuilt: string };
    const results = await s.page.evaluate((vectors: Vector[]) => {
      const vk = (window as unknown as { vkBundle: typeof import('../../src/index.js') }).vkBundle;
      return vectors.map((v): Out => {
        const opts = v.name === 'eompls_pw_control_word' ? { mplsEthernet: 'cw' as const } : v.name === 'eompls_pw_no_control_word' ? { mplsEthernet: 'nocw' as const } : {};
        const d = vk.decodeFrame(vk.hexToBytes(v.hex)!, opts);
        return { name: v.name, hex: vk.bytesToHex(vk.encodeFrame(v.layers)), decoded: d.layers, error: d.error?.message, rebuilt: vk.bytesToHex(vk.encodeFrame(d.layers)) };
      });
    }, GOLDEN);
    expect(results).toHaveLength(GOLDEN.length);
    for (const [i, v] of GOLDEN.entries()) {
      const r = results[i]!;
      expect(r.hex, v.name).toBe(v.hex);
      expect(r.error, v.name).toBeUndefined();
      expect(r.rebuilt, v.name).toBe(v.hex);
      const want = expectedDecode(v.layers);
      expect(r.decoded, v.name).toHaveLength(want.length);
      want.forEach((l, j) => expect(r.decoded[j], `${v.name} layer ${j}`).toMatchObject(l));
    }
  });

  it('the bundle encodes the TCP/ICMPv6/IPv6-extension and ESP golden frames byte for byte, and its decoded layers rebuild them', async () => {
    type V = { name: string; layers: Layer[]; hex: string; sa?: unknown[] };
    const ext = (JSON.parse(readFileSync(join(ROOT, 'fixtures', 'vectors', 'golden-ext.json'), 'utf8')) as { vectors: V[] }).vectors;
    const all: V[] = [...ext, ...ESP];
    expect(all.length).toBeGreaterThan(60);
    const results = await s.page.evaluate((vectors: V[]) => {
      const vk = (window as unknown as { vkBundle: typeof import('../../src/index.js') }).vkBundle;
      return vectors.map((v) => {
        const opts = v.sa ? { sa: v.sa as never } : {};
        const d = vk.decodeFrame(vk.hexToBytes(v.hex)!, opts);
        return { hex: vk.bytesToHex(vk.encodeFrame(v.layers as never, opts)), error: d.error?.message, rebuilt: vk.bytesToHex(vk.encodeFrame(d.layers as never, opts)), kinds: d.layers.map((l) => l.layer) };
      });
    }, all);
    all.forEach((v, i) => {
      const r = results[i]!;
      expect(r.hex, v.name).toBe(v.hex);
      expect(r.error, v.name).toBeUndefined();
      expect(r.rebuilt, v.name).toBe(v.hex);
      expect(r.kinds, v.name).toEqual(v.layers.map((l) => l.layer));
    });
  });

  it('Frames: every stack starts from its golden frame, shown byte for byte', async () => {
    const p = s.page;
    const buttons = await p.$$eval('button[data-stack]', (bs) => bs.map((b) => ({ id: (b as HTMLElement).dataset.stack!, golden: (b as HTMLElement).dataset.golden! })));
    expect(buttons.map((b) => b.id)).toEqual(['vlan', 'qinq', 'vxlan', 'geneve', 'gre', 'nvgre', 'mpls', 'ipip', 'esp']);
    for (const b of buttons) {
      await p.click(`button[data-stack="${b.id}"]`);
      const shown = await p.$eval('#hex-pane', (el) => [...el.querySelectorAll('.bytes span.b')].map((x) => x.textContent).join(''));
      expect(shown, b.id).toBe(golden(b.golden).hex);
    }
    // ESP: encrypted with the page's SA as scapy did, and decrypted back into the tree.
    await p.click('button[data-stack="esp"]');
    expect(await p.$$eval('#tree summary b', (els) => els.map((e) => e.textContent))).toEqual(['ether', 'ipv4', 'esp', 'udp', 'raw']);
    expect(await p.$$eval('#tree details', (els) => els.map((e) => (e.querySelector('summary')!.textContent ?? '').includes('decrypted')))).toEqual([false, false, false, true, true]);
    await p.screenshot({ path: join(SHOTS, 'frames-esp.png') });
  });

  it('Frames: a VXLAN frame built in the form, its VNI highlighted, an invalid VNI refused, the pcapng checked by tshark', async () => {
    const p = s.page;
    await p.click('button[data-stack="vxlan"]');
    const vxlan = golden('vxlan_ipv4');
    await p.fill('input[data-layer="3"][data-field="vni"]', '4242');
    const layers = vxlan.layers.map((l) => (l.layer === 'vxlan' ? { ...l, vni: 4242 } : l));
    const want = bytesToHex(encodeFrame(layers));
    const shown = await p.$eval('#hex-pane', (el) => [...el.querySelectorAll('.bytes span.b')].map((x) => x.textContent).join(''));
    expect(shown).toBe(want);
    // 14 + 20 + 8 bytes of outer headers, then VXLAN: flags (4 bytes), VNI at bytes 46..48.
    expect(shown.slice(46 * 2, 49 * 2)).toBe('001092');
    expect(await p.textContent('#encap-info')).toBe(' · 50 bytes of ether/ipv4/udp/vxlan around a 58-byte inner packet');

    // The pointer on a VNI byte highlights the three VNI bytes and the tree's vni row.
    await p.hover('#hex-pane .bytes span.b[data-i="47"]');
    const lit = await p.$$eval('#hex-pane .bytes span.b.hl', (els) => els.map((e) => Number((e as HTMLElement).dataset.i)));
    expect(lit).toEqual([46, 47, 48]);
    expect(await p.$eval('#tree .tf.hl', (e) => e.textContent)).toBe('vni: 4242 (0x1092)');
    await p.screenshot({ path: join(SHOTS, 'frames.png') });

    // An out-of-range value: the encoder's error, naming the layer and field, and the input marked.
    await p.fill('input[data-layer="3"][data-field="vni"]', '16777216');
    expect(await p.textContent('#frame-error')).toContain('layer 3 (vxlan): vni 16777216 is out of range 0..16777215');
    expect(await p.$eval('input[data-layer="3"][data-field="vni"]', (e) => e.classList.contains('invalid'))).toBe(true);
    await p.screenshot({ path: join(SHOTS, 'frames-error.png') });
    await p.fill('input[data-layer="3"][data-field="vni"]', '4242');
    expect(await p.isHidden('#frame-error')).toBe(true);

    const [download] = await Promise.all([p.waitForEvent('download'), p.click('#download-pcapng')]);
    expect(download.suggestedFilename()).toBe('virtkit-vxlan.pcapng');
    const file = join(SHOTS, 'vxlan.pcapng');
    await download.saveAs(file);
    const packets = readCapture(new Uint8Array(readFileSync(file)));
    expect(packets.map((x) => bytesToHex(x.data))).toEqual([want]);
    if (toolsAvailable('tshark')) {
      expect(tsharkBytes(file)).toBe(want);
      const r = spawnSync(
        'tshark',
        ['-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=;', '-e', 'frame.protocols', '-e', 'vxlan.vni', '-e', 'ip.checksum.status', '-e', 'udp.checksum.status', '-e', '_ws.expert'],
        { encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      // Checksum status 1 = Good, for both IPv4 headers and both UDP checksums; no expert info at all.
      expect(r.stdout.trim()).toBe('eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:udp:data;4242;1,1;1,1;');
    }

    // Two frames added to the capture: the download holds both, in order.
    await p.click('#keep-frame');
    await p.fill('input[data-layer="3"][data-field="vni"]', '7');
    await p.click('#keep-frame');
    const [download2] = await Promise.all([p.waitForEvent('download'), p.click('#download-pcapng')]);
    expect(download2.suggestedFilename()).toBe('virtkit-capture.pcapng');
    const file2 = join(SHOTS, 'capture.pcapng');
    await download2.saveAs(file2);
    const vni7 = bytesToHex(encodeFrame(vxlan.layers.map((l) => (l.layer === 'vxlan' ? { ...l, vni: 7 } : l))));
    expect(readCapture(new Uint8Array(readFileSync(file2))).map((x) => bytesToHex(x.data))).toEqual([want, vni7]);
    if (toolsAvailable('tshark')) {
      const r = spawnSync('tshark', ['-r', file2, '-T', 'fields', '-e', 'vxlan.vni'], { encoding: 'utf8' });
      expect(r.stdout.trim().split('\n')).toEqual(['4242', '7']);
    }
  });

  it('Frames: pasted hex is decoded into the tree and the form', async () => {
    const p = s.page;
    const v = golden('gre_key_seq');
    await p.fill('#paste-hex', v.hex.replace(/(..)/g, '$1 '));
    await p.click('#decode-hex');
    expect(await p.$eval('#hex-pane', (el) => (el as HTMLElement).dataset.hex)).toBe(v.hex);
    expect(await p.$$eval('#tree summary b', (els) => els.map((e) => e.textContent))).toEqual(v.layers.map((l) => l.layer));
    const gre = v.layers[2]!;
    expect(await p.inputValue('input[data-layer="2"][data-field="key"]')).toBe(String(gre.key));
    expect(await p.inputValue('input[data-layer="2"][data-field="seq"]')).toBe(String(gre.seq));
    // The decoded IPv4 length is explicit: a longer payload keeps it (a malformed frame, on
    // purpose) until the auto fields are emptied and computed again.
    await p.fill('input[data-layer="5"][data-field="hex"]', '00'.repeat(20));
    expect(await p.inputValue('input[data-layer="1"][data-field="len"]')).not.toBe('');
    const before = (await p.$eval('#hex-pane', (el) => (el as HTMLElement).dataset.hex))!;
    expect(before.slice(16 * 2, 18 * 2)).toBe(v.hex.slice(16 * 2, 18 * 2));
    await p.click('#clear-auto');
    expect(await p.inputValue('input[data-layer="1"][data-field="len"]')).toBe('');
    const after = (await p.$eval('#hex-pane', (el) => (el as HTMLElement).dataset.hex))!;
    expect(parseInt(after.slice(16 * 2, 18 * 2), 16)).toBe(parseInt(v.hex.slice(16 * 2, 18 * 2), 16) + 4);

    // Every TCP/ICMPv6/IPv6-extension golden frame pasted: its form rebuilds it byte for byte.
    const ext = (JSON.parse(readFileSync(join(ROOT, 'fixtures', 'vectors', 'golden-ext.json'), 'utf8')) as { vectors: (Vector & { sa?: unknown })[] }).vectors.filter((x) => !x.sa);
    for (const x of ext) {
      await p.fill('#paste-hex', x.hex);
      await p.click('#decode-hex');
      expect(await p.$eval('#hex-pane', (el) => (el as HTMLElement).dataset.hex), x.name).toBe(x.hex);
      expect(await p.isHidden('#frame-error'), x.name).toBe(true);
    }

    // A frame cut short: shown byte for byte, with the decoder's error; text that is not hex is refused.
    const cut = golden('vxlan_ipv4').hex.slice(0, 60 * 2);
    await p.fill('#paste-hex', cut);
    await p.click('#decode-hex');
    expect(await p.$eval('#hex-pane', (el) => (el as HTMLElement).dataset.hex)).toBe(cut);
    expect(await p.textContent('#tree .error')).toMatch(/^decode: \w+ at byte \d+: /);
    await p.fill('#paste-hex', '02 00 0');
    await p.click('#decode-hex');
    expect(await p.textContent('#paste-error')).toContain('not hex');
  });

  it('Overhead: VXLAN over IPv4 is 50 bytes, leaving 1450 of a 1500 MTU; 8950 of 9000', async () => {
    const p = s.page;
    await p.click('#tab-overhead');
    await p.selectOption('#oh-stack', 'ether,ipv4,udp,vxlan,ether');
    const figure = (k: string): Promise<string> => p.$eval(`#oh-figures tr[data-figure="${k}"] td.num`, (e) => e.textContent ?? '');
    expect(await figure('overhead')).toBe('50');
    expect(await figure('inner MTU')).toBe('1450');
    expect(await figure('required MTU')).toBe('1550');
    expect(await p.$$eval('#oh-bar .seg', (els) => els.map((e) => Number((e as HTMLElement).dataset.bytes)))).toEqual([14, 20, 8, 8, 14, 1450]);
    await p.screenshot({ path: join(SHOTS, 'overhead.png') });
    await p.fill('#oh-mtu', '9000');
    expect(await figure('inner MTU')).toBe('8950');
    await p.fill('#oh-mtu', '1500');
  });

  it('Page walk: the entries shown are those the Node walker reads for the same image, 4 and 5 levels, and the 2D walk has 24 references', async () => {
    const p = s.page;
    await p.click('#tab-pagewalk');
    interface Image {
      levels: 4 | 5;
      memSize: number;
      tablesAt: number;
      tablesEnd: number;
      mappings: { va: string; pa: number; size: PageSize; flags: PageFlags }[];
    }
    const probes = await p.$$eval('.probes button', (bs) => bs.map((b) => b.textContent ?? ''));
    expect(probes.length).toBeGreaterThanOrEqual(6);
    const statuses = new Set<string>();
    for (const levels of ['4', '5']) {
      await p.selectOption('#pw-levels', levels);
      for (const label of probes) {
        await p.click(`.probes button:text-is("${label}")`);
        const img = JSON.parse((await p.$eval('#pw-mappings', (e) => (e as HTMLElement).dataset.image))!) as Image;
        expect(img.levels).toBe(Number(levels));
        const va = BigInt((await p.inputValue('#pw-va')).trim());
        const access = Number(await p.inputValue('#pw-access'));
        const user = (await p.inputValue('#pw-mode')) === 'user';
        const shown = await p.$$eval('#pw-entries tr.entry', (rows) => rows.map((r) => ({ level: Number((r as HTMLElement).dataset.level), ea: Number((r as HTMLElement).dataset.ea), lo: Number((r as HTMLElement).dataset.lo), hi: Number((r as HTMLElement).dataset.hi) })));
        const res = await p.$eval('#walk-result', (e) => ({ ...(e as HTMLElement).dataset }));

        // The same image built and walked by the Node build.
        const mem = new PhysicalMemory(img.memSize);
        const pt = new PageTableBuilder(mem, { levels: img.levels, tablesAt: img.tablesAt, tablesEnd: img.tablesEnd });
        for (const m of img.mappings) pt.map(BigInt(m.va), m.pa, m.size, m.flags);
        const w = new PageWalker(mem, { levels: img.levels });
        const st = w.walk(pt.cr3, vaHi(va), vaLo(va), access, user);
        const reads = Array.from({ length: w.refCount }, (_, i) => ({ level: img.levels - i, ea: w.refs[i]!, lo: mem.readLo(w.refs[i]!) >>> 0, hi: mem.readHi(w.refs[i]!) >>> 0 }));
        expect(shown, `${label}, ${levels} levels`).toEqual(reads);
        expect(Number(res.status), label).toBe(st);
        if (st === 0) expect(Number(res.pa), label).toBe(w.pa);
        if (st === 1) expect(Number(res.errorCode), label).toBe(w.errorCode);
        statuses.add(`${st}:${w.errorCode}`);
      }
    }
    // The probes cover a translation, #GP, and page faults with different error codes.
    expect(statuses.has('0:0')).toBe(true);
    expect(statuses.has('2:0')).toBe(true);
    expect([...statuses].filter((x) => x.startsWith('1:')).length).toBeGreaterThanOrEqual(3);

    // The 2D walk of "user reads code" with a 4-level guest on a 4-level EPT: (4+1)(4+1) − 1.
    await p.selectOption('#pw-levels', '4');
    await p.selectOption('#ept-levels', '4');
    await p.click('.probes button:text-is("user reads code")');
    const cells = await p.$$eval('#ept-grid td.ref', (els) => els.map((e) => ({ i: Number((e as HTMLElement).dataset.ref), hpa: Number((e as HTMLElement).dataset.hpa), kind: Number((e as HTMLElement).dataset.kind) })));
    expect(cells).toHaveLength(24);
    const img = JSON.parse((await p.$eval('#pw-mappings', (e) => (e as HTMLElement).dataset.image))!) as Image;
    const setup = JSON.parse((await p.$eval('#ept-grid', (e) => (e as HTMLElement).dataset.setup))!) as { hostSize: number; hostBase: number; ramSize: number; eptAt: number; eptEnd: number; eptLevels: 4 | 5 };
    expect(setup.eptLevels).toBe(4);
    const host = new PhysicalMemory(setup.hostSize);
    const vm = new Vm(host, { hostBase: setup.hostBase, ramSize: setup.ramSize, eptAllocator: new FrameAllocator(host, setup.eptAt, setup.eptEnd), eptLevels: 4, guest: { levels: 4 } });
    const gpt = new PageTableBuilder(vm.guestMem, { levels: 4, allocator: new FrameAllocator(vm.guestMem, img.tablesAt, img.tablesEnd) });
    for (const m of img.mappings) gpt.map(BigInt(m.va), m.pa, m.size, m.flags);
    const nw = new NestedWalker(host, vm.eptWalker, { levels: 4 });
    expect(nw.walk(gpt.cr3, 0, 0x400123, 0, true)).toBe(0);
    expect(nw.refCount).toBe(24);
    const byOrder = [...cells].sort((a, b) => a.i - b.i);
    expect(byOrder).toEqual(Array.from({ length: 24 }, (_, i) => ({ i, hpa: nw.refs[i]!, kind: nw.refKinds[i]! })));
    // Laid out as a grid: row r holds 4 EPT references then guest entry r (the last row: the final address's EPT walk).
    const rows = await p.$$eval('#ept-grid tr', (trs) => trs.slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.classList.contains('guest') ? 'G' : td.classList.contains('ept') ? 'E' : '-')).join('')));
    expect(rows).toEqual(['EEEEG', 'EEEEG', 'EEEEG', 'EEEEG', 'EEEE-']);
    // A 2 MiB guest page: no guest PT level, so 3 × (4 + 1) + 4 = 19 references, the PT row empty.
    await p.click('.probes button:text-is("2 MiB page")');
    const rows2m = await p.$$eval('#ept-grid tr', (trs) => trs.slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.classList.contains('guest') ? 'G' : td.classList.contains('ept') ? 'E' : '-')).join('')));
    expect(rows2m).toEqual(['EEEEG', 'EEEEG', 'EEEEG', '-----', 'EEEE-']);
    await p.click('.probes button:text-is("user reads code")');
    await p.screenshot({ path: join(SHOTS, 'pagewalk.png'), fullPage: true });
    await p.selectOption('#pw-levels', '5');
    await p.click('.probes button:text-is("1 GiB page")');
    expect(await p.$$eval('#pw-split .part', (els) => els.map((e) => e.querySelector('.pname')!.textContent))).toEqual(['sign extension', 'PML5 index', 'PML4 index', 'PDPT index', 'offset in the 1 GiB page']);
    await p.screenshot({ path: join(SHOTS, 'pagewalk-5level.png'), fullPage: true });
    await p.selectOption('#pw-levels', '4');
    await p.click('.probes button:text-is("user writes code")');
    await p.screenshot({ path: join(SHOTS, 'pagewalk-fault.png') });
  });

  it('TLB: the default trace hits and misses as counted by hand, with and without PCIDs', async () => {
    const p = s.page;
    await p.click('#tab-tlb');
    await p.selectOption('#tlb-geometry', '4x2');
    await p.click('#tlb-reset');
    await p.click('#tlb-step');
    await p.click('#tlb-step');
    expect(await p.$$eval('#tlb-steps li.done, #tlb-steps li.cur', (els) => els.length)).toBe(2);
    await p.click('#tlb-run');
    const results = await p.$$eval('#tlb-steps li', (lis) => lis.map((li) => [...li.querySelectorAll('.res')].map((r) => r.textContent)));
    const col = (i: number): string => results.map((r) => ({ hit: 'H', miss: 'M', flush: '|', keep: '|' })[r[i] as 'hit'] ?? '?').join('');
    // 4 sets x 2 ways, LRU. Pages: A/B 0x400 → set 0, 0x401 → set 1, 0x402 → set 2, the kernel
    // page (VPN 0x1ffffff81000) → set 0. Without PCIDs each switch drops all but the global
    // kernel entry. With PCIDs B's 0x400 evicts A's (set 0 holds the kernel page and one more),
    // so only A's 0x400 misses again after the switch back.
    expect(col(0)).toBe('MMMHM|MMH|MMMH');
    expect(col(1)).toBe('MMMHM|MMH|MHHH');
    const counts = await p.$$eval('.side .counters', (els) => els.map((e) => [Number((e as HTMLElement).dataset.hits), Number((e as HTMLElement).dataset.misses)]));
    expect(counts).toEqual([
      [3, 9],
      [5, 7],
    ]);
    await p.screenshot({ path: join(SHOTS, 'tlb.png') });

    // INVLPG drops the page in both TLBs: the next access to it walks again, its neighbour still hits.
    await p.fill('#tlb-trace', '0x400000\n0x401000\ninvlpg 0x400000\n0x400000\n0x401000');
    await p.dispatchEvent('#tlb-trace', 'change');
    await p.click('#tlb-run');
    const inv = await p.$$eval('#tlb-steps li', (lis) => lis.map((li) => [...li.querySelectorAll('.res')].map((r) => r.textContent).join(',')));
    expect(inv).toEqual(['miss,miss', 'miss,miss', 'drop,drop', 'miss,miss', 'hit,hit']);
  });

  it('Netsim: the default scenario as forwarded by hand, and per port the frames the Node engine sees', async () => {
    const p = s.page;
    await p.click('#tab-netsim');
    const rows = await p.$$eval('#ns-events tr[data-event]', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    // Two switches, VLAN 10 and 20 on each side of a trunk: the ARP request floods VLAN 10 (pc3
    // only), the reply goes back to the learnt pc1, the VLAN 20 broadcast reaches pc4 only, and a
    // tagged frame into an access port is dropped (Open vSwitch's access-port rule).
    expect(rows.map((r) => r.slice(1, 3))).toEqual([
      ['sw1/pc1', 'sw2/pc3'],
      ['sw2/pc3', 'sw1/pc1'],
      ['sw1/pc2', 'sw2/pc4'],
      ['sw1/pc1', '—'],
    ]);
    expect(rows[3]![3]).toContain('access port');

    // Every port's crossings, as the page lists them, equal what the Node build's engine reports.
    const doc = JSON.parse(await p.inputValue('#ns-scenario')) as unknown;
    const seen = new Map<string, { time: number; dir: string; hex: string }[]>();
    simulateScenario(doc, {
      sink: {
        frame(port, direction, time, bytes, length) {
          const list = seen.get(port.name) ?? [];
          list.push({ time, dir: direction === DIR_IN ? 'in' : 'out', hex: bytesToHex(bytes.subarray(0, length)) });
          seen.set(port.name, list);
        },
      },
    });
    const ports = await p.$$eval('#ns-topology button[data-port]', (bs) => bs.map((b) => (b as HTMLElement).dataset.port!));
    expect(ports).toEqual(['sw1/pc1', 'sw1/pc2', 'sw1/up', 'sw2/up', 'sw2/pc3', 'sw2/pc4']);
    for (const port of ports) {
      await p.click(`#ns-topology button[data-port="${port}"]`);
      const shown = await p.$$eval('#ns-crossings tr[data-hex]', (trs) => trs.map((tr) => ({ time: Number((tr as HTMLElement).dataset.time), dir: tr.querySelectorAll('td')[1]!.textContent!, hex: (tr as HTMLElement).dataset.hex! })));
      expect(shown, port).toEqual(seen.get(port) ?? []);
    }
    // The trunk carries the VLAN 10 request tagged: its bytes open in the Frames view.
    await p.click('#ns-topology button[data-port="sw2/up"]');
    const first = (await p.$eval('#ns-crossings tr[data-hex]', (tr) => (tr as HTMLElement).dataset.hex))!;
    expect(first.slice(24, 32)).toBe('8100000a');
    await p.screenshot({ path: join(SHOTS, 'netsim.png') });
    await p.click('#ns-crossings tr[data-hex] button');
    expect(await p.isVisible('#view-frames')).toBe(true);
    expect(await p.$eval('#hex-pane', (el) => (el as HTMLElement).dataset.hex)).toBe(first);
    expect(await p.$$eval('#tree summary b', (els) => els.map((e) => e.textContent))).toEqual(['ether', 'dot1q', 'arp']);
  });

  it.each(['vxlan-flood-learn.json', 'vxlan-hypervisors.json', 'vxlan-mtu-1500.json', 'vxlan-fragment.json'])(
    'Netsim: the VTEP scenario %s gives the events and every port crossing of the Node engine',
    async (name) => {
      const p = s.page;
      await p.click('#tab-netsim');
      const text = readFileSync(join(ROOT, 'fixtures', 'netsim', name), 'utf8');
      await p.fill('#ns-scenario', text);
      await p.click('#ns-run');
      expect(await p.isHidden('#ns-error')).toBe(true);

      const seen = new Map<string, { time: number; dir: string; hex: string }[]>();
      const result = simulateScenario(JSON.parse(text) as unknown, {
        sink: {
          frame(port, direction, time, bytes, length) {
            const list = seen.get(port.name) ?? [];
            list.push({ time, dir: direction === DIR_IN ? 'in' : 'out', hex: bytesToHex(bytes.subarray(0, length)) });
            seen.set(port.name, list);
          },
        },
      });
      const rows = await p.$$eval('#ns-events tr[data-event]', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      expect(rows).toEqual(result.records.map((r) => [String(r.index), r.port, r.delivered.join(', ') || '—', r.dropped ?? '']));
      // Underlay ports and each VNI's interface are ports too: the page lists them all, grouped
      // by device (the underlay segment's ports together).
      const ports = await p.$$eval('#ns-topology button[data-port]', (bs) => bs.map((b) => (b as HTMLElement).dataset.port!));
      expect([...ports].sort()).toEqual(result.network.sim.ports.map((port) => port.name).sort());
      expect(ports.some((port) => port.endsWith('/underlay'))).toBe(true);
      for (const port of ports) {
        await p.click(`#ns-topology button[data-port="${port}"]`);
        const shown = await p.$$eval('#ns-crossings tr[data-hex]', (trs) => trs.map((tr) => ({ time: Number((tr as HTMLElement).dataset.time), dir: tr.querySelectorAll('td')[1]!.textContent!, hex: (tr as HTMLElement).dataset.hex! })));
        expect(shown, `${name} ${port}`).toEqual(seen.get(port) ?? []);
      }
    },
  );

  it('the page logged no console error, threw nothing and fetched nothing but its own files', () => {
    expect(s.errors).toEqual([]);
    const foreign = s.requests.filter((u) => !u.startsWith(s.server.url) && !u.startsWith('blob:') && !u.startsWith('data:'));
    expect(foreign).toEqual([]);
    expect(s.requests).toContain(s.server.url + 'web/virtkit.js');
  });
});
