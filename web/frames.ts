/**
 * Frames view: pick a stack, edit its layers in a form generated from the layouts, see the bytes
 * coloured by layer (the field under the pointer highlighted, as in Wireshark's bytes pane) and
 * the decoded tree; download the frame as pcapng; paste hex to decode it.
 */
import type { Layer, SecurityAssociation } from 'virtkit';
import { bytesToHex, hexToBytes } from 'virtkit';
import { download, h, hex2 } from './dom.js';
import { STACKS, dissect, encode, formFields, pcapng, type Dissection, type FormField } from './protocols.js';

export interface FramesState {
  stackId: string;
  layers: Layer[];
  /** The last frame that encoded (shown while the form holds an invalid value). */
  bytes: Uint8Array;
  /** Security associations for `esp` layers (the stack's, editable in the form). */
  sa?: SecurityAssociation[];
}

/** Called with the stack id when the user picks one (the Overhead view follows it). */
export type StackListener = (stackId: string) => void;

const clone = (layers: readonly Layer[]): Layer[] => layers.map((l) => ({ ...l }));

export interface FramesControl {
  readonly state: FramesState;
  /** Decode a frame given as hex, as if pasted (other views send frames here). */
  decodeHex(hex: string): void;
}

export function mountFrames(root: HTMLElement, onStack: StackListener): FramesControl {
  const first = STACKS.find((s) => s.id === 'vxlan')!;
  const state: FramesState = { stackId: first.id, layers: clone(first.layers), bytes: new Uint8Array(0), sa: first.sa };

  const picker = h('div', { class: 'picker', role: 'tablist', 'aria-label': 'stack' });
  const form = h('form', { id: 'layer-form', autocomplete: 'off' });
  const errorBox = h('div', { id: 'frame-error', class: 'error', role: 'alert', hidden: true });
  const info = h('span', { id: 'frame-info' });
  const hexPane = h('div', { id: 'hex-pane', class: 'hex' });
  const tree = h('div', { id: 'tree', class: 'tree' });
  const paste = h('textarea', { id: 'paste-hex', rows: 3, spellcheck: 'false', placeholder: 'Paste a frame as hex (spaces, colons and line breaks are ignored), then Decode' });
  const decodeErr = h('div', { id: 'paste-error', class: 'error', hidden: true });

  // Frames added to the capture; the download writes them, or the current frame when there are none.
  const kept: { label: string; bytes: Uint8Array }[] = [];
  const keptList = h('div', { id: 'kept', class: 'kept' });
  const downloadBtn = h('button', { type: 'button', id: 'download-pcapng', onclick: save }, 'Download .pcapng');

  function keep(): void {
    kept.push({ label: `${state.stackId}, ${state.bytes.length} bytes`, bytes: state.bytes });
    renderKept();
  }

  function renderKept(): void {
    downloadBtn.textContent = kept.length ? `Download .pcapng (${kept.length} frame${kept.length === 1 ? '' : 's'})` : 'Download .pcapng';
    keptList.replaceChildren(
      ...(kept.length ? [h('span', {}, 'Capture: ')] : []),
      ...kept.map((k, i) => h('span', { class: 'chip' }, `${i + 1}. ${k.label} `, h('button', { type: 'button', class: 'small', title: 'remove', onclick: () => (kept.splice(i, 1), renderKept()) }, '×'))),
    );
  }

  function save(): void {
    const frames = kept.length ? kept.map((k) => k.bytes) : [state.bytes];
    download(pcapng(frames, Math.floor(Date.now() / 1000)), kept.length ? 'virtkit-capture.pcapng' : `virtkit-${state.stackId}.pcapng`, 'application/vnd.tcpdump.pcap');
  }

  for (const s of STACKS) {
    picker.append(
      h('button', { type: 'button', 'data-stack': s.id, 'data-golden': s.golden, onclick: () => pickStack(s.id) }, s.label),
    );
  }

  root.append(
    h(
      'div',
      { class: 'frames' },
      h(
        'div',
        { class: 'col form-col' },
        h('h2', {}, 'Stack'),
        picker,
        h(
          'h2',
          { class: 'layers-head' },
          'Layers ',
          h('small', {}, 'empty = default or auto'),
          h('button', { type: 'button', id: 'clear-auto', class: 'small', title: 'Empty every auto field (lengths, checksums, next-protocol fields), so the encoder computes them again', onclick: clearAuto }, 'recompute auto fields'),
        ),
        form,
        h('h2', {}, 'Decode hex'),
        paste,
        h('div', { class: 'row' }, h('button', { type: 'button', id: 'decode-hex', onclick: () => decodePasted() }, 'Decode'), decodeErr),
      ),
      h(
        'div',
        { class: 'col out-col' },
        h(
          'div',
          { class: 'toolbar' },
          info,
          h('span', { class: 'row' }, h('button', { type: 'button', id: 'keep-frame', title: 'Add this frame to the capture the download writes', onclick: keep }, 'Add to capture'), downloadBtn),
        ),
        keptList,
        errorBox,
        h('div', { class: 'bt' }, hexPane, tree),
      ),
    ),
  );

  function pickStack(id: string): void {
    const s = STACKS.find((x) => x.id === id)!;
    state.stackId = id;
    state.layers = clone(s.layers);
    state.sa = s.sa?.map((x) => ({ ...x }));
    renderForm();
    update();
    onStack(id);
  }

  /** A decoded frame carries every auto field as found; after an edit the user may want them computed again. */
  function clearAuto(): void {
    for (const layer of state.layers) for (const f of formFields(layer)) if (f.auto) delete layer[f.name];
    renderForm();
    update();
  }

  function renderForm(): void {
    for (const b of picker.querySelectorAll('button')) b.classList.toggle('on', b.dataset.stack === state.stackId);
    const saBox = state.sa
      ? [
          h(
            'fieldset',
            { class: 'layer sa' },
            h('legend', {}, 'security association (JSON, as in a spec file\'s "sa")'),
            h('input', {
              type: 'text',
              id: 'sa-json',
              class: 'json',
              spellcheck: 'false',
              value: JSON.stringify(state.sa),
              oninput: (e: Event) => {
                try {
                  state.sa = JSON.parse((e.target as HTMLInputElement).value) as SecurityAssociation[];
                } catch {
                  // keep the last valid list until the JSON parses
                }
                update();
              },
            }),
          ),
        ]
      : [];
    form.replaceChildren(
      ...saBox,
      ...state.layers.map((layer, i) =>
        h(
          'fieldset',
          { class: `layer L${i % 8}`, 'data-layer': i },
          h('legend', {}, `${i} · ${layer.layer}`),
          ...formFields(layer).map((f) => fieldInput(layer, i, f)),
        ),
      ),
    );
  }

  function fieldInput(layer: Layer, i: number, f: FormField): HTMLElement {
    const v = layer[f.name];
    const text = v === undefined ? '' : f.input === 'json' ? JSON.stringify(v) : typeof v === 'number' && f.width >= 16 && /type|proto|chksum/.test(f.name) ? '0x' + v.toString(16) : String(v);
    const id = `f-${i}-${f.name}`;
    let input: HTMLInputElement;
    if (f.input === 'bool') {
      input = h('input', { type: 'checkbox', id, 'data-layer': i, 'data-field': f.name, checked: v === true });
      input.addEventListener('change', () => setValue(i, f, input.checked));
    } else {
      input = h('input', { type: 'text', id, value: text, placeholder: f.placeholder, 'data-layer': i, 'data-field': f.name, spellcheck: 'false', class: f.input });
      input.addEventListener('input', () => setValue(i, f, input.value));
    }
    const title = `${f.name}: ${f.about}${f.width > 0 ? ` (${f.width} bit${f.width === 1 ? '' : 's'}${f.auto ? ', computed when empty' : ''})` : ''}`;
    return h('label', { for: id, title }, h('span', { class: 'fname' }, f.name), input);
  }

  function setValue(i: number, f: FormField, raw: string | boolean): void {
    const layer = state.layers[i]!;
    if (typeof raw === 'boolean') layer[f.name] = raw;
    else {
      const t = raw.trim();
      if (t === '') delete layer[f.name];
      else if (f.input === 'uint') layer[f.name] = /^\d+$/.test(t) ? Number(t) : /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : t === 'true' ? true : t;
      else if (f.input === 'json') {
        try {
          layer[f.name] = JSON.parse(t) as unknown;
        } catch {
          layer[f.name] = t; // the encoder names the layer and field
        }
      } else layer[f.name] = t;
    }
    update();
  }

  function update(): void {
    for (const el of form.querySelectorAll('.invalid')) el.classList.remove('invalid');
    const r = encode(state.layers, state.sa);
    if ('error' in r) {
      errorBox.hidden = false;
      errorBox.textContent = r.error + (state.bytes.length ? ' — the bytes below are the last valid frame.' : '');
      const bad = form.querySelector(`[data-layer="${r.index}"][data-field="${r.field}"]`) ?? form.querySelector(`fieldset[data-layer="${r.index}"]`);
      bad?.classList.add('invalid');
      hexPane.classList.add('stale');
      return;
    }
    errorBox.hidden = true;
    hexPane.classList.remove('stale');
    state.bytes = r.bytes;
    show(r.bytes, dissect(r.bytes, state.sa));
  }

  function show(bytes: Uint8Array, d: Dissection): void {
    info.textContent = `${bytes.length} bytes · ${d.layers.map((l) => l.kind).join(' / ')}`;
    // For a tunnel stack: how many of those bytes the encapsulation adds around the inner packet.
    const preset = STACKS.find((x) => x.id === state.stackId);
    const outer = preset ? preset.overhead.split(',').length - 1 : 0;
    const innerStart = d.layers[outer]?.start;
    if (preset && innerStart !== undefined && innerStart >= 0 && d.layers.length > outer) {
      info.append(h('span', { id: 'encap-info', class: 'encap' }, ` · ${innerStart} bytes of ${d.layers.slice(0, outer).map((l) => l.kind).join('/')} around a ${bytes.length - innerStart}-byte inner packet`));
    }
    hexPane.dataset.hex = bytesToHex(bytes);
    // Which layer and field each byte belongs to (the innermost field listed wins).
    const layerAt = new Int16Array(bytes.length).fill(-1);
    const fieldAt = new Int16Array(bytes.length).fill(-1);
    d.layers.forEach((l, li) => {
      for (let b = l.start; b < l.end; b++) layerAt[b] = li;
      l.fields.forEach((f, fi) => {
        for (let b = f.start; b < f.end; b++) if (layerAt[b] === li && fieldAt[b]! < 0) fieldAt[b] = fi;
      });
    });
    const rows: HTMLElement[] = [];
    for (let r = 0; r < bytes.length; r += 16) {
      const cells: HTMLElement[] = [];
      const ascii: HTMLElement[] = [];
      for (let b = r; b < Math.min(r + 16, bytes.length); b++) {
        const li = layerAt[b]!;
        const cls = `b L${li % 8}`;
        cells.push(h('span', { class: cls, 'data-i': b, 'data-l': li, 'data-f': fieldAt[b]! }, hex2(bytes[b]!)));
        const c = bytes[b]!;
        ascii.push(h('span', { class: cls, 'data-i': b, 'data-l': li, 'data-f': fieldAt[b]! }, c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '·'));
      }
      rows.push(h('div', { class: 'hrow' }, h('span', { class: 'off' }, r.toString(16).padStart(4, '0')), h('span', { class: 'bytes' }, cells), h('span', { class: 'ascii' }, ascii)));
    }
    hexPane.replaceChildren(...rows);

    tree.replaceChildren(
      ...d.layers.map((l, li) =>
        h(
          'details',
          { open: true, class: `tl L${li % 8}`, 'data-l': li },
          h('summary', { 'data-l': li, 'data-f': -1 }, h('b', {}, l.kind), l.encrypted ? ' · decrypted with the SA (ciphertext on the wire)' : ` · ${l.end - l.start} bytes at ${l.start}–${l.end - 1}`),
          ...l.fields.map((f, fi) =>
            h('div', { class: 'tf', 'data-l': li, 'data-f': fi }, h('span', { class: 'fname' }, f.name), ': ', f.text, f.bits ? h('code', { class: 'bits' }, f.bits) : null),
          ),
        ),
      ),
      ...(d.error ? [h('div', { class: 'error' }, `decode: ${d.error}`)] : []),
    );
    current = d;
  }

  let current: Dissection = { layers: [] };

  function highlight(li: number, fi: number): void {
    for (const el of root.querySelectorAll('.hl')) el.classList.remove('hl');
    if (li < 0) return;
    const l = current.layers[li];
    if (!l) return;
    const span = fi >= 0 ? l.fields[fi] : l;
    if (!span) return;
    for (const el of hexPane.querySelectorAll<HTMLElement>('span.b, .ascii span')) {
      const b = Number(el.dataset.i);
      if (b >= span.start && b < span.end) el.classList.add('hl');
    }
    tree.querySelector(fi >= 0 ? `.tf[data-l="${li}"][data-f="${fi}"]` : `summary[data-l="${li}"]`)?.classList.add('hl');
  }

  const hover = (e: Event): void => {
    const t = (e.target as HTMLElement).closest<HTMLElement>('[data-l]');
    if (!t) return highlight(-1, -1);
    highlight(Number(t.dataset.l), Number(t.dataset.f ?? -1));
  };
  hexPane.addEventListener('mouseover', hover);
  tree.addEventListener('mouseover', hover);
  hexPane.addEventListener('mouseleave', () => highlight(-1, -1));
  tree.addEventListener('mouseleave', () => highlight(-1, -1));
  // A click on a byte or a tree row puts the cursor in the form input of its field.
  const focusField = (e: Event): void => {
    const t = (e.target as HTMLElement).closest<HTMLElement>('[data-l]');
    if (!t) return;
    const li = Number(t.dataset.l);
    const f = current.layers[li]?.fields[Number(t.dataset.f)];
    if (f) form.querySelector<HTMLInputElement>(`[data-layer="${li}"][data-field="${f.name}"]`)?.focus();
  };
  hexPane.addEventListener('click', focusField);
  tree.addEventListener('click', focusField);

  function decodePasted(): void {
    const text = paste.value.replace(/0x/gi, '').replace(/[\s:.-]/g, '');
    const bytes = text.length > 0 ? hexToBytes(text) : undefined;
    if (!bytes) {
      decodeErr.hidden = false;
      decodeErr.textContent = text.length === 0 ? 'nothing to decode' : 'not hex: an even number of digits 0-9, a-f';
      return;
    }
    decodeErr.hidden = true;
    const d = dissect(bytes, state.sa);
    state.stackId = 'pasted';
    state.layers = d.layers.map((l) => ({ ...l.layer }));
    renderForm();
    update();
    // Damaged bytes do not rebuild into a form; show them as they are.
    if (d.error) show(bytes, d);
  }
  paste.addEventListener('paste', () => setTimeout(decodePasted, 0));

  renderForm();
  update();
  return {
    state,
    decodeHex(hex) {
      paste.value = hex;
      decodePasted();
    },
  };
}
