#!/usr/bin/python3
"""Independent Modbus peer for interop tests: a pymodbus 3.0.0 server (TCP or RTU) seeded from JSON.

Seed (stdin is used for control, so the seed comes from --seed FILE):
{
  "units": {
    "1": {"holding": {"0": 17, "1": 42}, "input": {...}, "coil": {"0": true}, "discrete": {...}},
    "4": {"holding": {...}, "exception": {"code": 6, "times": 2}},   # answers exceptions (times: then normal)
    "6": {"holding": {...}, "wrongUnit": {"as": 9, "thenCorrect": true}}  # first a reply claiming unit 9
  }
}
Addresses are 0-based PDU addresses; unmapped addresses answer exception 02. Units not listed never
answer (ignore_missing_slaves). Prints `READY tcp <port>` or `READY rtu <path>` once serving.
Control on stdin, one JSON per line, answered with one JSON line on stdout:
  {"op": "get", "unit": 1, "table": "holding", "address": 0, "count": 2} -> {"ok": true, "values": [...]}
  {"op": "set", "unit": 1, "table": "holding", "address": 0, "values": [1, 2]} -> {"ok": true}
  {"op": "stats"} -> {"ok": true, "requests": {"1": 3, ...}}
"""
import argparse
import asyncio
import json
import logging
import sys
import threading

from pymodbus.datastore import ModbusServerContext, ModbusSlaveContext, ModbusSparseDataBlock
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.framer.socket_framer import ModbusSocketFramer
from pymodbus.pdu import ExceptionResponse
from pymodbus.factory import ServerDecoder
from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer

TABLES = {"coil": "co", "discrete": "di", "holding": "hr", "input": "ir"}
FC_TABLE = {"coil": 1, "discrete": 2, "holding": 3, "input": 4}


def build_context(seed):
    slaves = {}
    for unit_key, unit in seed.get("units", {}).items():
        blocks = {}
        for table, kw in TABLES.items():
            values = {int(a): v for a, v in unit.get(table, {}).items()}
            # An empty sparse block maps nothing: every read of that table is exception 02.
            blocks[kw] = ModbusSparseDataBlock(values) if values else ModbusSparseDataBlock({65535: 0})
        slaves[int(unit_key)] = ModbusSlaveContext(zero_mode=True, **blocks)
    return ModbusServerContext(slaves=slaves, single=False)


class Behaviour:
    """Per-unit response manipulation: injected exceptions and wrong-unit replies."""

    def __init__(self, seed, framer):
        self.units = {int(k): v for k, v in seed.get("units", {}).items()}
        self.framer = framer
        self.requests = {}

    def __call__(self, response):
        unit = response.unit_id
        self.requests[unit] = self.requests.get(unit, 0) + 1
        spec = self.units.get(unit, {})
        exc = spec.get("exception")
        if exc and exc.get("times", 1) != 0:
            if "times" in exc:
                exc["times"] -= 1
            fc = response.function_code & 0x7F
            out = ExceptionResponse(fc, exc["code"])
            out.unit_id = unit
            out.transaction_id = response.transaction_id
            return out, False
        wrong = spec.get("wrongUnit")
        if wrong:
            right = self.framer.buildPacket(response)
            response.unit_id = wrong["as"]
            bogus = self.framer.buildPacket(response)
            response.unit_id = unit
            return (bogus + right if wrong.get("thenCorrect") else bogus), True
        return response, False


def control_loop(loop, context, behaviour):
    def handle(line):
        try:
            cmd = json.loads(line)
            op = cmd["op"]
            if op == "stats":
                return {"ok": True, "requests": {str(k): v for k, v in behaviour.requests.items()}}
            slave = context[int(cmd["unit"])]
            fc = FC_TABLE[cmd["table"]]
            if op == "get":
                values = slave.getValues(fc, int(cmd["address"]), int(cmd.get("count", 1)))
                return {"ok": True, "values": [v if isinstance(v, bool) else int(v) for v in values]}
            if op == "set":
                slave.setValues(fc, int(cmd["address"]), cmd["values"])
                return {"ok": True}
            return {"ok": False, "error": f"unknown op {op}"}
        except Exception as exc:  # pylint: disable=broad-except
            return {"ok": False, "error": str(exc)}

    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        done = threading.Event()
        box = {}

        def run(l=line):
            box["r"] = handle(l)
            done.set()

        loop.call_soon_threadsafe(run)
        done.wait()
        print(json.dumps(box["r"]), flush=True)
    # stdin closed: the test harness is gone, stop serving.
    loop.call_soon_threadsafe(loop.stop)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", required=True)
    parser.add_argument("--tcp", help="host to listen on (port 0 = random)")
    parser.add_argument("--rtu", help="serial device path")
    parser.add_argument("--baud", type=int, default=9600)
    parser.add_argument("--parity", default="N")
    parser.add_argument("--stopbits", type=int, default=1)
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args()
    # pymodbus 3.0.0 calls logging.basicConfig at import: quieten the root logger it configured.
    logging.getLogger().setLevel(logging.DEBUG if args.debug else logging.CRITICAL)

    with open(args.seed, encoding="utf-8") as fh:
        seed = json.load(fh)
    context = build_context(seed)
    loop = asyncio.get_running_loop()

    if args.tcp:
        behaviour = Behaviour(seed, ModbusSocketFramer(ServerDecoder()))
        server = ModbusTcpServer(
            context,
            address=(args.tcp, 0),
            ignore_missing_slaves=True,
            response_manipulator=behaviour,
            allow_reuse_address=True,
        )
        asyncio.create_task(server.serve_forever())
        await server.serving
        port = server.server.sockets[0].getsockname()[1]
        print(f"READY tcp {port}", flush=True)
    else:
        behaviour = Behaviour(seed, ModbusRtuFramer(ServerDecoder()))
        server = ModbusSerialServer(
            context,
            framer=ModbusRtuFramer,
            port=args.rtu,
            baudrate=args.baud,
            parity=args.parity,
            stopbits=args.stopbits,
            bytesize=8,
            ignore_missing_slaves=True,
            broadcast_enable=True,
            response_manipulator=behaviour,
        )
        await server.start()
        if server.transport is None:
            print(f"FAILED cannot open {args.rtu}", flush=True)
            sys.exit(2)
        print(f"READY rtu {args.rtu}", flush=True)

    threading.Thread(target=control_loop, args=(loop, context, behaviour), daemon=True).start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except (KeyboardInterrupt, RuntimeError):
        pass
