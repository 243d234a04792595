/**
 * Metric and tag templates: `{N}` the N-th topic level (1-based), `{topic}` the whole topic with
 * "/" → ".", `{path}` the JSON leaf path, and for influx `{measurement}` and `{field}`.
 * Compiled once per subscription into parts, so rendering is a few concatenations per point.
 */

export interface TemplateValues {
  /** The topic split at "/". */
  levels: string[];
  /** The whole topic with "/" → ".", computed once per message. */
  dottedTopic: string;
  path?: string;
  measurement?: string;
  field?: string;
}

type Part = string | ((values: TemplateValues) => string);

const PLACEHOLDER = /\{([^{}]*)\}/g;
const NAMED = new Set(["topic", "path", "measurement", "field"]);

/** Why `text` is not a valid template, or undefined. */
export function checkTemplate(text: string): string | undefined {
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = match[1];
    if (/^[1-9][0-9]*$/.test(name) || NAMED.has(name)) continue;
    return `unknown placeholder {${name}}: use {1}, {2}… (topic levels), {topic}, {path}, {measurement} or {field}`;
  }
  return undefined;
}

export class Template {
  private readonly parts: Part[] = [];
  /** True when the template uses {path}: one name per JSON leaf, not one per message. */
  readonly usesPath: boolean;

  constructor(readonly text: string) {
    let last = 0;
    let usesPath = false;
    for (const match of text.matchAll(PLACEHOLDER)) {
      if (match.index > last) this.parts.push(text.slice(last, match.index));
      this.parts.push(placeholder(match[1]));
      if (match[1] === "path") usesPath = true;
      last = match.index + match[0].length;
    }
    if (last < text.length) this.parts.push(text.slice(last));
    this.usesPath = usesPath;
  }

  render(values: TemplateValues): string {
    let out = "";
    for (const part of this.parts) out += typeof part === "string" ? part : part(values);
    // A template like "{topic}.{path}" with an empty path must not leave a dangling dot.
    return tidy(out);
  }
}

/**
 * For templates with {path}: the name for every leaf of one message is head + path + tail, so
 * the topic parts are rendered once per message, not once per leaf.
 */
export function pathTemplate(template: Template, values: TemplateValues): (path: string) => string {
  const saved = values.path;
  values.path = PATH_MARK;
  const rendered = template.render(values);
  values.path = saved;
  const at = rendered.indexOf(PATH_MARK);
  if (at < 0) return () => rendered;
  const head = rendered.slice(0, at);
  const tail = rendered.slice(at + PATH_MARK.length);
  if (tail.includes(PATH_MARK)) return (path) => tidy(rendered.replaceAll(PATH_MARK, path));
  const empty = tidy(head + tail);
  return (path) => (path === "" ? empty : head + path + tail);
}

const PATH_MARK = "\u0000path\u0000";

function placeholder(name: string): (values: TemplateValues) => string {
  switch (name) {
    case "topic":
      return (v) => v.dottedTopic;
    case "path":
      return (v) => v.path ?? "";
    case "measurement":
      return (v) => v.measurement ?? "";
    case "field":
      return (v) => v.field ?? "";
    default: {
      const index = Number(name) - 1;
      return (v) => v.levels[index] ?? "";
    }
  }
}

function tidy(name: string): string {
  if (!name.includes("..") && !name.startsWith(".") && !name.endsWith(".")) return name;
  return name.replace(/\.{2,}/g, ".").replace(/^\.|\.$/g, "");
}
