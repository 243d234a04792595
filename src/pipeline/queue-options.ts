/** The `queue:` section of the config. */
import { z } from "zod";
import { size } from "../config/units.js";

export const queueSection = z
  .strictObject({
    durability: z
      .enum(["memory", "spill", "always"])
      .default("spill")
      .describe(
        "memory: never touch disk (a crash loses what is queued); spill: every point is written behind within 50 ms, survives a crash or SIGKILL; always: synced to the device before it is sent, survives a power cut.",
      ),
    memory_max_points: z
      .number()
      .int()
      .min(1000)
      .default(1_000_000)
      .describe("Points held in memory per source before spilling or applying when_full."),
    memory_max_bytes: size()
      .default(256 * 1024 * 1024)
      .describe("Bytes held in memory per source (estimated)."),
    high_water: z.number().min(0.1).max(1).default(0.8).describe("Fraction of the memory bound at which emit() returns false."),
    spool_max_bytes: size()
      .default(1024 ** 3)
      .describe("Spool size per source before when_full applies."),
    disk_reserve: z
      .union([z.string().regex(/^\d+(\.\d+)?%$/, "a percentage like 5%"), size()])
      .optional()
      .describe(
        "Free space the spool never writes into on its filesystem: a size (64MiB) or a percentage (5%). Default: 5 % of the filesystem, at most 64 MiB.",
      ),
    when_full: z.enum(["drop_oldest", "drop_newest", "block"]).default("drop_oldest").describe("What happens once everything is full."),
  })
  .describe("The per-source queue between adapters and the uplink.");

export type QueueOptions = z.output<typeof queueSection>;
