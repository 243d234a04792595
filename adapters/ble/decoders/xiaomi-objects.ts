/**
 * MiBeacon object table: object id → what its value means (Xiaomi's object definitions, with the
 * device-specific ids and the quantity names of Home Assistant's xiaomi-ble, so the vectors
 * compare one to one). Buttons and locks live in their own files.
 */
import { roundTo } from "./reading.js";
import { BUTTON_OBJECTS, EMPTY_VALUE_OBJECTS } from "./xiaomi-buttons.js";
import { LOCK_OBJECTS } from "./xiaomi-locks.js";
import { float32, type ObjectDecoder, type ObjectSink } from "./xiaomi-model.js";

export { type ObjectSink, XIAOMI_MODELS } from "./xiaomi-model.js";

/** A fixed-size little-endian number times a factor. */
function number(quantity: string, size: 1 | 2 | 4, factor: number, unit?: string, signed = false): ObjectDecoder {
  return (v, _model, out) => {
    if (v.length !== size && size !== 1) return;
    const raw = signed ? v.readIntLE(0, size) : v.readUIntLE(0, size);
    out.set(quantity, factor === 1 ? raw : roundTo(raw * factor, factor), unit);
  };
}

function flag(quantity: string, test: (byte: number) => boolean = (byte) => byte > 0): ObjectDecoder {
  return (v, _model, out) => out.set(quantity, test(v[0]));
}

function float(quantity: string, decimals: number, unit: string): ObjectDecoder {
  return (v, _model, out) => (v.length === 4 ? out.set(quantity, float32(v, decimals), unit) : undefined);
}

/** Devices with one AAA cell (0.8–1.6 V); the rest run on a CR2032 (2.2–3.1 V). */
const AAA_MODELS = new Set(["LYWSDCGQ", "CGDK3"]);

/** 0x100A: battery in %, and the voltage the app derives from it (an estimate, not a measurement). */
const battery: ObjectDecoder = (v, model, out) => {
  const [low, high] = model && AAA_MODELS.has(model) ? [0.8, 1.6] : [2.2, 3.1];
  out.set("battery", v[0], "%");
  out.set("voltage", roundTo(low + (high - low) * (v[0] / 100), 0.001), "V");
};

/** 0x000F: motion, with the light level as lux (CGPR1) or as light/dark (MJYD02YL 100 = light, RTCGQ02LM 256 = light). */
const motionWithLight: ObjectDecoder = (v, model, out) => {
  if (v.length !== 3) return;
  const light = v.readUIntLE(0, 3);
  out.set("motion", true);
  if (model === "MJYD02YL" || model === "RTCGQ02LM") out.set("light", light >= 100);
  else if (model === "CGPR1") out.set("illuminance", light, "lx");
};

const illuminance: ObjectDecoder = (v, model, out) => {
  if (v.length !== 3) return;
  const lux = v.readUIntLE(0, 3);
  if (model === "MJYD02YL" || model === "MCCGQ02HL") out.set("light", lux === 100);
  else out.set("illuminance", lux, "lx");
};

/** LYWSD03MMC and MHO-C401 humidity steps jaggedly in its tenths; the app shows whole percent. */
const humidity: ObjectDecoder = (v, model, out) => {
  if (v.length !== 2) return;
  const tenths = v.readUInt16LE(0);
  out.set("humidity", model === "LYWSD03MMC" || model === "MHO-C401" ? Math.trunc(tenths / 10) : tenths / 10, "%");
};

const temperatureHumidity: ObjectDecoder = (v, _model, out) => {
  if (v.length !== 4) return;
  out.set("temperature", v.readInt16LE(0) / 10, "°C");
  out.set("humidity", v.readUInt16LE(2) / 10, "%");
};

/** Seconds since the last motion: up to 30 s the app still shows motion. */
function noMotionFor(size: 2 | 4): ObjectDecoder {
  return (v, _model, out) => (v.length === size ? out.set("motion", v.readUIntLE(0, size) <= 30) : undefined);
}

/** 0x1019 window/door: 0 open, 1 closed, 2 left open (3 = device reset, nothing to report). */
const opening: ObjectDecoder = (v, _model, out) => {
  if (v[0] === 0) out.set("opening", true);
  else if (v[0] === 1) {
    out.set("opening", false);
    out.set("door_left_open", false);
  } else if (v[0] === 2) {
    out.set("opening", true);
    out.set("door_left_open", true);
  }
};

