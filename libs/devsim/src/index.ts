export { systemClock, type Clock } from './clock.js';
export { seededRandom, type SeededRandom } from './seeded-random.js';
export { streetLightingCurve, daytimeCurve, hourOfDay, type DayCurve } from './day-curve.js';
export { SimModbusException, MODBUS_EXCEPTION } from './sim-modbus-exception.js';
export { SimFaults, type SimFault } from './sim-faults.js';
export { RegisterBank, type WriteHandler } from './register-bank.js';
export { RegisterBankDevice, type SimDevice } from './sim-device.js';
export { EnergyMeterSim, type EnergyMeterOptions } from './energy-meter.sim.js';
export {
  StreetlightSim,
  type StreetlightFault,
  type StreetlightOptions,
} from './streetlight.sim.js';
export { DaliGatewaySim, type DaliGatewayOptions, type SimBallast } from './dali-gateway.sim.js';
export { PelcoDCameraSim, type PelcoDCameraOptions } from './pelco-d-camera.sim.js';
export { RelayBoardSim, type LineWrite, type RelayBoardOptions } from './relay-board.sim.js';
export { createSimDevice, type SimDeviceOptions } from './sim-device-factory.js';
export {
  startSimulatedModbusTcpServer,
  type SimulatedModbusTcpServer,
  type SimulatedModbusTcpServerOptions,
} from './modbus-tcp-sim.server.js';
