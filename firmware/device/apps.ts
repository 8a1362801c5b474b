/**
 * The applications linked into the image. An application module registers itself with
 * registerApplication() (application.ts) when it is imported, so adding it is one import here:
 *
 *   import '../app/main';
 *
 * Until then nothing is registered and boot shows its status screen after the self-test.
 */
export {};
