/**
 * A job submitter as the frontend is one (kiosk-frontend@0.11.3 server/config/redis.js: ioredis in
 * Sentinel mode, master set `mymaster`; package.json ioredis ^4.14.1, here 4.31.0): it LPUSHes numbered
 * jobs at a steady rate and records which ones Redis acknowledged. The frontend opens a client per
 * command; one long-lived client here has the same retry behaviour and keeps the rate steady.
 */
import Redis from "ioredis";
import { sleep } from "./redis-set";

export const queue = "segmentation";

export class Writer {
  private readonly client: Redis.Redis;
  readonly acknowledged: number[] = [];
  readonly ackTimes: number[] = [];
  refused = 0;
  private next = 0;
  private running = false;
  private loop?: Promise<void>;

  constructor(sentinels: { host: string; port: number }[], masterSet: string) {
    this.client = new Redis({ sentinels, name: masterSet, lazyConnect: false, connectTimeout: 2000 });
    this.client.on("error", () => undefined);
  }

  start(intervalMs = 5): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const job = this.next++;
        const sent = this.client.lpush(queue, String(job)).then(
          () => { this.acknowledged.push(job); this.ackTimes.push(Date.now()); },
          () => { this.refused++; },
        );
        await Promise.race([sent, sleep(intervalMs)]);
        await sleep(intervalMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await sleep(500);
  }

  /** The longest time without an acknowledged write inside [from, to]: what a failover costs the frontend. */
  longestGapMs(from: number, to = Date.now()): number {
    const times = [from, ...this.ackTimes.filter((t) => t > from && t < to), to];
    let gap = 0;
    for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
    return gap;
  }

  disconnect(): void {
    this.client.disconnect();
  }
}

/** Acknowledged jobs that the master no longer holds. */
export function lostJobs(acknowledged: number[], held: string[]): number[] {
  const present = new Set(held.map(Number));
  return acknowledged.filter((job) => !present.has(job));
}
