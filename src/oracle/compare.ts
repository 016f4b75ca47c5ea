// SPDX-License-Identifier: Apache-2.0
/**
 * `compare A B`: two tap directories, tap by tap, in execution order. B is the reference
 * (|a − b| ≤ atol + rtol·|b|, as numpy.allclose(a, b)). For each tap shared by both: every metric
 * of metrics.ts, pass/fail under the tolerance, and the worst element's position; for logits the
 * top-1 / top-5 agreement. The first tap out of tolerance is where the two implementations part,
 * and diagnose.ts names the likely convention at fault.
 *
 * Default tolerance (the network level of docs/tolerances.md): atol = 1e-4 · max|b| per tap
 * (logits: 1e-4 · max(1, max|b|)), rtol = 0. `--atol X` replaces that atol by the absolute X;
 * `--rtol R` adds R·|b|.
 *
 * Integer tap directories (taps.ts: any uint8/int8/int32/int64 tap) go through
 * `compareIntegerTapDirs` instead: exact equality is the criterion (no tolerance), and each tap
 * reports the count of differing values, the LSB histogram (integer-diff.ts), the first differing
 * element, and — when conventions.json gives the tap's scale and zero point — the largest
 * difference in real units. The first tap in execution order with a difference is where the two
 * integer implementations part. A tap that is integer on one side and float (or another integer
 * dtype) on the other is a DTYPE error: integers are only comparable to the same dtype.
 */
import { buildPlan, type MobileNetV2Plan } from '../model/plan.js';
import type { ActivationLayout } from '../model/layout.js';
import { unravel } from '../model/layout.js';
import { logitsAgreement, tensorMetrics, type LogitsAgreement, type TensorMetrics } from './metrics.js';
import { detectLayout, inferResolution, tapDequantizer, toNhwc, type StoredTap, type Tap, type TapDir, type TapQuantization } from './taps.js';
import { networkTolerance } from './tolerance.js';
import { integerDifference, type IntegerDifference } from './integer-diff.js';
import type { NpyDType } from '../io/npy.js';
import { dtypeError, fmtShape, formatError, usageError } from '../errors.js';

export interface CompareOptions {
  /** Absolute tolerance; default 1e-4 · max|b| per tap. */
  atol?: number;
  /** Relative tolerance (times |b|); default 0. */
  rtol?: number;
  layoutA?: ActivationLayout;
  layoutB?: ActivationLayout;
  /** Input size [H, W] when no input tap or metadata says it. */
  resolution?: [number, number];
  /**
   * Per-tap absolute tolerance used when `atol` is not given (compare --dequantize: one
   * quantization step of the dequantized side).
   */
  atolByTap?: ReadonlyMap<string, number>;
}

export interface TapComparison {
  readonly name: string;
  /** NHWC (or [N, K]) shape both sides were compared in. */
  readonly shape: readonly number[];
  readonly metrics: TensorMetrics;
  readonly tolerance: { readonly atol: number; readonly rtol: number };
  /** Elements outside atol + rtol·|b| (non-finite mismatches included). */
  readonly failures: number;
  readonly pass: boolean;
  /** Multi-index (NHWC / [N, K]) of the largest |a − b|, with both values. */
  readonly worst: { readonly at: readonly number[]; readonly a: number; readonly b: number };
  readonly logits?: LogitsAgreement;
}

export interface SideInfo {
  readonly dir: string;
  readonly layout: ActivationLayout;
  readonly layoutHow: string;
  readonly taps: number;
  readonly unmatched: readonly string[];
  readonly conventions: unknown;
}

/** Which taps only one side has, and shared taps whose shapes differ (float and integer comparisons alike). */
export interface TapMembership {
  readonly onlyInA: readonly string[];
  readonly onlyInB: readonly string[];
  readonly shapeMismatches: ReadonlyArray<{ readonly name: string; readonly a: readonly number[]; readonly b: readonly number[] }>;
}

export interface CompareResult extends TapMembership {
  readonly a: SideInfo;
  readonly b: SideInfo;
  readonly resolution: readonly [number, number];
  readonly resolutionHow: string;
  /** Shared taps in execution order. */
  readonly taps: readonly TapComparison[];
  /** The first shared tap out of tolerance (execution order), or null. */
  readonly firstFailure: string | null;
  readonly pass: boolean;
}

/** Everything the diagnosis needs besides the report: the plan and both sides in NHWC. */
export interface PreparedComparison {
  readonly result: CompareResult;
  readonly plan: MobileNetV2Plan;
  readonly a: ReadonlyMap<string, Tap>;
  readonly b: ReadonlyMap<string, Tap>;
  readonly dirA: TapDir;
  readonly dirB: TapDir;
  readonly options: CompareOptions;
}

