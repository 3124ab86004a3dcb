/** Time always comes from an injected clock, so tests and the demo can drive it. */
export interface Clock {
  now(): Date;
}

// The one place the real time enters; everything else is handed a Clock.
// eslint-disable-next-line no-restricted-syntax
export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to: the demo's simulated time and every unit test. */
export class SimulatedClock implements Clock {
  private current: number;
  constructor(start: Date | string) {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(to: Date | string): void {
    this.current = new Date(to).getTime();
  }
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
