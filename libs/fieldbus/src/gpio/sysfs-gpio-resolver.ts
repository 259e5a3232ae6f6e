import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GpioError } from './gpio-error.js';

/**
 * Labels of the chip that carries the 40-pin header lines GPIO0..GPIOn: BCM2835/6/7 (Pi 0–3),
 * BCM2711 (Pi 4) and RP1 (Pi 5). The SoC chips of a Pi 5 (gpio-brcmstb@...) are not the header.
 */
export const HEADER_CHIP_LABELS: readonly string[] = [
  'pinctrl-bcm2835',
  'pinctrl-bcm2711',
  'pinctrl-rp1',
];

export interface SysfsGpioLine {
  name: string;
  chip: string;
  label: string;
  base: number;
  ngpio: number;
  offset: number;
  /** The number to export via /sys/class/gpio (base + offset). */
  sysfsNumber: number;
}

export interface ResolveOptions {
  /** Injectable for tests; the real one is /sys/class/gpio. */
  sysfsRoot?: string;
  chipLabels?: readonly string[];
}

/**
 * Resolves a BCM line name to its sysfs number at runtime from gpiochip*\/{base,label,ngpio}.
 * Bases move between kernels and boards (0 on old kernels, 512 on Pi 0–4 with kernel ≥ 6.6,
 * 571 on Pi 5), so none is ever hard-coded.
 */
export async function resolveSysfsGpio(
  lineName: string,
  options: ResolveOptions = {},
): Promise<SysfsGpioLine> {
  const root = options.sysfsRoot ?? '/sys/class/gpio';
  const labels = options.chipLabels ?? HEADER_CHIP_LABELS;
  const m = /^GPIO(\d{1,3})$/.exec(lineName);
  if (!m) {
    throw new GpioError(
      'INVALID_LINE',
      `${lineName}: GPIO lines are named by BCM line name, e.g. GPIO17`,
    );
  }
  const offset = Number(m[1]);
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (err) {
    throw new GpioError(
      'GPIO_UNAVAILABLE',
      `GPIO not available on this machine: ${root} cannot be read`,
      { cause: err },
    );
  }
  const chips: { chip: string; label: string; base: number; ngpio: number }[] = [];
  for (const chip of entries.filter((e) => e.startsWith('gpiochip')).sort()) {
    const read = async (f: string): Promise<string> =>
      (await readFile(join(root, chip, f), 'utf8')).trim();
    try {
      chips.push({
        chip,
        label: await read('label'),
        base: Number(await read('base')),
        ngpio: Number(await read('ngpio')),
      });
    } catch {
      // A chip directory without the attributes is not usable; skip it.
    }
  }
  if (chips.length === 0) {
    throw new GpioError(
      'GPIO_UNAVAILABLE',
      `GPIO not available on this machine: no gpiochip under ${root}`,
    );
  }
  const header = chips.find((c) => labels.includes(c.label));
  if (!header) {
    throw new GpioError(
      'CHIP_NOT_FOUND',
      `no header GPIO chip (labels ${labels.join(', ')}) among ${chips.map((c) => `${c.chip}=${c.label}`).join(', ')}`,
    );
  }
  if (offset >= header.ngpio) {
    throw new GpioError(
      'LINE_NOT_FOUND',
      `${lineName}: ${header.label} has only ${header.ngpio} lines (GPIO0..GPIO${header.ngpio - 1})`,
    );
  }
  return { name: lineName, ...header, offset, sysfsNumber: header.base + offset };
}
