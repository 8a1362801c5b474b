/**
 * A board: the hardware a SimpleGo image runs on, and which HAL drivers compose it.
 * One file per board; the device build (`--board <name>`) and the simulator pick one by name.
 */
export interface BoardDescriptor {
  /** Name used on the command line: `npm run build:device -- --board <name>`. */
  readonly name: string;
  readonly description: string;
  readonly display: {
    readonly width: number;
    readonly height: number;
    /** Panel controller, or 'framebuffer' for the simulator window. */
    readonly controller: 'framebuffer' | 'st7789';
  };
  /** 'none': no keyboard (text arrives by paste over USB or a QR scan). */
  readonly keyboard: 'desktop' | 'i2c-bbq20' | 'none';
  readonly camera: boolean;
  /** HAL backend family the board is composed from. */
  readonly backend: 'node' | 'espruino';
}
