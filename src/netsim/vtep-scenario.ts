/**
 * The VTEP part of a netsim scenario (the `vteps` array, see the netsim section of the README):
 *
 *   {"name": "vtep1", "ip": "192.168.100.1", "mac": "02:00:c0:a8:64:01",
 *    "vnis": [{"vni": 42, "group": "239.1.1.1"}, {"vni": 43, "flood": ["192.168.100.2"]}],
 *    "port": 4789, "mtu": 1500, "fragment": false, "ttl": 0, "srcport": [49152, 65536],
 *    "agingTime": 300}
 *
 * JSON in, VtepConfig out; every mistake is a VtepError naming its place (`vteps[1].vnis[0].group`).
 */
import { parseIpv4, parseMac } from '../bytes/addr.js';
import { VtepError, type VtepConfig, type VtepVniConfig } from './vtep.js';

const VTEP_KEYS = new Set(['name', 'ip', 'mac', 'vnis', 'port', 'mtu', 'fragment', 'ttl', 'srcport', 'agingTime']);
const VNI_KEYS = new Set(['vni', 'group', 'flood']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function ipv4(v: unknown, where: string): number {
  const n = typeof v === 'string' ? parseIpv4(v) : -1;
  if (n < 0) throw new VtepError(`${where}: ${JSON.stringify(v)} is not an IPv4 address`);
  return n;
}

function integer(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new VtepError(`${where}: ${JSON.stringify(v)} is not an integer`);
  return v;
}

function unknownKeys(o: Record<string, unknown>, known: Set<string>, where: string): void {
  for (const k of Object.keys(o)) if (!known.has(k)) throw new VtepError(`${where}: unknown field '${k}' (valid: ${[...known].join(', ')})`);
}

/** One VTEP object of a scenario → its configuration; `where` names it in errors (e.g. "vteps[0]"). */
export function vtepConfigFromJson(v: unknown, where: string): VtepConfig {
  if (!isObject(v)) throw new VtepError(`${where}: a VTEP is an object`);
  unknownKeys(v, VTEP_KEYS, where);
  if (typeof v.name !== 'string' || v.name === '' || v.name.includes('/')) throw new VtepError(`${where}.name: a VTEP needs a name without '/'`);
  const mac = typeof v.mac === 'string' ? parseMac(v.mac) : null;
  if (mac === null) throw new VtepError(`${where}.mac: ${JSON.stringify(v.mac)} is not a MAC address`);
  if (!Array.isArray(v.vnis) || v.vnis.length === 0) throw new VtepError(`${where}.vnis: a VTEP needs a list of VNIs`);
  const vnis = v.vnis.map((n: unknown, i: number): VtepVniConfig => {
    const at = `${where}.vnis[${i}]`;
    if (!isObject(n)) throw new VtepError(`${at}: a VNI is an object {"vni", "group" | "flood"}`);
    unknownKeys(n, VNI_KEYS, at);
    const c: VtepVniConfig = { vni: integer(n.vni, `${at}.vni`) };
    if (n.group !== undefined) c.group = ipv4(n.group, `${at}.group`);
    if (n.flood !== undefined) {
      if (!Array.isArray(n.flood)) throw new VtepError(`${at}.flood: a list of VTEP addresses`);
      c.flood = n.flood.map((a: unknown, j: number) => ipv4(a, `${at}.flood[${j}]`));
    }
    return c;
  });
  const c: VtepConfig = { name: v.name, ip: ipv4(v.ip, `${where}.ip`), mac, vnis };
  if (v.port !== undefined) c.port = integer(v.port, `${where}.port`);
  if (v.mtu !== undefined) c.mtu = integer(v.mtu, `${where}.mtu`);
  if (v.ttl !== undefined) c.ttl = integer(v.ttl, `${where}.ttl`);
  if (v.fragment !== undefined) {
    if (typeof v.fragment !== 'boolean') throw new VtepError(`${where}.fragment: true or false`);
    c.fragment = v.fragment;
  }
  if (v.srcport !== undefined) {
    if (!Array.isArray(v.srcport) || v.srcport.length !== 2) throw new VtepError(`${where}.srcport: [MIN, MAX] (MAX not included, as in ip-link's srcport)`);
    c.srcport = [integer(v.srcport[0], `${where}.srcport[0]`), integer(v.srcport[1], `${where}.srcport[1]`)];
  }
  if (v.agingTime !== undefined) {
    if (typeof v.agingTime !== 'number' || !(v.agingTime > 0)) throw new VtepError(`${where}.agingTime: a positive number of seconds`);
    c.agingTime = v.agingTime;
  }
  return c;
}
