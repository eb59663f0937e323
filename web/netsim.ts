/**
 * Netsim view: a scenario (switches, links, the frames hosts send) run by the core's netsim
 * engine; its topology, what became of each frame, and per port the frames that crossed it,
 * each one a click away from the Frames view's bytes and tree.
 */
import * as vk from 'virtkit';
import { h } from './dom.js';

/**
 * Two switches joined by a trunk: VLAN 10 and 20 hosts on each side. An ARP request floods
 * VLAN 10 (tagged over the trunk), the reply goes straight back (both switches learnt the
 * requester), a VLAN 20 broadcast stays in VLAN 20, and a tagged frame sent into an access port
 * is dropped, as Open vSwitch does.
 */
export const DEFAULT_SCENARIO = {
  switches: [
    { name: 'sw1', ports: [{ name: 'pc1', vlan: 10 }, { name: 'pc2', vlan: 20 }, { name: 'up', trunks: [10, 20] }] },
    { name: 'sw2', ports: [{ name: 'up', trunks: [10, 20] }, { name: 'pc3', vlan: 10 }, { name: 'pc4', vlan: 20 }] },
  ],
  links: [['sw1/up', 'sw2/up']],
  events: [
    {
      time: '0.1',
      port: 'sw1/pc1',
      layers: [
        { layer: 'ether', dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:01' },
        { layer: 'arp', op: 1, hwsrc: '02:00:00:00:00:01', psrc: '10.0.10.1', pdst: '10.0.10.3' },
      ],
    },
    {
      time: '0.2',
      port: 'sw2/pc3',
      layers: [
        { layer: 'ether', dst: '02:00:00:00:00:01', src: '02:00:00:00:00:03' },
        { layer: 'arp', op: 2, hwsrc: '02:00:00:00:00:03', psrc: '10.0.10.3', hwdst: '02:00:00:00:00:01', pdst: '10.0.10.1' },
      ],
    },
    {
      time: '0.3',
      port: 'sw1/pc2',
      layers: [
        { layer: 'ether', dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:02' },
        { layer: 'ipv4', src: '10.0.20.2', dst: '10.0.20.255' },
        { layer: 'udp', sport: 137, dport: 137 },
        { layer: 'raw', hex: '00000000' },
      ],
    },
    {
      time: '0.4',
      port: 'sw1/pc1',
      layers: [
        { layer: 'ether', dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:01' },
        { layer: 'dot1q', vid: 20 },
        { layer: 'arp', op: 1, hwsrc: '02:00:00:00:00:01', psrc: '10.0.20.1', pdst: '10.0.20.4' },
      ],
    },
  ],
};

/** A scenario as JSON with one line per switch, link and event (the whole thing fits on screen). */
export function compactJson(doc: Record<string, unknown>): string {
  const keys = Object.keys(doc);
  return `{\n${keys
    .map((k, i) => {
      const v = doc[k];
      const body = Array.isArray(v) ? `[\n${v.map((x) => '    ' + JSON.stringify(x)).join(',\n')}\n  ]` : JSON.stringify(v);
      return `  ${JSON.stringify(k)}: ${body}${i < keys.length - 1 ? ',' : ''}`;
    })
    .join('\n')}\n}`;
}

interface Crossing {
  time: number;
  dir: number;
  bytes: Uint8Array;
  comment?: string;
}

/** One line about a frame: addresses, tags and the layers in it. */
export function frameSummary(bytes: Uint8Array): string {
  const d = vk.decodeFrame(bytes);
  const parts = d.layers.map((l) => (l.layer === 'dot1q' || l.layer === 'dot1ad' ? `${l.layer} ${String(l.vid)}` : l.layer === 'arp' ? `arp ${l.op === 1 ? 'who-has ' + String(l.pdst) : 'reply ' + String(l.psrc)}` : l.layer));
  const e = d.layers[0];
  return `${e ? `${String(e.src)} → ${String(e.dst)} · ` : ''}${parts.join(' / ')}`;
}

export function mountNetsim(root: HTMLElement, openInFrames: (hex: string) => void): void {
  const text = h('textarea', { id: 'ns-scenario', rows: 24, spellcheck: 'false', wrap: 'off' });
  text.value = compactJson(DEFAULT_SCENARIO);
  const file = h('input', { type: 'file', accept: '.json,application/json', id: 'ns-file' });
  const errorBox = h('div', { class: 'error', id: 'ns-error', hidden: true });
  const topo = h('div', { id: 'ns-topology', class: 'topology' });
  const events = h('table', { id: 'ns-events', class: 'grid' });
  const portView = h('div', { id: 'ns-port' });

  root.append(
    h(
      'div',
      { class: 'ns' },
      h(
        'div',
        { class: 'col' },
        h('h2', {}, 'Scenario ', h('small', {}, 'the JSON of virtkit netsim')),
        text,
        h('div', { class: 'row' }, h('button', { type: 'button', id: 'ns-run', onclick: run }, 'Run'), file),
        errorBox,
      ),
      h('div', { class: 'col wide' }, h('h2', {}, 'Topology ', h('small', {}, 'click a port for the frames that crossed it')), topo, h('h2', {}, 'Events'), events, portView),
    ),
  );

  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (!f) return;
    void f.text().then((t) => {
      text.value = t;
      run();
    });
  });

  let crossings = new Map<string, Crossing[]>();

  function run(): void {
    let doc: unknown;
    try {
      doc = JSON.parse(text.value) as unknown;
    } catch (e) {
      return fail(`not JSON: ${(e as Error).message}`);
    }
    crossings = new Map();
    const sink: vk.FrameSink = {
      frame(port, direction, time, bytes, length, comment) {
        const list = crossings.get(port.name) ?? [];
        list.push({ time, dir: direction, bytes: bytes.slice(0, length), comment });
        crossings.set(port.name, list);
      },
    };
    let result: ReturnType<typeof vk.simulateScenario>;
    try {
      result = vk.simulateScenario(doc, { sink });
    } catch (e) {
      if (e instanceof vk.VirtkitError) return fail(e.message);
      throw e;
    }
    errorBox.hidden = true;
    renderTopology(result.network.sim);
    events.replaceChildren(
      h('tr', {}, ...['#', 'sent into', 'delivered to', 'dropped'].map((t) => h('th', {}, t))),
      ...result.records.map((r) => h('tr', { 'data-event': r.index }, h('td', {}, String(r.index)), h('td', { class: 'mono' }, r.port), h('td', { class: 'mono' }, r.delivered.join(', ') || '—'), h('td', {}, r.dropped ?? ''))),
    );
    portView.replaceChildren();
  }

  function fail(msg: string): void {
    errorBox.hidden = false;
    errorBox.textContent = msg;
  }

  function renderTopology(sim: vk.Simulation): void {
    const byDevice = new Map<string, vk.Port[]>();
    for (const p of sim.ports) {
      const list = byDevice.get(p.device.name) ?? [];
      list.push(p);
      byDevice.set(p.device.name, list);
    }
    const cards = [...byDevice].map(([name, ports]) =>
      h(
        'div',
        { class: 'device', 'data-device': name },
        h('div', { class: 'dname' }, `${name}`, h('small', {}, ` ${ports[0]!.device.kind}`)),
        ...ports.map((p) => {
          const list = crossings.get(p.name) ?? [];
          const ins = list.filter((c) => c.dir === vk.DIR_IN).length;
          const outs = list.length - ins;
          return h(
            'button',
            { type: 'button', class: `port${p.peer ? ' linked' : ' host'}`, 'data-port': p.name, onclick: () => showPort(p) },
            h('span', { class: 'pname' }, p.local),
            h('span', { class: 'peer' }, p.peer ? `↔ ${p.peer.name}` : 'host'),
            h('span', { class: 'cnt' }, `${ins} in · ${outs} out`),
          );
        }),
      ),
    );
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'links');
    topo.replaceChildren(h('div', { class: 'devices' }, cards), svg);
    links = sim.ports.filter((p) => p.peer && p.id < p.peer.id).map((p) => [p.name, p.peer!.name] as [string, string]);
    drawLinks();
  }

  let links: [string, string][] = [];

  /** A line between the two ports of each link (redrawn when the layout changes, e.g. the tab is shown). */
  function drawLinks(): void {
    const svg = topo.querySelector('svg.links');
    if (!svg) return;
    const box = topo.getBoundingClientRect();
    svg.setAttribute('width', String(box.width));
    svg.setAttribute('height', String(box.height));
    const at = (name: string): DOMRect | undefined => topo.querySelector(`[data-port="${CSS.escape(name)}"]`)?.getBoundingClientRect();
    const paths: string[] = [];
    for (const [a, b] of links) {
      let ra = at(a);
      let rb = at(b);
      if (!ra || !rb || ra.width === 0) continue;
      if (ra.left > rb.left) [ra, rb] = [rb, ra];
      const x1 = ra.right - box.left;
      const y1 = ra.top + ra.height / 2 - box.top;
      const x2 = rb.left - box.left;
      const y2 = rb.top + rb.height / 2 - box.top;
      const dx = Math.max(20, (x2 - x1) / 2);
      paths.push(`<path d="M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}" />`);
    }
    svg.innerHTML = paths.join('');
  }
  new ResizeObserver(drawLinks).observe(topo);

  function showPort(p: vk.Port): void {
    for (const b of topo.querySelectorAll('.port')) b.classList.toggle('on', (b as HTMLElement).dataset.port === p.name);
    const list = crossings.get(p.name) ?? [];
    portView.replaceChildren(
      h('h2', {}, `Frames that crossed ${p.name}`, h('small', {}, ' (in = into the device, out = out of it)')),
      list.length === 0
        ? h('p', { class: 'note' }, 'none')
        : h(
            'table',
            { class: 'grid', id: 'ns-crossings' },
            h('tr', {}, ...['time (s)', 'dir', 'bytes', 'frame', 'comment', ''].map((t) => h('th', {}, t))),
            ...list.map((c) =>
              h(
                'tr',
                { class: c.dir === vk.DIR_IN ? 'in' : 'out', 'data-hex': vk.bytesToHex(c.bytes), 'data-time': c.time },
                h('td', { class: 'mono' }, (c.time / 1e9).toFixed(9)),
                h('td', {}, c.dir === vk.DIR_IN ? 'in' : 'out'),
                h('td', { class: 'num' }, String(c.bytes.length)),
                h('td', { class: 'mono' }, frameSummary(c.bytes)),
                h('td', {}, c.comment ?? ''),
                h('td', {}, h('button', { type: 'button', class: 'small', onclick: () => openInFrames(vk.bytesToHex(c.bytes)) }, 'bytes')),
              ),
            ),
          ),
    );
  }

  run();
}
