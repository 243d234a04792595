/** The vehicle link on its own: commands while the link is down, and the ACKs that follow. */
import { describe, expect, it } from "vitest";
import { dialect } from "../../../adapters/mavlink/dialect.js";
import { FrameParser, type RawFrame } from "../../../adapters/mavlink/framing.js";
import { mavlinkOptions } from "../../../adapters/mavlink/options.js";
import { VehicleLink } from "../../../adapters/mavlink/vehicle.js";
import { MemoryLogger } from "../../helpers/adapter-harness.js";
import { arduSubHeartbeat, commandAck } from "./helpers.js";

const messages = dialect("common");

function frameOf(bytes: Uint8Array): RawFrame {
  const frames: RawFrame[] = [];
  new FrameParser({
    crcExtra: (id) => messages.crcExtra(id),
    onFrame: (frame) => frames.push({ ...frame, payload: Uint8Array.from(frame.payload) }),
    onProblem: (problem) => {
      throw new Error(problem);
    },
  }).push(bytes, true);
  return frames[0];
}

describe("MAVLink vehicle link", () => {
  it("a command sent while the link is down fails as such, and leaves nothing behind to swallow later ACKs", async () => {
    let linkUp = false;
    let sent = 0;
    const link: VehicleLink = new VehicleLink({
      options: mavlinkOptions.parse({ allow_commands: ["arm"], command_timeout: "150ms" }),
      log: new MemoryLogger(),
      monotonicMs: () => performance.now(),
      write: () => {
        if (!linkUp) return false;
        sent++;
        // The vehicle acknowledges every ARM_DISARM it receives.
        setTimeout(() => link.observe(frameOf(commandAck(400, 0))), 5);
        return true;
      },
      dialect: messages,
      readOnly: false,
      linkDescription: "tcp 127.0.0.1:5760",
    });
    link.observe(frameOf(arduSubHeartbeat()));

    // TCP reconnecting, serial unplugged: the vehicle still counts as present, but nothing can be sent.
    await expect(link.command({ command: "arm" })).rejects.toThrow(/not sent, the link to system 1 is down \(tcp 127\.0\.0\.1:5760\)/);
    expect(sent).toBe(0);

    // The link is back: the vehicle's ACK answers this command, not a request that never went out.
    linkUp = true;
    const result = await link.command({ command: "arm" });
    expect(result).toMatchObject({ accepted: true, command_ack: { command: 400, result: 0 } });
    expect(sent).toBe(1);
    link.stop();
  });
});
