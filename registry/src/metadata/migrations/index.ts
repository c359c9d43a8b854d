// Every schema step, in order. A new step is a new file and one line here; a step
// once released never changes.
import { initial } from './0001-initial.js';
import { writeIntents } from './0002-write-intents.js';
import { supplyChain } from './0003-supply-chain.js';
import { gcRuns } from './0004-gc-runs.js';
import { gcAnnouncements } from './0005-gc-announcements.js';
import type { Migration } from './migration.js';

export const MIGRATIONS: readonly Migration[] = [initial, writeIntents, supplyChain, gcRuns, gcAnnouncements];