/** Tolerance for one tap under the options. */
export function tapTolerance(name: string, scaleB: number, o: CompareOptions): { atol: number; rtol: number } {
  const d = networkTolerance(scaleB, name === 'classifier');
  return { atol: o.atol ?? o.atolByTap?.get(name) ?? d.atol, rtol: o.rtol ?? d.rtol };
}

/** Compares two taps already in the same (NHWC) shape. */
export function compareTap(name: string, a: Tap, b: Tap, o: CompareOptions = {}): TapComparison {
  const metrics = tensorMetrics(a.data, b.data);
  const tolerance = tapTolerance(name, metrics.scaleB, o);
  let failures = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i]!, y = b.data[i]!;
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x === y) continue;
    if (!(Math.abs(x - y) <= tolerance.atol + tolerance.rtol * Math.abs(y))) failures++;
  }
  const at = unravel(metrics.maxAbsIndex, b.shape);
  const cmp: TapComparison = {
    name, shape: [...b.shape], metrics, tolerance, failures, pass: failures === 0,
    worst: { at, a: a.data[metrics.maxAbsIndex]!, b: b.data[metrics.maxAbsIndex]! },
  };
  if (name === 'classifier' && b.shape.length === 2) {
    return { ...cmp, logits: logitsAgreement(a.data, a.shape[1]!, b.data, b.shape[1]!, b.shape[0]!) };
  }
  return cmp;
}

function classesOf(t: TapDir): number | undefined {
  const c = t.taps.get('classifier');
  if (!c) return undefined;
  return c.shape.length >= 2 ? c.shape[1]! : undefined;
}

/** Loads, aligns and compares two tap directories. */
export function prepareComparison(dirA: TapDir, dirB: TapDir, options: CompareOptions = {}): PreparedComparison {
  if (dirA.integer || dirB.integer) {
    throw dtypeError(`${(dirA.integer ? dirA : dirB).dir} holds integer taps: compare it with compareIntegerTapDirs (exact match), not with float tolerances`);
  }
  const resB = (() => { try { return inferResolution(dirB, options.resolution); } catch { return null; } })();
  const { resolution, how } = resB ?? inferResolution(dirA, options.resolution);
  const classes = classesOf(dirB) ?? classesOf(dirA) ?? 1000;
  const plan = buildPlan({ resolution, classes: Math.max(1, classes) });
  const la = detectLayout(dirA, plan, options.layoutA);
  const lb = detectLayout(dirB, plan, options.layoutB);
  const a = new Map<string, Tap>();
  const b = new Map<string, Tap>();
  for (const [name, t] of dirA.taps) a.set(name, toNhwc(name, t, la.layout));
  for (const [name, t] of dirB.taps) b.set(name, toNhwc(name, t, lb.layout));

  const taps: TapComparison[] = [];
  const shapeMismatches: Array<{ name: string; a: number[]; b: number[] }> = [];
  for (const name of plan.taps) {
    const ta = a.get(name), tb = b.get(name);
    if (!ta || !tb) continue;
    const same = ta.shape.length === tb.shape.length && ta.shape.every((d, i) => d === tb.shape[i]);
    if (!same) { shapeMismatches.push({ name, a: [...ta.shape], b: [...tb.shape] }); continue; }
    taps.push(compareTap(name, ta, tb, options));
  }
  if (taps.length === 0 && shapeMismatches.length === 0) {
    throw usageError(`${dirA.dir} and ${dirB.dir} have no tap in common (A: ${[...a.keys()].slice(0, 4).join(', ')}…; B: ${[...b.keys()].slice(0, 4).join(', ')}…)`);
  }
  const firstFailure = taps.find((t) => !t.pass)?.name ?? null;
  const side = (d: TapDir, l: { layout: ActivationLayout; how: string }): SideInfo => ({
    dir: d.dir, layout: l.layout, layoutHow: l.how, taps: d.taps.size, unmatched: d.unmatched, conventions: d.meta?.conventions ?? null,
  });
  const result: CompareResult = {
    a: side(dirA, la), b: side(dirB, lb), resolution, resolutionHow: how, taps,
    onlyInA: [...a.keys()].filter((k) => !b.has(k)), onlyInB: [...b.keys()].filter((k) => !a.has(k)),
    shapeMismatches, firstFailure, pass: firstFailure === null && shapeMismatches.length === 0,
  };
  return { result, plan, a, b, dirA, dirB, options };
}

