#!/usr/bin/env python3
"""Runs switch scenarios through a real Open vSwitch and records what it does, for the netsim
cross-check (ovs-crosscheck.test.ts).

    ovs_switch.py RUNS.json OUTDIR

RUNS.json: {"bridges": [N0, N1, ...], "links": [[A, B], ...], "runs": [{"ports": [{"mode",
"vlan", "trunks", "cvlans", "tpid"}, ...], "linkPorts": [[CFG_A, CFG_B], ...], "vlanLimit": 1, "macTableSize": N,
"events": [{"port": i, "hex": "..."}]}]}: bridge b has Nb host ports (numbered on from bridge
0's: "ports" configures them in that order), and each link joins bridges A and B with a veth
pair whose two ends (configured by "linkPorts") are ports of A and B, added after their host
ports. Everything lives in a private world: an ovsdb-server and ovs-vswitchd (userspace
datapath, datapath_type=netdev) with their database, sockets, pid and log files in a temporary
directory, running inside a network namespace vk14-sw-PID; each host port is a veth pair whose
host end sits in its own namespace vk14-hI-PID. For every run the ports are configured, the MAC
tables flushed, tcpdump -Q in captures each host end, the frames are sent from the host ends
with AF_PACKET sockets 0.3 s apart (so learning happens in order), and OUTDIR/runK/pI.pcap and
OUTDIR/runK/fdb.json hold what came out and the final MAC tables (ovs-appctl fdb/show;
{"bridge", "port": "pI" or "lKa"/"lKb", "vlan", "mac"}). Everything is torn down at the end,
also on failure. Nothing is sent anywhere but into these namespaces.
"""
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

VSWITCHD = shutil.which('ovs-vswitchd') or '/usr/lib/openvswitch-switch/ovs-vswitchd'
SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema'
TAG = f'{os.getpid() % 100000}'
SW_NS = f'vk14-sw-{TAG}'
CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL('libc.so.6', use_errno=True)


def host_ns(i):
    return f'vk14-h{i}-{TAG}'


def sw_if(i):
    return f'vk14s{i}-{TAG}'


def bridge(b):
    return f'vk14br{b}-{TAG}'


def link_if(k, end):
    return f'vk14l{k}{end}-{TAG}'


def host_if(i):
    return f'vk14h{i}-{TAG}'


