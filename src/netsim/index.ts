// Re-exports only: `virtkit netsim` in the browser-safe core (engine, switches, scenarios).
export { Simulation, Port, DIR_IN, DIR_OUT, DEFAULT_MAX_FRAMES, type Device, type Direction, type EventRecord, type FrameSink, type PortOptions, type SimulationOptions } from './engine.js';
export { NetsimError } from './errors.js';
export { MacTable } from './fdb.js';
export { Switch, switchType, parseSwitchPort, MODE_NAMES, TPID_8021Q, TPID_8021AD, DEFAULT_AGING_SECONDS, DEFAULT_MAC_TABLE_SIZE, type PortMode, type SwitchConfig, type SwitchPortConfig } from './switch.js';
export { DEVICE_TYPES, Network, parseScenario, simulateScenario, eventFrame, DEFAULT_EVENT_STEP_NS, type ScenarioEvent, type ScenarioOptions } from './scenario.js';
export { isSwitchPortBinder, type BuildContext, type DeviceType, type SwitchPortBinder } from './device-type.js';
export * as scenarioValues from './parse.js';
export { formatEventLine, EVENT_HEADER } from './report.js';
