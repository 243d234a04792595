/**
 * MQTT adapter figures:
 * - decode rates per format, without a broker: Tasmota-style JSON messages/s (topic template
 *   `{1}.{path}`), Influx lines/s (Telegraf's real procstat line and a short line), Sparkplug B
 *   DDATA metrics/s (100 metrics by alias, resolved through the DBIRTH);
 * - end to end from a local mosquitto to the queue (the real pipeline and a memory queue, drained
 *   as an uplink would): messages/s, points/s, bridge CPU per message and lost messages, QoS 1,
 *   published by an mqtt.js client in its own process (so its CPU is not the bridge's).
 *   npx tsx bench/mqtt.ts [--seconds N] [--messages N]
 */
import { spawn } from "node:child_process";
import mqttAdapter from "../adapters/mqtt/index.js";
import { createMapper } from "../adapters/mqtt/mapping.js";
import { subscriptionSchema } from "../adapters/mqtt/options.js";
import { encodeSparkplug } from "../adapters/mqtt/sparkplug/codec.js";
import { SparkplugHost } from "../adapters/mqtt/sparkplug/host.js";
import type { AdapterContext } from "../src/adapter-contract.js";
import { BridgeClock } from "../src/clock.js";
import { ConsoleLogger } from "../src/log.js";
import { Pipeline } from "../src/pipeline/pipeline.js";
import { SourceQueue } from "../src/pipeline/queue.js";
import { queueSection } from "../src/pipeline/queue-options.js";
import { hasMosquitto, startMosquitto, waitFor } from "../test/adapters/mqtt/brokers.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg("--seconds", 2);
const MESSAGES = arg("--messages", 200_000);

/**
 * Runs `step` (which returns how many things it did) for SECONDS. Returns things per wall second
 * and per CPU second of this process: on a shared machine the second is the steadier figure.
 */
function rate(step: () => number): { wall: number; cpu: number } {
  for (let i = 0; i < 2000; i++) step(); // warm-up: let V8 optimise
  let done = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  while (performance.now() - started < SECONDS * 1000) for (let i = 0; i < 100; i++) done += step();
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { wall: Math.round(done / wall), cpu: Math.round(done / ((cpu.user + cpu.system) / 1e6)) };
}

function row(what: string, unit: string, figures: { wall: number; cpu: number }) {
  return { what, unit, "per wall second": figures.wall, "per CPU second": figures.cpu };
}

const noCount = () => {};

function jsonRate() {
  const map = createMapper(subscriptionSchema.parse({ topic: "+/tele/SENSOR", metric: "{1}.{path}" }), noCount);
  const payloads = Array.from({ length: 64 }, (_, i) =>
    Buffer.from(
      JSON.stringify({
        Time: "2026-12-06T07:00:00",
        AM2301: { Temperature: 20 + i / 10, Humidity: 40 + i / 10, DewPoint: 9.1 },
        TempUnit: "C",
      }),
    ),
  );
  let i = 0;
  return rate(() => {
    map("tasmota_49A3BC/tele/SENSOR", payloads[i++ & 63]);
    return 1;
  });
}

function influxRate(line: string) {
  const map = createMapper(subscriptionSchema.parse({ topic: "telegraf/#", format: "influx" }), noCount);
  const payload = Buffer.from(line);
  return rate(() => {
    map("telegraf/host", payload);
    return 1;
  });
}