/** 0x4804 / 0x4A12: 1 open, 2 closed (which also clears the alarms). */
const openingState: ObjectDecoder = (v, _model, out) => {
  if (v[0] === 1) out.set("opening", true);
  else if (v[0] === 2) {
    out.set("opening", false);
    out.set("door_left_open", false);
    out.set("device_forcibly_removed", false);
  }
};

/** MMC-T201: body temperature from two skin temperatures, an approximation fitted to the app's 36.5–37.8 °C. */
const bodyTemperature: ObjectDecoder = (v, _model, out) => {
  if (v.length !== 5) return;
  const [t1, t2] = [v.readInt16LE(0), v.readInt16LE(2)];
  // biome-ignore lint/suspicious/noApproximativeNumericConstant: 0.69314 is a fitted coefficient, not ln 2
  const body = 3.71934e-11 * Math.exp((0.69314 * t1) / 100) - 1.02801e-8 * Math.exp((0.53871 * t2) / 100) + 36.413;
  out.set("temperature", body, "°C");
  out.set("battery", v[4], "%");
};

/** 0x0010: 0 brushing (with a counter), else stopped (with a score). */
const toothbrush: ObjectDecoder = (v, _model, out) => {
  out.set("toothbrush", v[0] === 0);
  if (v.length > 1) out.set(v[0] === 0 ? "counter" : "score", v[1]);
};

/** 0x3003: 0 start, 1 end of brushing (4-byte time, not reported), then the score. */
const brushing: ObjectDecoder = (v, _model, out) => {
  if (v[0] <= 1) out.set("toothbrush", v[0] === 0);
  if (v.length === 6) out.set("score", v[5]);
};

/** S200 scale: profile, weight in 10 g, time. */
const scaleS200: ObjectDecoder = (v, _model, out) => {
  if (v.length !== 9) return;
  const weight = v.readUInt32LE(1);
  if (weight === 0) return;
  out.set("mass", weight / 100, "kg");
  out.set("profile_id", v[0]);
};

/**
 * S400 scale: profile, then 11 bits weight (100 g), 7 bits heart rate (+50 bpm), 14 bits impedance
 * (0.1 Ω). A packet with only the impedance is the high-frequency one that ends a measurement.
 */
const scaleS400: ObjectDecoder = (v, _model, out) => {
  if (v.length !== 9) return;
  const packed = v.readUInt32LE(1);
  const [mass, heartRate, impedance] = [packed & 0x7ff, (packed >>> 11) & 0x7f, packed >>> 18];
  out.set("profile_id", v[0]);
  if (mass === 0 && heartRate === 0 && impedance === 0) {
    out.set("stabilized", false);
    return;
  }
  if (mass !== 0) out.set("mass", mass / 10, "kg");
  if (heartRate > 0 && heartRate < 127) out.set("heart_rate", heartRate + 50, "bpm");
  if (mass === 0 && heartRate === 0) {
    out.set("impedance_high", impedance / 10, "Ω");
    out.set("stabilized", true);
  } else if (impedance !== 0) {
    // The low-frequency impedance comes with the weight while the measurement goes on.
    out.set("impedance_low", impedance / 10, "Ω");
    out.set("stabilized", false);
  } else {
    // Weight without impedance: measured with socks on, final.
    out.set("stabilized", true);
  }
};

const CHARGING_STATES = ["Charging", "Not Charging", "Full"];

/** Known objects deliberately not reported (device modes, reset notices). */
const ignored: ObjectDecoder = () => {};

