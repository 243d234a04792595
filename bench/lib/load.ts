/** The machine's 1-minute load average, printed with each figure: benchmarks on a shared machine are only comparable at like load. */
import { availableParallelism, loadavg } from "node:os";

export const loadNote = () => `load ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`;
