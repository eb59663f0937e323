/**
 * Overhead view: the figures of `virtkit overhead` for a stack and an underlay MTU (measured by
 * the core from encoded frames), drawn as one bar: the link header outside the MTU, each tunnel
 * header, the inner header, and what is left for the inner IP packet.
 */
import { encapsulationOverhead, VirtkitError, type Overhead } from 'virtkit';
import { h } from './dom.js';
import { OVERHEAD_STACKS, STACKS } from './protocols.js';

export interface OverheadControl {
  /** Show the overhead of a Frames preset's stack. */
  follow(stackId: string): void;
}

export function mountOverhead(root: HTMLElement): OverheadControl {
  const select = h('select', { id: 'oh-stack' }, ...OVERHEAD_STACKS.map((s) => h('option', { value: s.stack }, `${s.label} — ${s.stack}`)));
  const custom = h('input', { id: 'oh-custom', type: 'text', spellcheck: 'false', placeholder: 'or type a stack: ether,ipv4,udp,vxlan,ether' });
  const mtu = h('input', { id: 'oh-mtu', type: 'number', min: 0, max: 65535, value: 1500 });
  const errorBox = h('div', { id: 'oh-error', class: 'error', hidden: true });
  const figures = h('table', { id: 'oh-figures', class: 'figures' });
  const bar = h('div', { id: 'oh-bar', class: 'bar' });
  const legend = h('div', { class: 'bar-legend' });
  const compare = h('table', { id: 'oh-compare', class: 'grid compare' });

  root.append(
    h(
      'div',
      { class: 'controls' },
      h('label', {}, 'Stack ', select),
      custom,
      h('label', {}, 'Underlay MTU ', mtu),
    ),
    errorBox,
    h('div', { class: 'oh' }, h('div', {}, bar, legend, h('h2', {}, 'Every stack at this MTU'), compare), figures),
    h(
      'p',
      { class: 'note' },
      'Bytes are measured by encoding the stack with the core encoder (not looked up). The underlay MTU counts what the link carries above its own header, so the outer Ethernet header and 802.1Q/802.1ad tags lie outside it; MPLS labels count against it.',
    ),
  );

  function render(): void {
    const stack = custom.value.trim() || select.value;
    let o: Overhead;
    try {
      o = encapsulationOverhead(stack, { mtu: Number(mtu.value) });
    } catch (e) {
      if (!(e instanceof VirtkitError)) throw e;
      errorBox.hidden = false;
      errorBox.textContent = e.message;
      return;
    }
    errorBox.hidden = true;
    const rows: [string, number, string][] = [
      ['overhead', o.overhead, 'every outer header, outer Ethernet included'],
      ['link header', o.linkHeader, 'outside the underlay MTU'],
      ['tunnel header', o.overhead - o.linkHeader, 'inside the MTU'],
      ['max inner frame', o.maxInnerFrame, 'MTU − tunnel header'],
      ['inner header', o.innerHeader, 'in front of the inner IP packet'],
      ['inner MTU', o.innerMtu, 'largest inner IP packet'],
      ['required MTU', o.requiredMtu, 'underlay MTU for an inner MTU of 1500'],
    ];
    figures.replaceChildren(
      h('tr', {}, h('th', {}, 'layer'), h('th', {}, 'bytes'), h('th', {}, '')),
      ...o.layers.map((l, i) => h('tr', { class: `L${i % 8}` }, h('td', {}, l.token), h('td', { class: 'num' }, String(l.bytes)), h('td', {}, ''))),
      ...rows.map(([k, v, why]) => h('tr', { 'data-figure': k }, h('td', {}, k), h('td', { class: 'num' }, String(v)), h('td', { class: 'why' }, why))),
    );
    // The bar, to scale: link header | tunnel headers | inner header | inner IP packet.
    const total = o.linkHeader + o.mtu;
    const seg = (cls: string, bytes: number, label: string, title: string): HTMLElement =>
      h('div', { class: `seg ${cls}`, style: `flex:${bytes} 1 0px`, title: `${title}: ${bytes} bytes`, 'data-bytes': bytes }, bytes / total > 0.04 ? h('span', {}, label) : null);
    const links = countLink(o);
    const parts: HTMLElement[] = o.layers.map((l, i) => seg(`L${i % 8}${i < links ? ' link' : ''}`, l.bytes, `${l.layer} ${l.bytes}`, l.token));
    if (o.innerHeader > 0) parts.push(seg('inner-head', o.innerHeader, `inner ${o.innerHeader}`, 'inner header'));
    parts.push(seg('payload', o.innerMtu, `inner IP packet ≤ ${o.innerMtu} bytes`, 'inner MTU'));
    // The same headers enlarged (only they, each to scale among them), so small ones can be read.
    const heads = o.layers.map((l, i) => ({ cls: `L${i % 8}${i < links ? ' link' : ''}`, bytes: l.bytes, label: `${l.token} ${l.bytes}` }));
    if (o.innerHeader > 0) heads.push({ cls: 'inner-head', bytes: o.innerHeader, label: `inner header ${o.innerHeader}` });
    bar.replaceChildren(
      h('div', { class: 'mtu-mark', style: `left:${(100 * o.linkHeader) / total}%` }, h('span', {}, `underlay MTU ${o.mtu}`)),
      h('div', { class: 'segs' }, parts),
      h('div', { class: 'zoom-label' }, 'the headers, enlarged:'),
      h('div', { class: 'segs zoom' }, heads.map((x) => h('div', { class: `hseg ${x.cls}`, style: `flex:${x.bytes} 1 0px` }, h('span', {}, x.label)))),
    );
    renderCompare(o.mtu);
    legend.textContent = `${o.overhead} bytes of headers around the inner packet; ${((100 * (o.overhead - o.linkHeader)) / Math.max(1, o.mtu)).toFixed(1)}% of the MTU goes to the tunnel.`;
  }

  function renderCompare(mtuBytes: number): void {
    const rows = OVERHEAD_STACKS.map((x) => {
      try {
        return { ...x, o: encapsulationOverhead(x.stack, { mtu: mtuBytes }) };
      } catch {
        return { ...x, o: undefined };
      }
    });
    const widest = Math.max(1, ...rows.map((r) => (r.o ? r.o.overhead : 0)));
    compare.replaceChildren(
      h('tr', {}, ...['stack', 'overhead', 'inner MTU', 'required MTU', ''].map((t) => h('th', {}, t))),
      ...rows.map((r) =>
        h(
          'tr',
          { class: r.stack === (custom.value.trim() || select.value) ? 'cur' : '' },
          h('td', {}, r.label),
          h('td', { class: 'num' }, r.o ? String(r.o.overhead) : '—'),
          h('td', { class: 'num' }, r.o ? String(r.o.innerMtu) : 'too small'),
          h('td', { class: 'num' }, r.o ? String(r.o.requiredMtu) : '—'),
          h('td', { class: 'minibar' }, r.o ? h('div', { style: `width:${(100 * r.o.overhead) / widest}%` }) : null),
        ),
      ),
    );
  }

  function countLink(o: Overhead): number {
    let n = 0;
    let bytes = 0;
    while (n < o.layers.length && bytes < o.linkHeader) bytes += o.layers[n++]!.bytes;
    return n;
  }

  select.addEventListener('change', () => {
    custom.value = '';
    render();
  });
  custom.addEventListener('input', render);
  mtu.addEventListener('input', render);
  render();
  return {
    follow(stackId) {
      const s = STACKS.find((x) => x.id === stackId);
      if (!s) return;
      select.value = s.overhead;
      custom.value = '';
      render();
    },
  };
}
