/**
 * Cryptographically secure random bytes: the only entropy source SimpleGo uses.
 * On the device it is the hardware RNG (esp_random), never Math.random or E.hwRand,
 * which are fixed-seed PRNGs there (espruino-target.md §4.4).
 */
export interface Random {
  /** Returns `n` fresh random bytes (0 <= n <= 65536). */
  bytes(n: number): Uint8Array;
}
