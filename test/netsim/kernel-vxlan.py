#!/usr/bin/env python3
"""
Run a netsim VTEP scenario through the Linux kernel's vxlan device, the ground truth for a VTEP.

    kernel-vxlan.py SCENARIO.json OUTDIR   (as root)

Every VTEP of the scenario becomes a network namespace `vk15-<pid>-<i>` whose eth0 (the
scenario's underlay MAC, address and MTU) is a veth into a plain Linux bridge in its own
namespace `vk15-<pid>-ul` (the underlay segment). Each VNI is a vxlan device `vx<vni>`:

    ip link add vx<vni> type vxlan id VNI [group G] dev eth0 dstport PORT local IP
        srcport MIN MAX learning noudpcsum df set|unset ageing AGE

and a head-end replication list is `bridge fdb append 00:00:00:00:00:00 dst IP dev vx<vni>`
per listed VTEP. Things that would make the kernel send frames of its own are switched off:
IPv6 is disabled before any interface exists, the vxlan devices have no IP address, the
underlay neighbours are static (no ARP) and the bridge knows every VTEP's MAC (no unicast
flooding); TX checksum offload is off so captured checksums are final. The vxlan FDB is never
flushed (that would delete the all-zeros flood entry).

Switches (hypervisors' virtual switches: access ports and one port bound to a VTEP with a
VLAN -> VNI map) become one bridge per VLAN, see below.

Each event `{"vtep", "vni", "hex"}` is sent with an AF_PACKET socket on that VTEP's vx<vni>
(an event `{"port": "switch/port"}` on the VM end of that access port);
after each one the harness waits for the network to settle and records every VTEP's
`bridge fdb show dev vx<vni>`. tcpdump records each VTEP's underlay port (eth0, both
directions, IP only: IGMP joins and groups the VTEP did not join left out), what each
vx<vni> delivers (`-Q in`) and what each access port delivers to its VM.

Prints JSON: {"steps": [{"t0", "t1", "fdb": [{"vtep", "vni", "mac", "remote"}]}],
"captures": [{"iface", "file"}]}; t0/t1 are CLOCK_REALTIME nanoseconds bracketing the step,
the captures' timestamps are on the same clock. Everything created is removed on exit, also on
SIGTERM.
"""
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time

CLONE_NEWNET = 0x40000000
SETTLE = 0.15  # seconds after each send: delivery through veths and bridge is far quicker
libc = ctypes.CDLL(None, use_errno=True)


