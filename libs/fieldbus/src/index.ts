export * from './modbus/modbus-error.js';
export * from './modbus/modbus-client.port.js';
export { SimulatedModbusClient } from './modbus/simulated-modbus.driver.js';
export type {
  SimulatedFault,
  SimulatedFaultRule,
  SimulatedUnitSeed,
} from './modbus/simulated-modbus.driver.js';
export { withDeadline, sleep, type Deadline } from './util/deadline.js';
export { silentIntervalMs } from './scheduler/silent-interval.js';
export * from './scheduler/device-health.js';
export * from './scheduler/bus-scheduler.js';
export * from './planner/read-planner.js';
export { ModbusTcpClient, type ModbusTcpOptions } from './modbus/modbus-tcp.driver.js';
export { ModbusRtuClient, type ModbusRtuOptions } from './modbus/modbus-rtu.driver.js';
export { mapModbusSerialError } from './modbus/modbus-serial-error.js';
export { type SerialSettings, DEFAULT_SERIAL_SETTINGS } from './serial/serial-settings.js';
export type { SerialLink } from './serial/serial-link.port.js';
export { SerialLinkError, type SerialLinkErrorCode } from './serial/serial-link-error.js';
export { SerialPortLink } from './serial/serialport-link.driver.js';
export {
  SimulatedSerialLink,
  type SimulatedSerialDevice,
} from './serial/simulated-serial-link.driver.js';
export type {
  GpioController,
  GpioLine,
  GpioLineOptions,
  GpioValue,
} from './gpio/gpio-line.port.js';
export { GpioError, type GpioErrorCode } from './gpio/gpio-error.js';
export {
  resolveSysfsGpio,
  HEADER_CHIP_LABELS,
  type SysfsGpioLine,
} from './gpio/sysfs-gpio-resolver.js';
export { OnoffGpioController } from './gpio/onoff-gpio.driver.js';
export { SimulatedGpioController } from './gpio/simulated-gpio.driver.js';
export { type ModbusDevice, busDeviceKey, modbusTransport } from './runtime/modbus-device.js';
export {
  PointReader,
  describeFailure,
  type PointFailure,
  type PointReadResult,
} from './runtime/point-reader.js';
export {
  DevicePoller,
  type DevicePollerOptions,
  type PolledDevice,
  type ReadingReport,
} from './runtime/device-poller.js';
export {
  CommandExecutor,
  type CommandResult,
  type CommandTargets,
  type CommandFailure,
  type ExecuteOptions,
  type SerialTarget,
  type VerifyOutcome,
} from './runtime/command-executor.js';
export { GpioLineRegistry } from './runtime/gpio-line-registry.js';
export { staggerOffsetMs, evenStaggerMs } from './runtime/poll-stagger.js';
export {
  BusRegistry,
  BusConflictError,
  type BusRegistryOptions,
  type ModbusBus,
  type ModbusBusSpec,
  type SerialBus,
} from './runtime/bus-registry.js';
