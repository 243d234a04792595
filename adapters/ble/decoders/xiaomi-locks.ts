/**
 * MiBeacon lock, door and fingerprint objects (Xiaomi's object definitions for locks). A frame
 * carries a lock state and the action that led to it: the state is the `lock` metric (1 unlocked,
 * as Home Assistant's lock binary sensor), the action the `lock_action` event; fingerprint
 * results likewise are `fingerprint` (1 matched) and the `fingerprint_result` event.
 */
import type { ObjectDecoder } from "./xiaomi-model.js";

/** Lock action (low nibble of 0x000B): [unlocked afterwards, what is locked, event]. */
const LOCK_ACTIONS: Record<number, [boolean, "lock" | "antilock" | "childlock", string]> = {
  0: [true, "lock", "unlock_outside_the_door"],
  1: [false, "lock", "locked"],
  2: [false, "antilock", "turn_on_antilock"],
  3: [true, "antilock", "release_the_antilock"],
  4: [true, "lock", "unlock_inside_the_door"],
  5: [false, "lock", "lock_inside_the_door"],
  6: [false, "childlock", "turn_on_child_lock"],
  7: [true, "childlock", "turn_off_child_lock"],
  8: [false, "lock", "lock_outside_the_door"],
  15: [true, "lock", "abnormal"],
};

/** Lock method (high nibble of 0x000B). */
const LOCK_METHODS: Record<number, string> = {
  0: "bluetooth",
  1: "password",
  2: "biometrics",
  3: "key_method",
  4: "turntable_method",
  5: "nfc_method",
  6: "one_time_password",
  7: "two_step_verification",
  8: "coercion_method",
  9: "homekit",
  10: "manual",
  11: "automatic",
  15: "abnormal",
};

/** Key ids 0xC0DE0000… are not keys but alarms. */
const LOCK_ERRORS: Record<number, string> = {
  3235774464: "frequent_unlocking_with_incorrect_password",
  3235774465: "frequent_unlocking_with_wrong_fingerprints",
  3235774466: "operation_timeout_password_input_timeout",
  3235774467: "lock_picking",
  3235774468: "reset_button_is_pressed",
  3235774469: "the_wrong_key_is_frequently_unlocked",
  3235774470: "foreign_body_in_the_keyhole",
  3235774471: "the_key_has_not_been_taken_out",
  3235774472: "error_nfc_frequently_unlocks",
  3235774473: "timeout_is_not_locked_as_required",
  3235774474: "failure_to_unlock_frequently_in_multiple_ways",
  3235774475: "unlocking_the_face_frequently_fails",
  3235774476: "failure_to_unlock_the_vein_frequently",
  3235774477: "hijacking_alarm",
  3235774478: "unlock_inside_the_door_after_arming",
  3235774479: "palmprints_frequently_fail_to_unlock",
  3235774480: "the_safe_was_moved",
  3235778560: "the_battery_level_is_less_than_10_percent",
  3235778561: "the_battery_level_is_less_than_5_percent",
  3235778562: "the_fingerprint_sensor_is_abnormal",
  3235778563: "the_accessory_battery_is_low",
  3235778564: "mechanical_failure",
  3235778565: "the_lock_sensor_is_faulty",
};

/** Key ids above 0x7FFFFFFF carry the key kind in the high half. */
const KEY_KINDS = ["Fingerprint", "Password", "Keys", "NFC", "Two-step verification", "Human face", "Finger veins", "Palm print"];

function specialKey(keyId: number): string | undefined {
  if (keyId === 0) return "administrator";
  if (keyId === 0xffffffff) return "unknown operator";
  if (keyId === 0xdeadbeef) return "invalid operator";
  return undefined;
}

function keyName(keyId: number): string {
  const special = specialKey(keyId);
  if (special) return special;
  if (keyId <= 0x7ffffff) return `Bluetooth key ${keyId}`;
  if (keyId > 0x8008ffff) return `key id ${keyId & 0xffff}`;
  // 0x8001xxxx fingerprints … 0x8008xxxx palm prints; the app files the ids below 0x80010000 as fingerprints too.
  return `${KEY_KINDS[Math.max(0, (keyId >>> 16) - 0x8001)]} key id ${keyId & 0xffff}`;
}

const FINGERPRINT_RESULTS = [
  "match_successful",
  "match_failed",
  "timeout",
  "low_quality_too_light_fuzzy",
  "insufficient_area",
  "skin_is_too_dry",
  "skin_is_too_wet",
];

const fingerprint: ObjectDecoder = (v, _model, out) => {
  if (v.length !== 5) return;
  // The fingerprint object compares the key id bytes as sent (de ad be ef), the lock object as a number.
  const keyId = v.readUInt32BE(0);
  out.set("fingerprint", v[4] === 0);
  out.set("key_id", specialKey(keyId) ?? String(v.readUInt32LE(0)));
  const result = FINGERPRINT_RESULTS[v[4]];
  if (result) out.set("fingerprint_result", result);
};

/** 0x0007 door: [door open, then the flags this event sets or clears]. */
const DOOR_EVENTS: Record<number, [boolean, [string, boolean][]]> = {
  0: [
    true,
    [
      ["door_stuck", false],
      ["knock_on_the_door", false],
    ],
  ],
  1: [
    false,
    [
      ["door_left_open", false],
      ["pry_the_door", false],
    ],
  ],
  2: [true, [["door_left_open", true]]],
  3: [false, [["knock_on_the_door", true]]],
  4: [true, [["pry_the_door", true]]],
  5: [false, [["door_stuck", true]]],
};

const door: ObjectDecoder = (v, _model, out) => {
  const event = DOOR_EVENTS[v[0]];
  if (!event) return;
  out.set("door", event[0]);
  for (const [flag, value] of event[1]) out.set(flag, value);
};

const armed: ObjectDecoder = (v, model, out) => {
  const isArmed = (v[0] ^ 1) !== 0;
  out.set("armed", isArmed);
  // The DSL-C08 sends this when the handle is lifted outside: it locks.
  if (model === "DSL-C08") {
    out.set("lock", isArmed);
    out.set("lock_action", "lock_outside_the_door");
    out.set("lock_method", "manual");
  }
};

const lock: ObjectDecoder = (v, model, out) => {
  if (v.length !== 9) return;
  const action = LOCK_ACTIONS[v[0] & 0x0f];
  const method = LOCK_METHODS[v[0] >> 4];
  if (!action || !method) return;
  const keyId = v.readUInt32LE(1);
  const error = LOCK_ERRORS[keyId];
  // Only the ZNMS17LM reports child lock and anti-lock through this object; others mean the lock.
  const target = model === "ZNMS17LM" ? action[1] : "lock";
  out.set(target, action[0]);
  if (!error) out.set("key_id", keyName(keyId));
  out.set("lock_action", action[2]);
  out.set("lock_method", method);
  if (error) out.set("lock_error", error);
};

/** 0x100E lock attribute (DSL-C08 only): bit 0 locked, bit 3 child lock off. */
const lockAttribute: ObjectDecoder = (v, model, out) => {
  if (v.length !== 1 || model !== "DSL-C08") return;
  out.set("lock", ((v[0] & 0x01) ^ 1) !== 0);
  out.set("childlock", ((v[0] >> 3) ^ 1) !== 0);
};

export const LOCK_OBJECTS: Record<number, ObjectDecoder> = {
  6: fingerprint,
  7: door,
  8: armed,
  11: lock,
  4110: lockAttribute,
};
