/** Flight mode names from HEARTBEAT and back to MAV_CMD_DO_SET_MODE parameters. Pure tables. */
import { describe, expect, it } from "vitest";
import { modeName, setModeParams, stateName } from "../../../adapters/mavlink/modes.js";

const ARDUPILOT = 3;
const PX4 = 12;
const CUSTOM = 1;

describe("MAVLink modes", () => {
  it("names ArduPilot modes by vehicle type", () => {
    const hb = { baseMode: CUSTOM | 128, systemStatus: 4, autopilot: ARDUPILOT };
    expect(modeName({ ...hb, type: 2, customMode: 4 })).toBe("GUIDED"); // copter
    expect(modeName({ ...hb, type: 1, customMode: 10 })).toBe("AUTO"); // plane
    expect(modeName({ ...hb, type: 10, customMode: 11 })).toBe("RTL"); // rover
    expect(modeName({ ...hb, type: 12, customMode: 2 })).toBe("ALT_HOLD"); // sub
    expect(modeName({ ...hb, type: 2, customMode: 999 })).toBe("CUSTOM_999");
  });

  it("names PX4 main and sub modes", () => {
    const hb = { baseMode: CUSTOM, systemStatus: 3, autopilot: PX4, type: 2 };
    expect(modeName({ ...hb, customMode: 3 << 16 })).toBe("POSCTL");
    expect(modeName({ ...hb, customMode: (4 << 16) | (4 << 24) })).toBe("AUTO.MISSION");
  });

  it("falls back to base_mode flags without a custom mode", () => {
    expect(modeName({ baseMode: 64 | 16, systemStatus: 3, autopilot: 0, type: 2, customMode: 0 })).toBe("MANUAL_INPUT|STABILIZE");
    expect(stateName(4)).toBe("ACTIVE");
    expect(stateName(99)).toBe("STATE_99");
  });

  it("turns mode names into DO_SET_MODE parameters", () => {
    expect(setModeParams({ baseMode: CUSTOM, systemStatus: 3, autopilot: ARDUPILOT, type: 2, customMode: 0 }, "rtl")).toEqual([1, 6, 0]);
    expect(setModeParams({ baseMode: CUSTOM, systemStatus: 3, autopilot: PX4, type: 2, customMode: 0 }, "AUTO.MISSION")).toEqual([1, 4, 4]);
    expect(setModeParams({ baseMode: CUSTOM, systemStatus: 3, autopilot: 0, type: 2, customMode: 0 }, 7)).toEqual([1, 7, 0]);
    expect(() => setModeParams({ baseMode: CUSTOM, systemStatus: 3, autopilot: PX4, type: 2, customMode: 0 }, "WARP")).toThrow(
      /unknown PX4 mode/,
    );
    expect(() => setModeParams({ baseMode: CUSTOM, systemStatus: 3, autopilot: 0, type: 2, customMode: 0 }, "GUIDED")).toThrow(
      /ArduPilot and PX4 only/,
    );
  });
});
