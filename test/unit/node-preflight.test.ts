// A machine that cannot run the test node fails the node suite with every
// reason at once; the suite never skips.
import { nodeBlockers, NodeUnsupportedError, type MachineFacts } from '../harness/node/preflight.js';
import { ruleArgs } from '../harness/node/network.js';

const capable: MachineFacts = {
  uid: 0,
  effectiveCaps: 0x1fffeffffffn, // this kind of machine: everything but CAP_SYS_RESOURCE
  cgroupControllers: ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids'],
  filesystems: ['ext4', 'overlay', 'tmpfs'],
  bridgeNetfilter: true,
  missingBinaries: [],
};

describe('node preflight', () => {
  it('finds nothing wrong with this kind of machine', () => {
    expect(nodeBlockers(capable)).toEqual([]);
  });

  it('names every missing piece: root, CAP_NET_ADMIN, cgroups, overlay, bridge netfilter, binaries', () => {
    const blockers = nodeBlockers({
      uid: 1000,
      effectiveCaps: 0x1fffeffffffn & ~(1n << 12n),
      cgroupControllers: ['cpu'],
      filesystems: ['ext4'],
      bridgeNetfilter: false,
      missingBinaries: ['/usr/bin/containerd'],
    });
    expect(blockers).toHaveLength(6);
    expect(blockers.join('\n')).toMatch(/uid 1000/);
    expect(blockers.join('\n')).toMatch(/CAP_NET_ADMIN/);
    expect(blockers.join('\n')).toMatch(/memory, pids/);
    expect(blockers.join('\n')).toMatch(/overlay/);
    expect(blockers.join('\n')).toMatch(/br_netfilter/);
    expect(blockers.join('\n')).toMatch(/containerd/);
    expect(new NodeUnsupportedError(blockers).message).toMatch(/never skipped/);
  });

  it('reads cgroup v2 controllers the same way', () => {
    expect(nodeBlockers({ ...capable, cgroupControllers: ['cpuset', 'cpu', 'io', 'memory', 'pids'] })).toEqual([]);
  });
});

describe('iptables rule parsing for teardown', () => {
  it('keeps quoted comments whole', () => {
    expect(ruleArgs('INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS'))
      .toEqual(['INPUT', '-m', 'comment', '--comment', 'kubernetes health check service ports', '-j', 'KUBE-NODEPORTS']);
  });
});
