import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OnoffGpioController } from './onoff-gpio.driver.js';
import { SimulatedGpioController } from './simulated-gpio.driver.js';
import { resolveSysfsGpio } from './sysfs-gpio-resolver.js';

function fakeSysfs(chips: { chip: string; label: string; base: number; ngpio: number }[]): string {
  const root = mkdtempSync(join(tmpdir(), 'sysfs-gpio-'));
  for (const c of chips) {
    mkdirSync(join(root, c.chip));
    writeFileSync(join(root, c.chip, 'label'), `${c.label}\n`);
    writeFileSync(join(root, c.chip, 'base'), `${c.base}\n`);
    writeFileSync(join(root, c.chip, 'ngpio'), `${c.ngpio}\n`);
  }
  writeFileSync(join(root, 'export'), '');
  return root;
}

describe('resolveSysfsGpio', () => {
  const roots: string[] = [];
  const tree = (chips: Parameters<typeof fakeSysfs>[0]): string => {
    const r = fakeSysfs(chips);
    roots.push(r);
    return r;
  };
  afterEach(() => {
    for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
  });

  it('Pi 4 on kernel >= 6.6: header chip based at 512', async () => {
    const sysfsRoot = tree([
      { chip: 'gpiochip512', label: 'pinctrl-bcm2711', base: 512, ngpio: 58 },
      { chip: 'gpiochip570', label: 'raspberrypi-exp-gpio', base: 570, ngpio: 8 },
    ]);
    expect(await resolveSysfsGpio('GPIO17', { sysfsRoot })).toMatchObject({
      sysfsNumber: 529,
      label: 'pinctrl-bcm2711',
    });
  });

  it('Pi 5 on Bookworm: skips the SoC brcmstb chips and finds RP1 at 571', async () => {
    const sysfsRoot = tree([
      { chip: 'gpiochip512', label: 'gpio-brcmstb@107d508500', base: 512, ngpio: 32 },
      { chip: 'gpiochip544', label: 'gpio-brcmstb@107d508520', base: 544, ngpio: 4 },
      { chip: 'gpiochip548', label: 'gpio-brcmstb@107d517c00', base: 548, ngpio: 17 },
      { chip: 'gpiochip565', label: 'gpio-brcmstb@107d517c20', base: 565, ngpio: 6 },
      { chip: 'gpiochip571', label: 'pinctrl-rp1', base: 571, ngpio: 54 },
    ]);
    expect(await resolveSysfsGpio('GPIO17', { sysfsRoot })).toMatchObject({
      sysfsNumber: 588,
      chip: 'gpiochip571',
    });
    expect(await resolveSysfsGpio('GPIO2', { sysfsRoot })).toMatchObject({ sysfsNumber: 573 });
  });

  it('old kernels: base 0', async () => {
    const sysfsRoot = tree([{ chip: 'gpiochip0', label: 'pinctrl-bcm2835', base: 0, ngpio: 54 }]);
    expect((await resolveSysfsGpio('GPIO27', { sysfsRoot })).sysfsNumber).toBe(27);
  });

  it('clear errors: no GPIO, no header chip, bad names, lines past the chip', async () => {
    await expect(
      resolveSysfsGpio('GPIO17', { sysfsRoot: join(tmpdir(), 'no-such-gpio-root') }),
    ).rejects.toMatchObject({
      code: 'GPIO_UNAVAILABLE',
    });
    const other = tree([{ chip: 'gpiochip0', label: 'some-expander', base: 0, ngpio: 16 }]);
    await expect(resolveSysfsGpio('GPIO17', { sysfsRoot: other })).rejects.toMatchObject({
      code: 'CHIP_NOT_FOUND',
    });
    const pi = tree([{ chip: 'gpiochip0', label: 'pinctrl-bcm2835', base: 0, ngpio: 54 }]);
    await expect(resolveSysfsGpio('17', { sysfsRoot: pi })).rejects.toThrow(
      /BCM line name, e.g. GPIO17/,
    );
    await expect(resolveSysfsGpio('GPIO60', { sysfsRoot: pi })).rejects.toMatchObject({
      code: 'LINE_NOT_FOUND',
    });
  });

  it('the onoff driver fails with GPIO_UNAVAILABLE where sysfs GPIO cannot be used', async () => {
    const sysfsRoot = tree([
      { chip: 'gpiochip512', label: 'pinctrl-bcm2711', base: 512, ngpio: 58 },
    ]);
    // This machine has no /sys/class/gpio/export, so onoff reports it inaccessible.
    await expect(
      new OnoffGpioController({ sysfsRoot }).open('GPIO17', { direction: 'out' }),
    ).rejects.toMatchObject({
      code: 'GPIO_UNAVAILABLE',
    });
  });
});

describe('SimulatedGpioController', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('drives outputs to the safe state on open and on close, honouring active-low', async () => {
    const gpio = new SimulatedGpioController();
    const relay = await gpio.open('GPIO17', { direction: 'out', activeLow: true });
    expect(gpio.level('GPIO17')).toBe(1); // logical off on an active-low board = high pin
    await relay.write(1);
    expect(gpio.level('GPIO17')).toBe(0);
    await gpio.closeAll();
    expect(gpio.level('GPIO17')).toBe(1);
    await expect(relay.write(1)).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('debounces inputs: a bouncing contact reports once, after it settles', async () => {
    const gpio = new SimulatedGpioController();
    const door = await gpio.open('GPIO22', { direction: 'in', debounceMs: 20 });
    const seen: number[] = [];
    door.watch((v) => seen.push(v));
    for (const level of [1, 0, 1, 0, 1] as const) {
      gpio.setInput('GPIO22', level);
      await vi.advanceTimersByTimeAsync(3);
    }
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(25);
    expect(seen).toEqual([1]);
    expect(await door.read()).toBe(1);
  });

  it('rejects bad line names and writes to inputs', async () => {
    const gpio = new SimulatedGpioController();
    await expect(gpio.open('pin 11', { direction: 'in' })).rejects.toMatchObject({
      code: 'INVALID_LINE',
    });
    await expect(gpio.open('GPIO99', { direction: 'in' })).rejects.toMatchObject({
      code: 'LINE_NOT_FOUND',
    });
    const input = await gpio.open('GPIO5', { direction: 'in' });
    await expect(input.write(1)).rejects.toThrow(/is an input/);
  });
});