// ---------------------------------------------------------------------------------------------
// Integer taps: exact comparison.

export interface IntegerTapComparison {
  readonly name: string;
  readonly dtype: NpyDType;
  readonly shape: readonly number[];
  readonly difference: IntegerDifference;
  /** The first differing element (C order) as a multi-index, with both values; null when equal. */
  readonly first: { readonly at: readonly number[]; readonly a: number; readonly b: number } | null;
  /** The element with the largest |a − b|, with both values; null when equal. */
  readonly worst: { readonly at: readonly number[]; readonly a: number; readonly b: number } | null;
  /** The quantization used for real units (B's, else A's), from conventions.json; null if neither gives it. */
  readonly quantization: TapQuantization | null;
  /** Set when A and B declare different quantizations (their q values are then not comparable). */
  readonly quantizationMismatch: string | null;
  /** max |real(a) − real(b)| over the tap, each side dequantized with its own parameters; null without quantization. */
  readonly realMaxAbs: number | null;
  readonly pass: boolean;
}

export interface IntegerSideInfo {
  readonly dir: string;
  readonly taps: number;
  /** Tap count per dtype. */
  readonly dtypes: Readonly<Record<string, number>>;
  readonly arithmetic: string | null;
  readonly requantization: string | null;
}

export interface IntegerCompareResult extends TapMembership {
  readonly kind: 'integer';
  readonly a: IntegerSideInfo;
  readonly b: IntegerSideInfo;
  /** How the execution order was decided. */
  readonly orderHow: string;
  /** Shared integer taps, in execution order. */
  readonly taps: readonly IntegerTapComparison[];
  /** Shared float32 taps (e.g. a dequantized output), compared with the float tolerance, in execution order. */
  readonly floatTaps: readonly TapComparison[];
  /** The first shared tap (execution order) with any difference, or null. */
  readonly firstDifference: string | null;
  readonly differingTaps: number;
  readonly differingValues: number;
  readonly comparedValues: number;
  readonly pass: boolean;
}

/** The canonical MobileNetV2 tap order (for directories without a tap list). */
const PLAN_ORDER = buildPlan({ resolution: 224, classes: 1000 }).taps;

function executionOrder(names: string[], dirA: TapDir, dirB: TapDir): { names: string[]; how: string } {
  const natural = (x: string, y: string): number => x.localeCompare(y, 'en', { numeric: true });
  const by = (order: readonly string[], how: string): { names: string[]; how: string } => {
    const rank = new Map(order.map((n, i) => [n, i]));
    const listed = names.filter((n) => rank.has(n)).sort((x, y) => rank.get(x)! - rank.get(y)!);
    const rest = names.filter((n) => !rank.has(n)).sort(natural);
    return { names: [...listed, ...rest], how: rest.length ? `${how}; ${rest.length} unlisted taps after them, by name` : how };
  };
  if (dirB.order) return by(dirB.order, `the tap list of ${join2(dirB.dir)}`);
  if (dirA.order) return by(dirA.order, `the tap list of ${join2(dirA.dir)}`);
  if (names.every((n) => PLAN_ORDER.includes(n))) return by(PLAN_ORDER, 'MobileNetV2 layer order');
  return { names: [...names].sort(natural), how: 'file names (no conventions.json tap list gives the execution order)' };
}

const join2 = (dir: string): string => `${dir}/conventions.json`;


function sameQuantization(a: TapQuantization, b: TapQuantization): boolean {
  const list = (v: number | readonly number[]): number[] => (Array.isArray(v) ? [...(v as number[])] : [v as number]);
  const eq = (x: number[], y: number[], f: (v: number) => number): boolean => x.length === y.length && x.every((v, i) => f(v) === f(y[i]!));
  return eq(list(a.scale), list(b.scale), Math.fround) && eq(list(a.zeroPoint), list(b.zeroPoint), (v) => v) && (a.axis ?? -1) === (b.axis ?? -1);
}

const fmtQuant = (q: TapQuantization): string => `scale ${JSON.stringify(q.scale)}, zero point ${JSON.stringify(q.zeroPoint)}${q.axis === undefined ? '' : `, axis ${q.axis}`}`;

