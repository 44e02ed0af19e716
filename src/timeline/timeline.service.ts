import { Injectable } from '@nestjs/common';

/**
 * The readable timeline the demo prints: one line per step of the flow, with the time since start.
 * Ids only: names, e-mail addresses and other personal data never reach the output.
 */
@Injectable()
export class TimelineService {
  private readonly startedAt = Date.now();

  /** Prints `  +1.23s  <step>  <detail>`. */
  step(step: string, detail = ''): void {
    const seconds = ((Date.now() - this.startedAt) / 1000).toFixed(2).padStart(6);
    process.stdout.write(`  +${seconds}s  ${step.padEnd(24)} ${detail}`.trimEnd() + '\n');
  }

  /** Prints a plain line (headings, URLs). */
  line(text = ''): void {
    process.stdout.write(`${text}\n`);
  }
}
