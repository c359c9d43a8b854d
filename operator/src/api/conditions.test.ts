import { setConditions, type Condition } from './conditions.js';

describe('setConditions', () => {
  const t0 = new Date('2026-01-01T00:00:00.000Z');
  const t1 = new Date('2026-01-01T01:00:00.000Z');

  it('stamps new conditions with the time and generation', () => {
    const out = setConditions(undefined, [{ type: 'Ready', status: 'False', reason: 'X', message: 'm' }], 3, t0);
    expect(out).toEqual([{ type: 'Ready', status: 'False', reason: 'X', message: 'm', observedGeneration: 3, lastTransitionTime: '2026-01-01T00:00:00Z' }]);
  });

  it('keeps lastTransitionTime while the status holds, even if reason and message change', () => {
    const before = setConditions(undefined, [{ type: 'Ready', status: 'False', reason: 'A', message: 'a' }], 1, t0);
    const after = setConditions(before, [{ type: 'Ready', status: 'False', reason: 'B', message: 'b' }], 2, t1);
    expect(after[0]).toMatchObject({ reason: 'B', observedGeneration: 2, lastTransitionTime: '2026-01-01T00:00:00Z' });
  });

  it('moves lastTransitionTime when the status flips', () => {
    const before = setConditions(undefined, [{ type: 'Ready', status: 'False', reason: 'A', message: 'a' }], 1, t0);
    const after = setConditions(before, [{ type: 'Ready', status: 'True', reason: 'B', message: 'b' }], 1, t1);
    expect(after[0].lastTransitionTime).toBe('2026-01-01T01:00:00Z');
  });

  it('keeps conditions of other types', () => {
    const foreign: Condition = { type: 'Other', status: 'True', reason: 'R', message: '', lastTransitionTime: 'x' };
    const out = setConditions([foreign], [{ type: 'Ready', status: 'True', reason: 'R', message: '' }], 1, t0);
    expect(out.map((c) => c.type)).toEqual(['Ready', 'Other']);
  });
});
