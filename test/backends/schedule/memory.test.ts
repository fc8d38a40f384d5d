// The memory plan of a real train step: state updated in place, activations never overlapping while both are live,
// arenas no bigger than needed, and the plan's sizes add up; planned for buffers of 4 KiB (bufferBytes), no placement
// crosses from one buffer into the next and live activations still never overlap.
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ALIGN, bytesOf, planMemory, type MemoryPlan } from "../../../backends/schedule/memory.ts";
import { partition } from "../../../backends/schedule/partition.ts";
import { HF_FIXTURES, specializedTrainStep } from "../../harness/train-step.ts";

const { model, module } = specializedTrainStep(join(HF_FIXTURES, "llama_packed"), { dtype: "f32" });
const partitions = module.graphs.map(partition);
const plan = planMemory(partitions);
const params = Object.keys(model.parameters);

describe("memory plan", () => {
  test("parameters, accumulators and optimizer state are updated in place", () => {
    const [micro, opt] = plan.graphs as [typeof plan.graphs[0], typeof plan.graphs[0]];
    expect(micro.copies).toEqual([]);
    expect(opt.copies).toEqual([]);
    for (const name of params) {
      const accOut = partitions[0]!.outputs.get(`acc.${name}`)!;
      expect(micro.placement.get(accOut)).toEqual(plan.state.get(`acc.${name}`));
      for (const state of [name, `m.${name}`, `v.${name}`]) {
        expect(opt.placement.get(partitions[1]!.outputs.get(state)!)).toEqual(plan.state.get(state));
      }
    }
  });

  test("state holds each persistent tensor once, aligned", () => {
    const paramBytes = params.reduce((n, p) => n + bytesOf("f32", model.parameters[p]!.data.length), 0);
    expect(plan.stateBytes).toBeGreaterThanOrEqual(4 * paramBytes);
    for (const p of plan.state.values()) expect(p.offset % ALIGN).toBe(0);
    const spans = [...plan.state.values()].map((p) => [p.offset, p.offset + p.bytes]).sort((a, b) => a[0]! - b[0]!);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]!);
  });

  test("activations that are live together never overlap", () => {
    expectNoLiveOverlap(plan);
    expect(plan.activationBytes).toBeLessThan(1.5 * Math.max(...plan.graphs.map((g) => g.peakLive)) + 64 * ALIGN);
  });

  test("planned for 4 KiB buffers, no placement crosses one and live activations still never overlap", () => {
    const bounded = planMemory(partitions, { bufferBytes: 4096 });
    const placements = [...bounded.state.values(), ...bounded.graphs.flatMap((g) => [...g.placement.values()])];
    expect(bounded.stateBytes).toBeGreaterThan(4 * 4096);
    for (const p of placements.filter((q) => q.bytes <= 4096)) {
      expect(Math.floor(p.offset / 4096), `${p.arena} ${p.offset}+${p.bytes}`).toBe(Math.floor((p.offset + p.bytes - 1) / 4096));
    }
    for (const p of placements.filter((q) => q.bytes > 4096)) expect(p.offset % 4096).toBe(0);
    expectNoLiveOverlap(bounded);
  });
});

function expectNoLiveOverlap(plan: MemoryPlan): void {
  partitions.forEach((p, g) => {
    const placement = plan.graphs[g]!.placement;
    const life = new Map<string, [number, number]>();
    p.kernels.forEach((k, i) => {
      for (const name of [...k.graph.inputs.map((x) => x.name), ...k.graph.outputs.map((x) => x.name)]) {
        const root = p.buffers.get(name)?.root ?? name;
        const span = life.get(root);
        life.set(root, span ? [Math.min(span[0], i), Math.max(span[1], i)] : [i, i]);
      }
    });
    const acts = [...life].filter(([root]) => placement.get(root)?.arena === "activations");
    for (const [a, sa] of acts) {
      for (const [b, sb] of acts) {
        if (a >= b || sa[1] < sb[0] || sb[1] < sa[0]) continue;
        const [pa, pb] = [placement.get(a)!, placement.get(b)!];
        expect(pa.offset + pa.bytes <= pb.offset || pb.offset + pb.bytes <= pa.offset, `${a} and ${b}`).toBe(true);
      }
    }
    expect(plan.activationBytes).toBeGreaterThanOrEqual(plan.graphs[g]!.peakLive);
  });
}
