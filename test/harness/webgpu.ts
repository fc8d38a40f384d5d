// The WebGPU adapter the wgsl tests run on (Dawn in Node; on CI Mesa's lavapipe). Without an adapter the device tests
// skip, unless TRAINC_REQUIRE_WEBGPU is set (CI sets it): then the presence test fails.

import { expect, test } from "vitest";
import { openDevice, type WgslDevice } from "../../backends/wgsl/device.ts";

/** Opens the device, or records why there is none. */
export async function probeWebGpu(): Promise<{ gpu?: WgslDevice; error?: unknown }> {
  return openDevice().then((gpu) => ({ gpu }), (error) => ({ error }));
}

/** The title of a device suite: says when and why it skips. */
export function deviceTitle(title: string, present: boolean): string {
  return present ? title : `${title}: skipped, no WebGPU adapter (see docs/wgsl.md)`;
}

/** A test that fails when TRAINC_REQUIRE_WEBGPU is set and the adapter could not be opened. */
export function requireAdapterTest(opened: { error?: unknown }): void {
  test("a WebGPU adapter is present where TRAINC_REQUIRE_WEBGPU says so (CI installs lavapipe)", () => {
    if (process.env["TRAINC_REQUIRE_WEBGPU"]) expect(opened.error, String(opened.error)).toBeUndefined();
  });
}
