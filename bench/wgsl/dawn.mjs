// Opens a WebGPU device through Dawn for the bench scripts that run a wgsl bundle in plain Node (train_bundle.mjs,
// time_bundle.mjs): the webgpu package from a given folder, the high-performance adapter, and the device with the
// adapter's own limits (the bundle's session.js requestDevice, as trainc and the page ask for them).
// Invariant: Dawn's instance and a timer stay referenced until close() (Dawn's promises do not keep Node alive, and a
// collected instance takes pending work down: docs/wgsl.md).

import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** `{ device, name, close }` for the first high-performance adapter; throws when there is none. */
export async function openDawn(webgpuDir, bundleDir) {
  const { create, globals } = await import(pathToFileURL(join(resolve(webgpuDir), "index.js")).href);
  const { requestDevice, adapterName } = await import(pathToFileURL(join(resolve(bundleDir), "session.js")).href);
  Object.assign(globalThis, globals);
  const alive = setInterval(() => undefined, 2 ** 30);
  const gpu = create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) {
    clearInterval(alive);
    throw new Error("no WebGPU adapter (is a Vulkan driver installed?)");
  }
  const device = await requestDevice(adapter);
  const close = () => {
    device.destroy();
    clearInterval(alive);
    void gpu; // referenced here, the instance lives as long as close() can be called
  };
  return { device, name: adapterName(adapter), close };
}
