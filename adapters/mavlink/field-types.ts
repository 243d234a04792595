/** Bytes of one element of each MAVLink field type (the XML's names; `uint8_t_mavlink_version` is HEARTBEAT's). */
export const TYPE_SIZES: Readonly<Record<string, number>> = {
  char: 1,
  int8_t: 1,
  uint8_t: 1,
  uint8_t_mavlink_version: 1,
  int16_t: 2,
  uint16_t: 2,
  int32_t: 4,
  uint32_t: 4,
  float: 4,
  int64_t: 8,
  uint64_t: 8,
  double: 8,
};
