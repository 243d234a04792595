#!/usr/bin/python3
"""Modbus TCP server for the adapter's peer test, built on Debian's python3-pymodbus.

Values are laid out by pymodbus's own BinaryPayloadBuilder in all four byte/word orders, so the
adapter's decoder is checked against an independent encoder. Usage: pymodbus_server.py PORT.
Prints READY once the server task runs; exits on SIGTERM.
"""
import asyncio
import sys

from pymodbus.constants import Endian
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.payload import BinaryPayloadBuilder
from pymodbus.server import StartAsyncTcpServer

# (name, byteorder, wordorder, base address): the ABCD notation the adapter uses.
ORDERS = [
    ("ABCD", Endian.Big, Endian.Big, 100),
    ("CDAB", Endian.Big, Endian.Little, 200),
    ("BADC", Endian.Little, Endian.Big, 300),
    ("DCBA", Endian.Little, Endian.Little, 400),
]


def holding_registers():
    registers = [0] * 1000
    for _name, byteorder, wordorder, base in ORDERS:
        builder = BinaryPayloadBuilder(byteorder=byteorder, wordorder=wordorder)
        builder.add_16bit_int(-12345)  # +0
        builder.add_16bit_uint(54321)  # +1
        builder.add_32bit_int(-123456789)  # +2
        builder.add_32bit_uint(3000000000)  # +4
        builder.add_64bit_int(-9007199254740991)  # +6
        builder.add_64bit_uint(9007199254740991)  # +10
        builder.add_32bit_float(1234.56)  # +14
        builder.add_64bit_float(-98765.4321012345)  # +16
        words = builder.to_registers()
        registers[base : base + len(words)] = words
    text = BinaryPayloadBuilder(byteorder=Endian.Big)
    text.add_string(b"pymodbus")
    words = text.to_registers()
    registers[500 : 500 + len(words)] = words
    return registers


async def main(port):
    store = ModbusSlaveContext(
        hr=ModbusSequentialDataBlock(0, holding_registers()),
        ir=ModbusSequentialDataBlock(0, [1234, 65535] + [0] * 98),
        co=ModbusSequentialDataBlock(0, [True, False, True] + [False] * 97),
        di=ModbusSequentialDataBlock(0, [False, True] + [False] * 98),
        zero_mode=True,
    )
    context = ModbusServerContext(slaves={1: store}, single=False)
    server = await StartAsyncTcpServer(context=context, address=("127.0.0.1", port), defer_start=True, allow_reuse_address=True)
    task = asyncio.create_task(server.serve_forever())
    await asyncio.sleep(0.2)
    print("READY", flush=True)
    await task


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