def sh(*args, check=True, **kw):
    r = subprocess.run(list(args), capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def in_ns(ns, *args, check=True, **kw):
    return sh('ip', 'netns', 'exec', ns, *args, check=check, **kw)


class World:
    def __init__(self, bridges, links):
        self.bridges = bridges
        self.links = links
        self.n = sum(bridges)
        # Host port i belongs to bridge owner[i].
        self.owner = [b for b, count in enumerate(bridges) for _ in range(count)]
        self.dir = tempfile.mkdtemp(prefix='vk14-ovs-')
        self.env = dict(os.environ, OVS_RUNDIR=self.dir, OVS_DBDIR=self.dir, OVS_LOGDIR=self.dir,
                        OVS_SYSCONFDIR=self.dir)
        self.db = f'unix:{self.dir}/db.sock'
        self.namespaces = []

    def vsctl(self, *args):
        return sh('ovs-vsctl', f'--db={self.db}', '--timeout=20', *args, env=self.env)

    def appctl(self, *args):
        return sh('ovs-appctl', f'--target={self.dir}/vswitchd.ctl', '--timeout=20', *args, env=self.env)

    def up(self):
        for ns in [SW_NS] + [host_ns(i) for i in range(self.n)]:
            sh('ip', 'netns', 'add', ns)
            self.namespaces.append(ns)
            # No IPv6: the kernel would add its own router/neighbour solicitations to the wire.
            in_ns(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1')
            in_ns(ns, 'ip', 'link', 'set', 'lo', 'up')
        for i in range(self.n):
            sh('ip', 'link', 'add', sw_if(i), 'netns', SW_NS, 'type', 'veth', 'peer', 'name', host_if(i), 'netns', host_ns(i))
            for ns, name in ((SW_NS, sw_if(i)), (host_ns(i), host_if(i))):
                # Tags stay in the bytes (no VLAN offload), as a switch port sees them.
                in_ns(ns, 'ethtool', '-K', name, 'rxvlan', 'off', 'txvlan', 'off', 'rx-vlan-stag-hw-parse', 'off',
                      'tx-vlan-stag-hw-insert', 'off', check=False)
                in_ns(ns, 'ip', 'link', 'set', name, 'up')
        sh('ovsdb-tool', 'create', f'{self.dir}/conf.db', SCHEMA)
        in_ns(SW_NS, 'ovsdb-server', f'{self.dir}/conf.db', f'--remote=punix:{self.dir}/db.sock',
              f'--pidfile={self.dir}/ovsdb-server.pid', f'--unixctl={self.dir}/ovsdb-server.ctl',
              f'--log-file={self.dir}/ovsdb-server.log', '--detach', env=self.env)
        self.vsctl('--no-wait', 'init')
        in_ns(SW_NS, VSWITCHD, self.db, f'--pidfile={self.dir}/vswitchd.pid', f'--unixctl={self.dir}/vswitchd.ctl',
              f'--log-file={self.dir}/vswitchd.log', '--detach', '--disable-system', env=self.env)
        for k, (a, b) in enumerate(self.links):
            sh('ip', 'link', 'add', link_if(k, 'a'), 'netns', SW_NS, 'type', 'veth', 'peer', 'name', link_if(k, 'b'), 'netns', SW_NS)
            for end in 'ab':
                in_ns(SW_NS, 'ethtool', '-K', link_if(k, end), 'rxvlan', 'off', 'txvlan', 'off', 'rx-vlan-stag-hw-parse', 'off',
                      'tx-vlan-stag-hw-insert', 'off', check=False)
                in_ns(SW_NS, 'ip', 'link', 'set', link_if(k, end), 'up')
        # Ports are added host ports first, then link ends: OVS floods in this (ofport) order.
        self.label = {}  # (bridge, ofport) -> "pI" / "lKa"
        for b in range(len(self.bridges)):
            self.vsctl('add-br', bridge(b), '--', 'set', 'bridge', bridge(b), 'datapath_type=netdev')
            names = [(sw_if(i), f'p{i + 1}') for i in range(self.n) if self.owner[i] == b]
            names += [(link_if(k, end), f'l{k}{end}') for k, ends in enumerate(self.links) for end, owner in zip('ab', ends) if owner == b]
            for name, _ in names:
                self.vsctl('add-port', bridge(b), name)
            for name, label in names:
                self.label[(b, int(self.vsctl('get', 'interface', name, 'ofport').strip()))] = label

    def configure(self, ports, link_ports, vlan_limit, mac_table_size):
        self.vsctl('set', 'Open_vSwitch', '.', f'other_config:vlan-limit={vlan_limit}')
        for b in range(len(self.bridges)):
            if mac_table_size:
                self.vsctl('set', 'bridge', bridge(b), f'other_config:mac-table-size={mac_table_size}')
            else:
                self.vsctl('remove', 'bridge', bridge(b), 'other_config', 'mac-table-size')
        named = [(sw_if(i), p) for i, p in enumerate(ports)]
        named += [(link_if(k, end), cfg) for k, pair in enumerate(link_ports) for end, cfg in zip('ab', pair)]
        for name, p in named:
            self.vsctl('clear', 'port', name, 'tag', 'trunks', 'cvlans', 'other_config')
            args = ['set', 'port', name, f"vlan_mode={p['mode']}"]
            if p.get('vlan'):
                args.append(f"tag={p['vlan']}")
            if p.get('trunks'):
                args.append('trunks=' + ','.join(map(str, p['trunks'])))
            if p.get('cvlans'):
                args.append('cvlans=' + ','.join(map(str, p['cvlans'])))
            if p.get('tpid') == '0x8100':
                args.append('other_config:qinq-ethtype=802.1q')
            self.vsctl(*args)
        for b in range(len(self.bridges)):
            self.appctl('fdb/flush', bridge(b))
        time.sleep(0.5)  # let ovs-vswitchd take the new configuration

    def sockets(self):
        """One AF_PACKET socket per host end, created inside its namespace."""
        socks = []
        own = os.open('/proc/self/ns/net', os.O_RDONLY)
        try:
            for i in range(self.n):
                fd = os.open(f'/var/run/netns/{host_ns(i)}', os.O_RDONLY)
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), 'setns')
                os.close(fd)
                s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
                s.bind((host_if(i), 0))
                socks.append(s)
        finally:
            libc.setns(own, CLONE_NEWNET)
            os.close(own)
        return socks

    def run(self, run, outdir, socks):
        os.makedirs(outdir, exist_ok=True)
        self.configure(run['ports'], run.get('linkPorts', []), run.get('vlanLimit', 1), run.get('macTableSize'))
        dumps = []
        for i in range(self.n):
            p = subprocess.Popen(['ip', 'netns', 'exec', host_ns(i), 'tcpdump', '-Q', 'in', '-U', '--immediate-mode', '-n', '-i', host_if(i),
                                  '-w', f'{outdir}/p{i + 1}.pcap'], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
            dumps.append(p)
        for p in dumps:  # wait until each is listening (warnings may come first)
            seen = []
            while not seen or 'listening' not in seen[-1]:
                line = p.stderr.readline()
                if not line or len(seen) > 10:
                    raise RuntimeError('tcpdump: ' + ' | '.join(seen + [line.strip()]))
                seen.append(line.strip())
        time.sleep(0.2)
        for ev in run['events']:
            socks[ev['port']].send(bytes.fromhex(ev['hex']))
            time.sleep(0.3)
        time.sleep(1.0)
        for p in dumps:
            p.send_signal(signal.SIGINT)
        for p in dumps:
            p.wait(timeout=10)
        fdb = []
        for b in range(len(self.bridges)):
            for line in self.appctl('fdb/show', bridge(b)).splitlines()[1:]:
                f = line.split()
                if len(f) >= 3 and f[0].isdigit() and (b, int(f[0])) in self.label:
                    fdb.append({'bridge': b, 'port': self.label[(b, int(f[0]))], 'vlan': int(f[1]), 'mac': f[2]})
        with open(f'{outdir}/fdb.json', 'w') as out:
            json.dump(fdb, out)

    def down(self):
        # Teardown runs to the end, whatever signal comes meanwhile.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for pid_file in ('vswitchd.pid', 'ovsdb-server.pid'):
            try:
                with open(f'{self.dir}/{pid_file}') as f:
                    pid = int(f.read().strip())
                os.kill(pid, signal.SIGTERM)
                for _ in range(50):
                    os.kill(pid, 0)
                    time.sleep(0.1)
                os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError):
                pass
        for ns in self.namespaces:
            sh('ip', 'netns', 'del', ns, check=False)  # takes the veths and the bridge's tap with it
        shutil.rmtree(self.dir, ignore_errors=True)


def main():
    # A timeout's SIGTERM must still tear everything down (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    spec = json.load(open(sys.argv[1]))
    outdir = sys.argv[2]
    world = World(spec['bridges'], spec.get('links', []))
    try:
        world.up()
        socks = world.sockets()
        for k, run in enumerate(spec['runs']):
            world.run(run, f'{outdir}/run{k}', socks)
        for s in socks:
            s.close()
    finally:
        world.down()


if __name__ == '__main__':
    main()
