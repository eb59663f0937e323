/** The page: five views on the browser bundle of virtkit's core, switched by tabs (and #hash). */
import { $ } from './dom.js';
import { mountFrames } from './frames.js';
import { mountNetsim } from './netsim.js';
import { mountOverhead } from './overhead.js';
import { mountPageWalk } from './pagewalk.js';
import { mountTlb } from './tlb.js';

const VIEWS = ['frames', 'overhead', 'pagewalk', 'tlb', 'netsim'] as const;
type View = (typeof VIEWS)[number];

function show(view: View): void {
  for (const v of VIEWS) {
    $(`#view-${v}`).hidden = v !== view;
    $(`#tab-${v}`).setAttribute('aria-selected', String(v === view));
  }
  if (location.hash !== `#${view}`) history.replaceState(null, '', `#${view}`);
}

const overhead = mountOverhead($('#view-overhead'));
const frames = mountFrames($('#view-frames'), (stackId) => overhead.follow(stackId));
overhead.follow('vxlan');
mountPageWalk($('#view-pagewalk'));
mountTlb($('#view-tlb'));
mountNetsim($('#view-netsim'), (hex) => {
  frames.decodeHex(hex);
  show('frames');
});

for (const v of VIEWS) $(`#tab-${v}`).addEventListener('click', () => show(v));
const fromHash = (): View => (VIEWS as readonly string[]).includes(location.hash.slice(1)) ? (location.hash.slice(1) as View) : 'frames';
window.addEventListener('hashchange', () => show(fromHash()));
show(fromHash());
document.body.dataset.ready = 'true';