function sparkplugRate() {
  const host = new SparkplugHost({ rebirth: false, rebirthIntervalMs: 30_000 }, noCount, () => performance.now());
  const METRICS = 100;
  const datatypes = [10, 9, 3, 11]; // Double, Float, Int32, Boolean
  const sampleValue = (datatype: number, n: number) =>
    datatype === 11
      ? { booleanValue: n % 2 === 0 }
      : datatype === 3
        ? { intValue: n }
        : datatype === 9
          ? { floatValue: n / 4 }
          : { doubleValue: n / 3 };
  const birth = encodeSparkplug({
    timestamp: Date.now(),
    seq: 0,
    metrics: Array.from({ length: METRICS }, (_, a) => ({
      name: `Line/Sensor ${a}`,
      alias: a,
      datatype: datatypes[a % 4],
      ...sampleValue(datatypes[a % 4], a),
    })),
  });
  host.handle("spBv1.0/plant/NBIRTH/edge", birth);
  host.handle("spBv1.0/plant/DBIRTH/edge/plc", birth);
  // 256 DDATA payloads so seq runs on without gaps, as a live edge node's would.
  const data = Array.from({ length: 256 }, (_, seq) =>
    encodeSparkplug({
      timestamp: Date.now(),
      seq: (seq + 1) & 0xff,
      metrics: Array.from({ length: METRICS }, (_, a) => ({ alias: a, timestamp: Date.now(), ...sampleValue(datatypes[a % 4], seq + a) })),
    }),
  );
  let i = 0;
  return rate(() => host.handle("spBv1.0/plant/DDATA/edge/plc", data[i++ & 255]).points.length);
}

/** The publishing side, in its own process: QoS 1, up to 1000 PUBLISH in flight, as a busy edge would. */
const PUBLISHER = `
import mqtt from "mqtt";
const [url, total] = [process.argv[1], Number(process.argv[2])];
const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
let sent = 0, acked = 0;
const pump = () => {
  while (sent < total && sent - acked < 1000) {
    const n = sent++;
    client.publish("tasmota_49A3BC/tele/SENSOR", JSON.stringify({ n, AM2301: { Temperature: 20 + (n % 100) / 10, Humidity: 40 } }), { qos: 1 }, () => {
      acked++;
      if (acked === total) client.end();
      else pump();
    });
  }
};
pump();
`;

/**
 * live: the publisher runs while the bridge reads (both share this machine's CPUs).
 * backlog: the publisher fills the bridge's persistent session while it is stopped; the figure is
 * how fast the restarted bridge drains it, which is the bridge's own pace.
 */
async function endToEnd(mode: "live" | "backlog"): Promise<Record<string, unknown>> {
  const broker = await startMosquitto(() => ["max_queued_messages 1000000", "max_inflight_messages 100"]);
  const clock = new BridgeClock();
  const log = new ConsoleLogger({ level: "warn" });
  const pipeline = new Pipeline(clock, log);
  const origin = pipeline.addAdapter({ id: "bench", sourceId: "bench", prefix: "bench.", tags: undefined, stream: "always" });
  const queue = new SourceQueue("bench", queueSection.parse({ durability: "memory" }), pipeline.countersFor("bench"), log, undefined);
  pipeline.addQueue(queue);
  queue.setUplinkUp(true);
  // Which message numbers arrived: a byte per message keeps the bench's own share of the CPU small.
  const seenFlags = new Uint8Array(MESSAGES);
  const seen = { size: 0 };
  let points = 0;
  let duplicates = 0;
  const abort = new AbortController();
  let upAt = false;
  const ctx: AdapterContext = {
    id: "bench",
    log,
    clock,
    signal: abort.signal,
    configDir: process.cwd(),
    emit: (inputs) => {
      // The message number is the first point of each message ({"n": …} comes first).
      const n = inputs[0]?.value as number;
      if (seenFlags[n]) duplicates++;
      else {
        seenFlags[n] = 1;
        seen.size++;
      }
      return pipeline.ingest(origin, inputs);
    },
    drained: () => pipeline.drained(origin),
    status: (state) => (upAt = state === "up"),
    count: () => {},
    finished: () => {},
  };
  // The uplink's part: take and acknowledge batches as they come.
  const uplink = setInterval(() => {
    for (let batch = queue.take(5000, 900_000); batch; batch = queue.take(5000, 900_000)) {
      points += batch.points.length;
      queue.ack(batch);
    }
  }, 2);
  const options = mqttAdapter.options.parse({
    url: broker.url,
    protocol_version: 5,
    clean: false,
    client_id: "bench",
    subscriptions: [{ topic: "+/tele/SENSOR", metric: "{1}.{path}", qos: 1 }],
  });
  let adapter = mqttAdapter.create(options, ctx);
  await adapter.start();
  await waitFor(() => upAt, "the adapter up");
  await new Promise((resolve) => setTimeout(resolve, 200)); // the SUBACK
  const publish = () =>
    spawn(process.execPath, ["--input-type=module", "-e", PUBLISHER, broker.url, String(MESSAGES)], { stdio: "inherit" });
  let publisher: ReturnType<typeof spawn>;
  if (mode === "backlog") {
    await adapter.stop();
    upAt = false;
    publisher = publish();
    await new Promise((resolve) => publisher.once("exit", resolve));
    adapter = mqttAdapter.create(options, ctx);
  } else publisher = publish();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (mode === "backlog") await adapter.start();
  await waitFor(() => seen.size >= MESSAGES, `${MESSAGES} messages`, 600_000).catch(() => undefined);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(uplink);
  for (let batch = queue.take(5000, 900_000); batch; batch = queue.take(5000, 900_000)) {
    points += batch.points.length;
    queue.ack(batch);
  }
  await adapter.stop();
  publisher.kill();
  await broker.stop();
  return {
    mode,
    messages: MESSAGES,
    "msgs/s": Math.round(seen.size / seconds),
    "points/s": Math.round(points / seconds),
    "bridge CPU µs/msg": Math.round(((cpu.user + cpu.system) / MESSAGES) * 10) / 10,
    lost: MESSAGES - seen.size,
    duplicates,
  };
}

