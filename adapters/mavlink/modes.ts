/**
 * Readable names for HEARTBEAT: the flight mode (ArduPilot per vehicle type, PX4 main/sub mode)
 * and MAV_STATE; and the reverse, mode name → custom_mode, for set_mode.
 */
import {
  COPTER_MODE,
  MAV_MODE_FLAG,
  MAV_RESULT,
  MAV_SEVERITY,
  MAV_STATE,
  PLANE_MODE,
  ROVER_MODE,
  SUB_MODE,
  TRACKER_MODE,
} from "./message-definitions.js";

export const MAV_AUTOPILOT_ARDUPILOTMEGA = 3;
export const MAV_AUTOPILOT_INVALID = 8;
export const MAV_AUTOPILOT_PX4 = 12;
export const MAV_TYPE_GCS = 6;
export const MAV_MODE_FLAG_CUSTOM_MODE_ENABLED = 1;
export const MAV_MODE_FLAG_SAFETY_ARMED = 128;

/** ArduPilot's custom_mode table for a MAV_TYPE (the firmware follows the vehicle type). */
function arduPilotModes(type: number): Readonly<Record<number, string>> | undefined {
  if (type === 1 || (type >= 19 && type <= 25) || type === 16 || type === 28) return PLANE_MODE;
  if ([2, 3, 4, 13, 14, 15, 29, 35, 43].includes(type)) return COPTER_MODE;
  if (type === 10 || type === 11) return ROVER_MODE;
  if (type === 12) return SUB_MODE;
  if (type === 5) return TRACKER_MODE;
  return undefined;
}

/** PX4: custom_mode carries main_mode in bits 16..23 and sub_mode in bits 24..31. */
const PX4_MAIN: Record<number, string> = {
  1: "MANUAL",
  2: "ALTCTL",
  3: "POSCTL",
  4: "AUTO",
  5: "ACRO",
  6: "OFFBOARD",
  7: "STABILIZED",
  8: "RATTITUDE",
  9: "SIMPLE",
  10: "TERMINATION",
};
const PX4_AUTO: Record<number, string> = {
  1: "READY",
  2: "TAKEOFF",
  3: "LOITER",
  4: "MISSION",
  5: "RTL",
  6: "LAND",
  7: "RTGS",
  8: "FOLLOW_TARGET",
  9: "PRECLAND",
  10: "VTOL_TAKEOFF",
};

export interface HeartbeatView {
  customMode: number;
  type: number;
  autopilot: number;
  baseMode: number;
  systemStatus: number;
}

/** The flight mode as a name, e.g. "MANUAL" (ArduSub), "AUTO.MISSION" (PX4), or base_mode flags otherwise. */
export function modeName(hb: HeartbeatView): string {
  if (hb.baseMode & MAV_MODE_FLAG_CUSTOM_MODE_ENABLED) {
    if (hb.autopilot === MAV_AUTOPILOT_ARDUPILOTMEGA) {
      const name = arduPilotModes(hb.type)?.[hb.customMode];
      if (name !== undefined) return name;
    } else if (hb.autopilot === MAV_AUTOPILOT_PX4) {
      const main = PX4_MAIN[(hb.customMode >>> 16) & 0xff];
      if (main) {
        const sub = main === "AUTO" ? PX4_AUTO[(hb.customMode >>> 24) & 0xff] : undefined;
        return sub ? `${main}.${sub}` : main;
      }
    }
    return `CUSTOM_${hb.customMode}`;
  }
  const flags: string[] = [];
  for (let bit = 64; bit >= 2; bit >>= 1) {
    if (hb.baseMode & bit) flags.push(MAV_MODE_FLAG[bit].replace(/_ENABLED$/, ""));
  }
  return flags.length ? flags.join("|") : "PREFLIGHT";
}

export function stateName(systemStatus: number): string {
  return MAV_STATE[systemStatus] ?? `STATE_${systemStatus}`;
}

export function severityName(severity: number): string {
  return MAV_SEVERITY[severity] ?? String(severity);
}

export function resultName(result: number): string {
  return MAV_RESULT[result] ?? `RESULT_${result}`;
}

/**
 * The MAV_CMD_DO_SET_MODE parameters that select `mode` on this vehicle: [base_mode, custom_mode,
 * custom_sub_mode]. Accepts a name ("GUIDED", "AUTO.MISSION") or a number (custom_mode).
 */
export function setModeParams(hb: HeartbeatView, mode: string | number): [number, number, number] {
  if (typeof mode === "number" || /^\d+$/.test(mode)) return [MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, Number(mode), 0];
  const wanted = mode.toUpperCase();
  if (hb.autopilot === MAV_AUTOPILOT_ARDUPILOTMEGA) {
    const table = arduPilotModes(hb.type);
    const value = table && Object.keys(table).find((key) => table[Number(key)] === wanted);
    if (value !== undefined) return [MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, Number(value), 0];
    const known = table ? Object.values(table) : [];
    throw new Error(`unknown mode "${mode}" for this vehicle${known.length ? ` (known: ${known.join(", ")})` : ""}`);
  }
  if (hb.autopilot === MAV_AUTOPILOT_PX4) {
    const [mainName, subName] = wanted.split(".");
    const main = Number(Object.keys(PX4_MAIN).find((key) => PX4_MAIN[Number(key)] === mainName));
    const sub = subName ? Number(Object.keys(PX4_AUTO).find((key) => PX4_AUTO[Number(key)] === subName)) : 0;
    if (!main || Number.isNaN(sub)) throw new Error(`unknown PX4 mode "${mode}" (e.g. POSCTL, AUTO.MISSION)`);
    return [MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, main, sub];
  }
  throw new Error(`mode names are known for ArduPilot and PX4 only; give custom_mode as a number`);
}
