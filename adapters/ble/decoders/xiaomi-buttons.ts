/**
 * MiBeacon button, remote, cube and dimmer objects. The event names and button keys are the
 * ones Home Assistant's xiaomi-ble uses (button, button_left, button_on, cube, dimmer…); what an
 * object's bytes mean depends on the model, so each model family has its own table.
 */
import type { ObjectDecoder } from "./xiaomi-model.js";

/** 0x1001 press type → event (press types 3 and 4 depend on the button byte, see below). */
const PRESS = ["press", "double_press", "long_press"];
/** The K9B wall switches number their press types differently. */
const SWITCH_PRESS = ["press", "long_press", "double_press"];

/** Remote control buttons by button byte, per remote. */
const REMOTE_BUTTONS: Record<string, string[]> = {
  YLYK01YL: ["on", "off", "brightness", "plus", "M", "min"],
  "YLYK01YL-FANCL": ["fan", "light", "wind_speed", "color_temperature", "wind_mode", "brightness"],
  "YLYK01YL-VENFAN": ["swing", "power", "timer_60_minutes", "increase_wind_speed", "timer_30_minutes", "decrease_wind_speed"],
  "YLYB01YL-BHFRC": ["stop", "air_exchange", "fan", "increase_speed", "decrease_speed", "dry", "light", "swing", "heat"],
};

/** Which switch buttons a button byte means: bit 0 left, 1 middle (3-button) or right (2-button), 2 right. */
const SWITCH_BUTTONS: Record<string, { keys: string[]; masks: number[] }> = {
  "K9B-1BTN": { keys: ["button"], masks: [1] },
  "K9B-2BTN": { keys: ["button_left", "button_right"], masks: [1, 2, 3] },
  "K9B-3BTN": { keys: ["button_left", "button_middle", "button_right"], masks: [1, 2, 4, 3, 6, 5, 7] },
};

/** Models whose 0x1001 is a single button. */
const SINGLE_BUTTON = new Set(["RTCGQ02LM", "YLAI003", "JTYJGD03MI", "SJWS01LM"]);

/** 0x1001: button byte, value byte, press type. */
const button: ObjectDecoder = (v, model, out) => {
  if (v.length !== 3 || !model) return;
  const [buttonByte, value, pressType] = v;
  let press = "no_press";
  let amount = 0;
  if (pressType <= 2) press = PRESS[pressType];
  else if (pressType === 3 && buttonByte <= 1) {
    // The dimmer: press with the number of presses, long press with its duration in seconds.
    press = buttonByte === 0 ? "press" : "long_press";
    amount = value;
  } else if (pressType === 4 && buttonByte === 0) {
    // Rotation: value is a signed step count.
    press = value <= 127 ? "rotate_right" : "rotate_left";
    amount = value <= 127 ? value : 256 - value;
  } else if (pressType === 4) {
    press = buttonByte <= 127 ? "rotate_right_pressed" : "rotate_left_pressed";
    amount = buttonByte <= 127 ? buttonByte : 256 - buttonByte;
  } else if (pressType === 5) press = "press";
  else if (pressType === 6) press = "long_press";

  if (model === "YLKG07YL/YLKG08YL") {
    // The amount is the number of presses, the seconds held or the steps turned.
    out.set("dimmer", press === "double_press" || press === "no_press" ? press : `${press} ${amount}`);
  } else if (SINGLE_BUTTON.has(model)) {
    out.set("button", press);
  } else if (model === "XMMF01JQD") {
    if (buttonByte <= 1) out.set("cube", buttonByte === 0 ? "rotate_right" : "rotate_left");
  } else if (REMOTE_BUTTONS[model]) {
    const name = REMOTE_BUTTONS[model][buttonByte];
    if (!name) return;
    if (model === "YLYK01YL" && buttonByte <= 1) out.set("power", buttonByte === 0);
    out.set(`button_${name}`, press);
  } else if (SWITCH_BUTTONS[model]) {
    const { keys, masks } = SWITCH_BUTTONS[model];
    const switchPress = SWITCH_PRESS[pressType];
    const mask = masks[buttonByte] ?? 0;
    if (!switchPress) return;
    keys.forEach((key, i) => {
      if (mask & (1 << i)) out.set(key, switchPress);
    });
  }
};

/** Press objects of the newer switches (one object per press type; value names the button where there are several). */
function pressObject(press: string): ObjectDecoder {
  return (v, model, out) => {
    if (model === "XMWS01XS") {
      if (v[0] === 0) out.set("button_left", press);
      else if (v[0] === 1) out.set("button_right", press);
    } else out.set("button", press);
  };
}

function twoButtonPress(press: string): ObjectDecoder {
  return (v, model, out) => {
    if (model === "XMWXKG01YL") {
      if (v[0] === 1 || v[0] === 3) out.set("button_left", press);
      if (v[0] === 2 || v[0] === 3) out.set("button_right", press);
    } else if (model === "XMWXKG01LM") out.set("button", press);
    else if (model === "K9BB-1BTN" && press === "press") {
      // This switch sends every press type in the single-press object.
      const k9bb: Record<number, string> = { 1: "press", 8: "long_press", 15: "double_press" };
      if (k9bb[v[0]]) out.set("button", k9bb[v[0]]);
    }
  };
}

const QUAD_BUTTONS = ["", "left", "mid_left", "mid_right", "right"];

function quadPress(press: string): ObjectDecoder {
  return (v, model, out) => {
    if (model === "KS2BB") out.set("button", press);
    else if (model === "KS1" || model === "KS1BP") {
      const name = QUAD_BUTTONS[v[0]];
      out.set(name ? `button_${name}` : "button", press);
    }
  };
}

export const BUTTON_OBJECTS: Record<number, ObjectDecoder> = {
  4097: button,
  18956: pressObject("press"),
  18957: pressObject("double_press"),
  18958: pressObject("long_press"),
  18963: (v, _model, out) => (v[0] === 1 ? out.set("button", "press") : undefined),
  19980: twoButtonPress("press"),
  19981: twoButtonPress("double_press"),
  19982: twoButtonPress("long_press"),
  22028: quadPress("press"),
  22029: quadPress("double_press"),
  22030: quadPress("long_press"),
};

/** Objects that mean something with an empty value (the press objects of some switches). */
export const EMPTY_VALUE_OBJECTS = new Set([0x4a0c, 0x4a0d, 0x4a0e, 0x4e0c, 0x4e0d, 0x4e0e, 0x560c, 0x560d, 0x560e]);
