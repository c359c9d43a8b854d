import type { Db, EngineKind } from '../engine/engine.js';

/** One schema step. Versions are applied in order, each exactly once, each in its own transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Db, kind: EngineKind): Promise<void>;
}