/** Compares two integer taps of the same dtype and shape, exactly. */
export function compareIntegerTap(name: string, a: StoredTap, b: StoredTap): IntegerTapComparison {
  const va = a.integer!, vb = b.integer!;
  const difference = integerDifference(va, vb);
  const at = (i: number): { at: number[]; a: number; b: number } | null => (i < 0 ? null : { at: unravel(i, b.shape), a: va[i]!, b: vb[i]! });
  const qa = a.quantization ?? b.quantization, qb = b.quantization ?? a.quantization;
  const quantizationMismatch = a.quantization && b.quantization && !sameQuantization(a.quantization, b.quantization)
    ? `A has ${fmtQuant(a.quantization)}, B has ${fmtQuant(b.quantization)}` : null;
  let realMaxAbs: number | null = null;
  if (qa && qb) {
    const ra = tapDequantizer(qa, name, a), rb = tapDequantizer(qb, name, b);
    realMaxAbs = 0;
    for (let i = 0; i < va.length; i++) {
      if (quantizationMismatch === null && va[i] === vb[i]) continue;
      realMaxAbs = Math.max(realMaxAbs, Math.abs(ra(i, va[i]!) - rb(i, vb[i]!)));
    }
  }
  return {
    name, dtype: b.dtype, shape: [...b.shape], difference, first: at(difference.first), worst: at(difference.worst),
    quantization: qb, quantizationMismatch, realMaxAbs, pass: difference.differing === 0 && quantizationMismatch === null,
  };
}

function integerSide(d: TapDir): IntegerSideInfo {
  const dtypes: Record<string, number> = {};
  for (const t of d.taps.values()) dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + 1;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return { dir: d.dir, taps: d.taps.size, dtypes, arithmetic: str(d.meta?.arithmetic), requantization: str(d.meta?.requantization) };
}

/**
 * Compares two tap directories of which at least one holds integer taps: integer taps exactly,
 * float32 taps (both sides float) with `tapTolerance`. Shapes are compared as stored (no layout
 * conversion). Throws DTYPE when a shared tap has different dtypes on the two sides.
 */
export function compareIntegerTapDirs(dirA: TapDir, dirB: TapDir, options: CompareOptions = {}): IntegerCompareResult {
  const shared = [...dirA.taps.keys()].filter((k) => dirB.taps.has(k));
  if (shared.length === 0) {
    throw usageError(`${dirA.dir} and ${dirB.dir} have no tap in common (A: ${[...dirA.taps.keys()].slice(0, 4).join(', ')}…; B: ${[...dirB.taps.keys()].slice(0, 4).join(', ')}…)`);
  }
  const { names, how } = executionOrder(shared, dirA, dirB);
  for (const name of names) {
    const ta = dirA.taps.get(name)!, tb = dirB.taps.get(name)!;
    if (ta.dtype !== tb.dtype) {
      throw dtypeError(`compare: tap '${name}' is ${ta.dtype} in A (${ta.file}) but ${tb.dtype} in B (${tb.file}); integer taps are compared exactly against the same dtype only — dequantize the integer side (real = scale·(q − zeroPoint)) or compare taps of one arithmetic`);
    }
  }
  const taps: IntegerTapComparison[] = [];
  const floatTaps: TapComparison[] = [];
  const shapeMismatches: Array<{ name: string; a: number[]; b: number[] }> = [];
  let firstDifference: string | null = null;
  for (const name of names) {
    const ta = dirA.taps.get(name)!, tb = dirB.taps.get(name)!;
    if (ta.shape.length !== tb.shape.length || !ta.shape.every((d, i) => d === tb.shape[i])) {
      shapeMismatches.push({ name, a: [...ta.shape], b: [...tb.shape] });
      firstDifference ??= name;
      continue;
    }
    if (ta.integer) {
      const c = compareIntegerTap(name, ta, tb);
      taps.push(c);
      if (!c.pass) firstDifference ??= name;
    } else {
      const c = compareTap(name, { data: ta.data, shape: ta.shape }, { data: tb.data, shape: tb.shape }, options);
      floatTaps.push(c);
      if (!c.pass) firstDifference ??= name;
    }
  }
  const differing = taps.filter((t) => !t.pass);
  return {
    kind: 'integer', a: integerSide(dirA), b: integerSide(dirB), orderHow: how, taps, floatTaps,
    onlyInA: [...dirA.taps.keys()].filter((k) => !dirB.taps.has(k)), onlyInB: [...dirB.taps.keys()].filter((k) => !dirA.taps.has(k)),
    shapeMismatches, firstDifference,
    differingTaps: differing.length + floatTaps.filter((t) => !t.pass).length + shapeMismatches.length,
    differingValues: taps.reduce((n, t) => n + t.difference.differing, 0),
    comparedValues: taps.reduce((n, t) => n + t.difference.count, 0),
    pass: firstDifference === null,
  };
}