console.log(`MQTT adapter, Node ${process.version}, ${SECONDS} s per decode figure`);
const onlyEndToEnd = process.argv.includes("--e2e-only");
if (!onlyEndToEnd)
  console.table([
    row("Tasmota JSON (4 leaves, {1}.{path})", "messages", jsonRate()),
    row("Influx short line (1 tag, 2 fields)", "lines", influxRate("cpu,host=a usage=42.5,idle=57i 1700000000000000000")),
    row(
      "Influx procstat line (52 fields)",
      "lines",
      influxRate(
        "procstat,exe=bash,process_name=bash voluntary_context_switches=42i,memory_rss=5103616i,rlimit_memory_data_hard=2147483647i,cpu_time_user=0.02,rlimit_file_locks_soft=2147483647i,pid=29417i,cpu_time_nice=0,rlimit_memory_locked_soft=65536i,read_count=259i,rlimit_memory_vms_hard=2147483647i,memory_swap=0i,rlimit_num_fds_soft=1024i,rlimit_nice_priority_hard=0i,cpu_time_soft_irq=0,cpu_time=0i,rlimit_memory_locked_hard=65536i,realtime_priority=0i,signals_pending=0i,nice_priority=20i,cpu_time_idle=0,memory_stack=139264i,memory_locked=0i,rlimit_memory_stack_soft=8388608i,cpu_time_iowait=0,cpu_time_guest=0,cpu_time_guest_nice=0,rlimit_memory_data_soft=2147483647i,read_bytes=0i,rlimit_cpu_time_soft=2147483647i,involuntary_context_switches=2i,write_bytes=106496i,cpu_time_system=0,cpu_time_irq=0,cpu_usage=0,memory_vms=21659648i,memory_data=1576960i,rlimit_memory_stack_hard=2147483647i,num_threads=1i,rlimit_memory_rss_soft=2147483647i,rlimit_realtime_priority_soft=0i,num_fds=4i,write_count=35i,rlimit_signals_pending_soft=78994i,cpu_time_steal=0,rlimit_num_fds_hard=4096i,rlimit_file_locks_hard=2147483647i,rlimit_cpu_time_hard=2147483647i,rlimit_signals_pending_hard=78994i,rlimit_nice_priority_soft=0i,rlimit_memory_rss_hard=2147483647i,rlimit_memory_vms_soft=2147483647i,rlimit_realtime_priority_hard=0i 1517620624000000000",
      ),
    ),
    row("Sparkplug DDATA (100 metrics by alias)", "metrics", sparkplugRate()),
  ]);
if (hasMosquitto) {
  console.log(
    `\nEnd to end: publisher process, QoS 1 (${MESSAGES} Tasmota-style messages) → mosquitto → adapter → pipeline → memory queue`,
  );
  console.table([await endToEnd("live"), await endToEnd("backlog")]);
} else console.log("\nEnd to end skipped: needs mosquitto (apt-get install mosquitto)");