const SENSOR_OBJECTS: Record<number, ObjectDecoder> = {
  3: (_v, _model, out) => out.set("motion", "motion_detected"), // MUE4094RT sends no "clear": an event
  10: (v, _model, out) => (v.length === 2 && v.readInt16LE(0) !== 0 ? out.set("temperature", v.readInt16LE(0) / 100, "°C") : undefined),
  15: motionWithLight,
  16: toothbrush,
  4100: number("temperature", 2, 0.1, "°C", true),
  4101: (v, _model, out) => {
    out.set("power", v[0] !== 0);
    if (v.length > 1) out.set("temperature", v[1], "°C");
  },
  4102: humidity,
  4103: illuminance,
  4104: number("moisture", 1, 1, "%"),
  4105: number("conductivity", 2, 1, "µS/cm"),
  4106: battery,
  4109: temperatureHumidity,
  4112: number("formaldehyde", 2, 0.01, "mg/m³"),
  4114: flag("power"),
  4115: number("consumable", 1, 1, "%"),
  4116: flag("moisture"),
  4117: flag("smoke"),
  4119: noMotionFor(4),
  4120: flag("light"),
  4121: opening,
  4123: (_v, _model, out) => out.set("motion", false),
  8192: bodyTemperature,
  12291: brushing,
  18433: float("temperature", 1, "°C"),
  18434: number("humidity", 1, 1, "%"),
  18435: number("battery", 1, 1, "%"),
  18436: openingState,
  18437: float("illuminance", 2, "lx"),
  18438: (v, model, out) => (v.length === 1 ? out.set(model === "SJWS02LM" ? "bottom_submersion" : "moisture", v[0] > 0) : undefined),
  18440: float("humidity", 1, "%"),
  18444: (v, _model, out) => (v.length === 1 && v[0] <= 1 ? out.set("opening", v[0] === 0) : undefined),
  18456: noMotionFor(2),
  18492: (v, _model, out) => (v.length === 1 ? out.set("occupancy", v[0] > 0) : undefined),
  18493: number("pressure_present_duration", 4, 1, "s"),
  18494: number("pressure_not_present_duration", 4, 1, "s"),
  // XMOSB01XS: 0 clear, 1 detected, 2 clear again; others: anything but 0 is detected.
  18510: (v, model, out) => out.set("occupancy", model === "XMOSB01XS" ? v[0] === 1 : v[0] > 0),
  18513: number("duration_detected", 1, 1, "min"),
  18514: number("duration_cleared", 1, 1, "min"),
  18555: (v, model, out) => (v.length === 1 && model === "SJWS02LM" ? out.set("top_splash", v[0] > 0) : undefined),
  18945: flag("battery_low"),
  18952: (v, _model, out) => {
    if (v.length !== 4) return;
    out.set("motion", true);
    out.set("illuminance", float32(v, 2), "lx");
  },
  18959: (v, _model, out) => {
    if (v[0] !== 1) return;
    out.set("opening", true);
    out.set("device_forcibly_removed", true);
  },
  18962: openingState,
  18970: (v, _model, out) => {
    if (v[0] !== 1) return;
    out.set("opening", true);
    out.set("door_left_open", true);
  },
  19048: (v, model, out) => {
    // Water Leak Sensor 2 alarm/clear events: 0/1 bottom wet/dry, 2/3 top splash/dry.
    if (v.length !== 1 || model !== "SJWS02LM" || v[0] > 3) return;
    out.set(v[0] <= 1 ? "bottom_submersion" : "top_splash", v[0] % 2 === 0);
  },
  19457: float("temperature", 2, "°C"),
  19458: (v, _model, out) => (v.length === 1 ? out.set("humidity", v[0], "%") : undefined),
  19459: number("battery", 1, 1, "%"),
  19464: float("humidity", 2, "%"),
  19476: ignored,
  19969: flag("battery_low"),
  19990: scaleS200,
  19996: ignored,
  20483: number("battery", 1, 1, "%"),
  21523: (v, model, out) => (model === "ES5BB" ? out.set("occupancy_close_range", v[0] > 0) : undefined),
  21524: ignored,
  21538: (v, _model, out) => (v.length === 1 ? out.set("charging_state", CHARGING_STATES[v[0]] ?? "Unknown") : undefined),
  22544: (v, _model, out) => (v.length === 1 ? out.set("asleep", (v[0] ^ 1) !== 0) : undefined),
  25697: (v, _model, out) => (v.length === 1 ? out.set("wearing", (v[0] ^ 1) !== 0) : undefined),
  28182: scaleS400,
};

const OBJECTS: Record<number, ObjectDecoder> = { ...SENSOR_OBJECTS, ...BUTTON_OBJECTS, ...LOCK_OBJECTS };

/** Decodes one object into `out`; false when the object id is unknown. */
export function decodeXiaomiObject(type: number, value: Buffer, model: string | undefined, out: ObjectSink): boolean {
  const decoder = OBJECTS[type];
  if (!decoder) return false;
  // An empty value means nothing, except for the press objects that are events by themselves.
  if (value.length > 0 || EMPTY_VALUE_OBJECTS.has(type)) decoder(value, model, out);
  return true;
}
