/**
 * The Prometheus text exposition format (version 0.0.4), written by hand: the bridge's metrics
 * are a snapshot rendered on each scrape, which needs families, labels and escaping, not a
 * registry of live instruments (prom-client's model).
 */

export type MetricType = "counter" | "gauge" | "untyped";
export type Labels = Record<string, string | number | undefined>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

interface Family {
  type: MetricType;
  help: string;
  samples: string[];
}

export class Exposition {
  private readonly families = new Map<string, Family>();

  /** Declares a family (once; a second call with the same name adds to it). Counters end in _total. */
  family(name: string, type: MetricType, help: string): (labels: Labels, value: number | undefined) => void {
    if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
    let family = this.families.get(name);
    if (!family) {
      family = { type, help, samples: [] };
      this.families.set(name, family);
    }
    const samples = family.samples;
    return (labels, value) => {
      if (value === undefined) return;
      samples.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
    };
  }

  text(): string {
    const out: string[] = [];
    for (const [name, family] of this.families) {
      if (family.samples.length === 0) continue;
      out.push(`# HELP ${name} ${escapeHelp(family.help)}`, `# TYPE ${name} ${family.type}`, ...family.samples);
    }
    return out.length === 0 ? "" : `${out.join("\n")}\n`;
  }
}

function formatLabels(labels: Labels): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (value === undefined) continue;
    if (!LABEL.test(key) || key.startsWith("__")) throw new Error(`invalid label name ${key}`);
    parts.push(`${key}="${escapeLabelValue(String(value))}"`);
  }
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}
