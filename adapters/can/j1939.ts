/**
 * J1939 on 29-bit ids: priority (3) | reserved (1) | data page (1) | PDU format (8) |
 * PDU specific (8) | source address (8). Below PDU format 240 (PDU1) the PDU specific byte is a
 * destination address and not part of the PGN.
 */
export function pgnOf(id: number): number {
  const pf = (id >> 16) & 0xff;
  const pgn = (id >> 8) & 0x3ffff;
  return pf < 240 ? pgn & 0x3ff00 : pgn;
}

export function sourceAddressOf(id: number): number {
  return id & 0xff;
}
