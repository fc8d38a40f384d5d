// sin and cos in f32 for WGSL kernels that need them exactly enough at any angle (rotary tables at positions in the
// thousands, the cosine learning-rate schedule). WGSL's built-in sin and cos promise an absolute error of 2^-11 on
// [-pi, pi] only, and nothing outside it; these reduce the angle by pi/2 in three parts (Cody and Waite: the first
// part has 8 significant bits, so j * PIO2_A is exact for |j| < 2^16) and evaluate minimax polynomials on
// [-pi/4, pi/4] (Cephes' single-precision coefficients), within a few f32 ulps for |x| < 2^16 * pi/2.
// Invariant: trainc_sincos(x) returns vec2f(sin(x), cos(x)).

/** WGSL source of `fn trainc_sincos(x: f32) -> vec2f`. */
export const SINCOS = `fn trainc_sincos(x: f32) -> vec2f {
  let j = round(x * 0.636619772367581343);
  let r = ((x - j * 1.5703125) - j * 4.837512969970703125e-4) - j * 7.54978995489188216e-8;
  let z = r * r;
  let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  let q = i32(j) & 3;
  if (q == 0) { return vec2f(s, c); }
  if (q == 1) { return vec2f(c, -s); }
  if (q == 2) { return vec2f(-s, -c); }
  return vec2f(-c, s);
}`;
