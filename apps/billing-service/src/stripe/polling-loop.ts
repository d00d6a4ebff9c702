export interface LoopLog {
  error(obj: object, msg: string): void;
}

/**
 * Runs `tick` until stopped: again at once while it finds work, after `idleMs` when it found
 * none, after `failureMs` when it threw (a database outage, say). `wake` cuts a wait short.
 */
export class PollingLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly name: string,
    private readonly tick: () => Promise<number>,
    private readonly options: { idleMs: number; failureMs: number; log: LoopLog },
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  wake(): void {
    this.wakeUp?.();
  }

  /** Lets the tick in progress finish, then stops. */
  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let wait = 0;
      try {
        if ((await this.tick()) === 0) wait = this.options.idleMs;
      } catch (err) {
        this.options.log.error({ err }, `${this.name} failed; retrying`);
        wait = this.options.failureMs;
      }
      if (wait > 0 && this.running) await this.sleep(wait);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
