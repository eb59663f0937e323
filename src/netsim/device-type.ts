/**
 * How a kind of device enters scenarios: the scenario key it owns, how its list becomes devices
 * and ports, and (optionally) how events and switch ports refer to it. engine.ts's header tells
 * the whole recipe; scenario.ts holds the list of types (DEVICE_TYPES).
 */
import type { Device, Port, PortOptions, Simulation } from './engine.js';

export interface BuildContext {
  readonly sim: Simulation;
  /** A new port `device/local`, or a NetsimError at `where` when the name is taken. */
  addPort(device: Device, local: string, where: string, opts?: PortOptions): Port;
  /** Add a device, or a NetsimError at `where` when another device has its name. */
  addDevice(device: Device, where: string): void;
  /** The port named `device/port`, or a NetsimError at `where` naming the unknown port. */
  port(name: unknown, where: string): Port;
  /** Work to do once every type has built its devices (bind references between devices). */
  later(step: () => void): void;
}

export interface DeviceType {
  /** The scenario key holding this type's list, e.g. "switches", "vteps". */
  readonly key: string;
  /** Build the devices of `list` (the value under `key`), naming places as `${key}[i]…`. */
  build(list: unknown, ctx: BuildContext): void;
  /** Event keys this type reads beyond time, port, hex, layers (e.g. ["vtep", "vni"]). */
  readonly eventKeys?: readonly string[];
  /**
   * The port where a host frame of this event enters, for events naming a device instead of a
   * port; undefined when the event is not for this type.
   */
  eventPort?(event: Record<string, unknown>, where: string, ctx: BuildContext): Port | undefined;
}

/** A device a switch port can be bound to (`{"name": "vx", "vtep": "vtep1", "map": {"10": 42}}`). */
export interface SwitchPortBinder extends Device {
  /** Join `switchPort` to the device, with its VLAN → VNI map; NetsimError at `where` if impossible. */
  bindSwitchPort(ctx: BuildContext, switchPort: Port, vlanToVni: ReadonlyMap<number, number>, where: string): void;
}

export function isSwitchPortBinder(d: Device | undefined): d is SwitchPortBinder {
  return d !== undefined && typeof (d as Partial<SwitchPortBinder>).bindSwitchPort === 'function';
}