def run(*args, check=True):
    r = subprocess.run(args, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def ns_run(ns, *args, check=True):
    return run('ip', 'netns', 'exec', ns, *args, check=check)


def raw_socket_in(ns, ifname):
    """An AF_PACKET socket bound to ifname inside namespace ns (setns, open, setns back)."""
    own = os.open('/proc/self/ns/net', os.O_RDONLY)
    target = os.open(f'/var/run/netns/{ns}', os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f'setns {ns}')
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((ifname, 0))
        return s
    finally:
        libc.setns(own, CLONE_NEWNET)
        os.close(own)
        os.close(target)


def fdb_of(ns, vtep, vni):
    out = run('bridge', '-n', ns, '-j', 'fdb', 'show', 'dev', f'vx{vni}')
    rows = []
    for e in json.loads(out or '[]'):
        if 'dst' not in e or e['mac'] == '00:00:00:00:00:00':
            continue  # the device's own multicast addresses; the all-zeros flood entry
        rows.append({'vtep': vtep, 'vni': vni, 'mac': e['mac'], 'remote': e['dst']})
    return rows


def mtu_of(v):
    return str(v.get('mtu', 1500))


def main():
    scenario = json.load(open(sys.argv[1]))
    outdir = sys.argv[2]
    vteps = scenario['vteps']
    tag = f'vk15-{os.getpid()}'
    ul = f'{tag}-ul'
    names = [f'{tag}-{i}' for i in range(len(vteps))]
    created = []
    dumps = []
    socks = {}

    def stop(*_):
        raise SystemExit(1)

    signal.signal(signal.SIGTERM, stop)
    try:
        for ns in [ul] + names:
            run('ip', 'netns', 'add', ns)
            created.append(ns)
            ns_run(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1')
            run('ip', '-n', ns, 'link', 'set', 'lo', 'up')
        top_mtu = max(v.get('mtu', 1500) for v in vteps)
        run('ip', '-n', ul, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'mcast_snooping', '0')
        run('ip', '-n', ul, 'link', 'set', 'br0', 'mtu', str(top_mtu), 'up')
        by_index = {}
        for i, (v, ns) in enumerate(zip(vteps, names)):
            by_index[v['name']] = (i, ns)
            mtu = str(v.get('mtu', 1500))
            run('ip', '-n', ul, 'link', 'add', f'p{i}', 'mtu', str(top_mtu), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
            ns_run(ul, 'ethtool', '-K', f'p{i}', 'tx', 'off')
            run('ip', '-n', ul, 'link', 'set', f'p{i}', 'master', 'br0', 'up')
            run('bridge', '-n', ul, 'fdb', 'add', v['mac'], 'dev', f'p{i}', 'master', 'static')
            run('ip', '-n', ns, 'link', 'set', 'eth0', 'address', v['mac'], 'mtu', mtu)
            ns_run(ns, 'ethtool', '-K', 'eth0', 'tx', 'off')
            run('ip', '-n', ns, 'addr', 'add', f"{v['ip']}/24", 'dev', 'eth0')
            run('ip', '-n', ns, 'link', 'set', 'eth0', 'up')
        for v, ns in zip(vteps, names):
            for w in vteps:
                if w is not v:
                    run('ip', '-n', ns, 'neigh', 'add', w['ip'], 'lladdr', w['mac'], 'dev', 'eth0', 'nud', 'permanent')
            lo, hi = v.get('srcport', [49152, 65536])
            for n in v['vnis']:
                dev = f"vx{n['vni']}"
                cmd = ['ip', '-n', ns, 'link', 'add', dev, 'type', 'vxlan', 'id', str(n['vni'])]
                if 'group' in n:
                    cmd += ['group', n['group']]
                cmd += ['dev', 'eth0', 'dstport', str(v.get('port', 4789)), 'local', v['ip'],
                        'srcport', str(lo), str(hi), 'learning', 'noudpcsum',
                        'df', 'unset' if v.get('fragment') else 'set',
                        'ageing', str(v.get('agingTime', 300))]
                if 'ttl' in v:
                    cmd += ['ttl', str(v['ttl'])]
                run(*cmd)
                i = by_index[v['name']][0]
                # A MAC of its own that no scenario frame uses (the kernel drops inner frames whose
                # source is the device's own address).
                run('ip', '-n', ns, 'link', 'set', dev, 'address', f"02:7f:00:{i:02x}:{(n['vni'] >> 8) & 0xff:02x}:{n['vni'] & 0xff:02x}")
                # Linux caps a vxlan device's MTU at the underlay's minus the 50 bytes of headers;
                # frames larger than that (the scenario's MTU failures) get in through an MTU set
                # while eth0 is briefly larger.
                biggest = max([len(e['hex']) // 2 - 14 for e in scenario['events']
                               if e.get('vtep') == v['name'] and e.get('vni') == n['vni']] + [0])
                if biggest > int(mtu_of(v)) - 50:
                    run('ip', '-n', ns, 'link', 'set', 'eth0', 'mtu', str(biggest + 50))
                    run('ip', '-n', ns, 'link', 'set', dev, 'mtu', str(biggest))
                    run('ip', '-n', ns, 'link', 'set', 'eth0', 'mtu', mtu_of(v))
                run('ip', '-n', ns, 'link', 'set', dev, 'up')
                for remote in n.get('flood', []):
                    run('bridge', '-n', ns, 'fdb', 'append', '00:00:00:00:00:00', 'dst', remote, 'dev', dev)

        # Hypervisor switches: one plain Linux bridge per VLAN (this kernel may lack bridge VLAN
        # filtering, and access ports need none): VLAN 10's bridge holds the switch's access
        # ports of VLAN 10 and, when its port bound to a VTEP maps 10 -> 42, that VTEP's vx42 -
        # the hypervisor network of many Linux hosts. Access ports are veth pairs: the bridge
        # side is the switch port, the other end is where the VM sends and receives (frames in;
        # `-Q in` captures what the switch delivered).
        switch_ports = {}  # "switch/port" -> (namespace, VM-side interface)
        for k, sw in enumerate(scenario.get('switches', [])):
            bound = [p for p in sw['ports'] if 'vtep' in p]
            if len(bound) != 1:
                raise RuntimeError(f"switch {sw['name']}: the harness needs exactly one port bound to a VTEP")
            ns = by_index[bound[0]['vtep']][1]
            bridges = {}

            def bridge_of(vlan):
                if vlan not in bridges:
                    br = f'b{k}v{vlan}'
                    run('ip', '-n', ns, 'link', 'add', br, 'type', 'bridge', 'stp_state', '0', 'mcast_snooping', '0')
                    run('ip', '-n', ns, 'link', 'set', br, 'up')
                    bridges[vlan] = br
                return bridges[vlan]

            for vlan, vni in bound[0]['map'].items():
                run('ip', '-n', ns, 'link', 'set', f'vx{vni}', 'master', bridge_of(int(vlan)))
            for i, p in enumerate(sw['ports']):
                if 'vtep' in p:
                    continue
                if 'vlan' not in p or set(p) - {'name', 'vlan'}:
                    raise RuntimeError(f"switch {sw['name']} port {p['name']}: the harness knows access ports only")
                port, vm = f's{k}p{i}', f's{k}p{i}v'
                run('ip', '-n', ns, 'link', 'add', port, 'type', 'veth', 'peer', 'name', vm)
                for dev in (port, vm):
                    ns_run(ns, 'ethtool', '-K', dev, 'tx', 'off')
                run('ip', '-n', ns, 'link', 'set', port, 'master', bridge_of(p['vlan']), 'up')
                run('ip', '-n', ns, 'link', 'set', vm, 'up')
                switch_ports[f"{sw['name']}/{p['name']}"] = (ns, vm)

        captures = []

        def dump(ns, iface, args, label):
            path = os.path.join(outdir, label.replace('/', '-') + '.pcap')
            p = subprocess.Popen(['ip', 'netns', 'exec', ns, 'tcpdump', '-i', iface, '-U', '-n', '-s', '0',
                                  '--immediate-mode', '--time-stamp-precision=nano', '-w', path] + args,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            dumps.append(p)
            line = p.stderr.readline()  # "tcpdump: listening on …" once the capture is open
            if 'listening' not in line:
                raise RuntimeError(f'tcpdump on {ns}/{iface}: {line.strip()}')
            captures.append({'iface': label, 'file': path})

        for v, ns in zip(vteps, names):
            # The plain bridge floods every multicast packet to every port; a VTEP's capture leaves
            # out groups it did not join, as a NIC's multicast filter (or a snooping switch)
            # would. The kernel does not deliver them either.
            groups = sorted({n['group'] for n in v['vnis'] if 'group' in n})
            joined = ' or '.join(f'dst host {g}' for g in groups)
            keep = f'not ip multicast or ({joined})' if groups else 'not ip multicast'
            dump(ns, 'eth0', [f'ip and not igmp and ({keep})'], f"{v['name']}/underlay")
            for n in v['vnis']:
                dump(ns, f"vx{n['vni']}", ['-Q', 'in'], f"{v['name']}/vni-{n['vni']}")
                socks[(v['name'], n['vni'])] = raw_socket_in(ns, f"vx{n['vni']}")
        for label, (ns, vm) in switch_ports.items():
            dump(ns, vm, ['-Q', 'in'], label)
            socks[label] = raw_socket_in(ns, vm)
        time.sleep(0.3)  # IGMP joins and any start-up traffic pass before the first event

        steps = []
        for ev in scenario['events']:
            t0 = time.time_ns()
            sock = socks[ev['port']] if 'port' in ev else socks[(ev['vtep'], ev['vni'])]
            sock.send(bytes.fromhex(ev['hex']))
            time.sleep(SETTLE)
            fdb = []
            for v, ns in zip(vteps, names):
                for n in v['vnis']:
                    fdb += fdb_of(ns, v['name'], n['vni'])
            steps.append({'t0': t0, 't1': time.time_ns(), 'fdb': fdb})
        time.sleep(0.1)
        for p in dumps:
            p.send_signal(signal.SIGINT)
        for p in dumps:
            p.wait(timeout=10)
        dumps.clear()
        print(json.dumps({'steps': steps, 'captures': captures}))
    finally:
        for s in socks.values():
            s.close()
        for p in dumps:
            p.kill()
            p.wait()
        for ns in reversed(created):
            run('ip', 'netns', 'del', ns, check=False)


if __name__ == '__main__':
    main()
