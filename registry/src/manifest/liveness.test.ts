import { liveManifests, type LivenessNode } from './liveness.js';

const node = (children: string[] = [], subject?: string): LivenessNode => ({ children, subject });

describe('liveManifests', () => {
  it('keeps the roots and what they reach through index children, recursively', () => {
    const nodes = new Map([
      ['index', node(['amd64', 'arm64'])],
      ['amd64', node()],
      ['arm64', node(['nested'])],
      ['nested', node()],
      ['orphan', node()],
    ]);
    expect([...liveManifests(nodes, ['index'])].sort()).toEqual(['amd64', 'arm64', 'index', 'nested']);
  });

  it('keeps referrers of live subjects, chains of them, and their children; drops referrers of dead subjects', () => {
    const nodes = new Map([
      ['image', node()],
      ['signature', node([], 'image')],
      ['signature-of-signature', node([], 'signature')],
      ['sbom-index', node(['sbom-part'], 'image')],
      ['sbom-part', node()],
      ['dead', node()],
      ['dead-signature', node([], 'dead')],
    ]);
    expect([...liveManifests(nodes, ['image'])].sort()).toEqual(['image', 'sbom-index', 'sbom-part', 'signature', 'signature-of-signature']);
  });

  it('finds a referrer whose subject becomes live only through another referrer, in any map order', () => {
    const nodes = new Map([
      ['late', node([], 'child')],
      ['carrier', node(['child'], 'root')],
      ['root', node()],
      ['child', node()],
    ]);
    expect([...liveManifests(nodes, ['root'])].sort()).toEqual(['carrier', 'child', 'late', 'root']);
  });

  it('reports reachable digests that are not manifests of this repository, and survives cycles', () => {
    const nodes = new Map([['a', node(['b', 'elsewhere'])], ['b', node(['a'])]]);
    expect([...liveManifests(nodes, ['a'])].sort()).toEqual(['a', 'b', 'elsewhere']);
    expect(liveManifests(nodes, []).size).toBe(0);
  });
});
