// The key-rotation sweep's latest state (src/domain/key-rotation.ts), for the report and for resuming
// a sweep that stalled. The sweep itself travels in its queue messages; this copy only follows it.
import type { Sweep } from "../domain/key-rotation";

const KEY = "v1:key-rotation";

export const readSweep = (kv: KVNamespace): Promise<Sweep | null> => kv.get<Sweep>(KEY, "json");

export const writeSweep = (kv: KVNamespace, sweep: Sweep): Promise<void> => kv.put(KEY, JSON.stringify(sweep));
