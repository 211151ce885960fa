import escapeHtml from 'escape-html';

/**
 * A tiny tagged template for HTML: every interpolated value is escaped (by escape-html) unless it is
 * already `SafeHtml`, so markup can only come from template literals written here or from `trusted()`.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Value = string | number | SafeHtml | null | undefined | false | readonly Value[];

function render(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

/** HTML we produced ourselves (rendered Markdown of our articles, already sanitised upstream HTML). */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
