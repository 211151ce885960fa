import type { z } from 'zod';
import type { ContentProblem } from '../errors.ts';

/** Collects problems so one load reports every broken file, not only the first. */
export class Problems {
  readonly list: ContentProblem[] = [];
  add(file: string, field: string | null, message: string): void {
    this.list.push({ file, field, message });
  }
  fromZod(file: string, error: z.ZodError): void {
    for (const issue of error.issues) {
      this.add(file, issue.path.length ? issue.path.map(String).join('.') : null, issue.message);
    }
  }
}
