// rope_tables-yarn: grid [4096, 1, 1], block [256, 1, 1], 6291456 flops, 8519680 bytes
// rope_tables: yarn rotary cos/sin tables [4, 4096, 128] bf16
namespace rope_tables_04fc45868b8d_detail {

// The math value of a stored element: bf16 and f16 widen to float exactly, integers to long long.
__device__ __forceinline__ float widen(float x) { return x; }
__device__ __forceinline__ double widen(double x) { return x; }
__device__ __forceinline__ float widen(__nv_bfloat16 x) { return __bfloat162float(x); }
__device__ __forceinline__ float widen(__half x) { return __half2float(x); }
__device__ __forceinline__ long long widen(long long x) { return x; }
__device__ __forceinline__ long long widen(int x) { return x; }
__device__ __forceinline__ long long widen(signed char x) { return x; }
__device__ __forceinline__ long long widen(unsigned char x) { return x; }
// Stores a math value into an element, rounded once to nearest even; integers wrap to the element's width.
__device__ __forceinline__ void narrow(float& d, float v) { d = v; }
__device__ __forceinline__ void narrow(float& d, double v) { d = static_cast<float>(v); }
__device__ __forceinline__ void narrow(double& d, double v) { d = v; }
__device__ __forceinline__ void narrow(__nv_bfloat16& d, float v) { d = __float2bfloat16_rn(v); }
__device__ __forceinline__ void narrow(__nv_bfloat16& d, double v) { d = __double2bfloat16(v); }
__device__ __forceinline__ void narrow(__half& d, float v) { d = __float2half_rn(v); }
__device__ __forceinline__ void narrow(__half& d, double v) { d = __double2half(v); }
template <typename I> __device__ __forceinline__ void narrow(I& d, long long v) { d = static_cast<I>(v); }

constexpr long long ROWS = 16384;  // positions
constexpr int DIM = 128, HALF = 64;
constexpr double SCALING = 1.2079441541679836;  // attention scaling folded into cos and sin
constexpr bool WRITE_COS = true, WRITE_SIN = true;
static __device__ const double INV_FREQ[64] = {
    1.0, 0.8146172165870667, 0.663601279258728, 0.5405809879302979,
    0.44036662578582764, 0.3587302267551422, 0.2922278344631195, 0.2380538135766983,
    0.193922758102417, 0.1579728126525879, 0.12868738174438477, 0.10483095049858093,
    0.08539710193872452, 0.06956595182418823, 0.05666961893439293, 0.046164050698280334,
    0.03760603070259094, 0.030634520575404167, 0.02495540864765644, 0.019282754510641098,
    0.01485569030046463, 0.011407339945435524, 0.008726978674530983, 0.006648368202149868,
    0.005040518473833799, 0.003800320206210017, 0.002846718532964587, 0.0021160743199288845,
    0.001558495918288827, 0.001134925289079547, 0.000814839790109545, 0.0005744271911680698,
    0.00039514785748906434, 0.0002625979541335255, 0.00016561303345952183, 0.00009556212171446532,
    0.00007784655463183299, 0.00006341514381347224, 0.00005165906986803748, 0.00004208236714475788,
    0.00003428102354519069, 0.000027925909307668917, 0.000022748929040972143, 0.000018531669411459006,
    0.000015096217794052791, 0.000012297638932068367, 0.000010017868589784484, 0.000008160727702488657,
    0.000006647869668086059, 0.000005415469331637723, 0.000004411534519022098, 0.000003593711880967021,
    0.000002927499735960737, 0.0000023847917418606812, 0.0000019426925064180978, 0.0000015825507944100536,
    0.000001289173155782919, 0.000001050182618200779, 8.554969213037111e-7, 6.969025321268418e-7,
    5.677088097399974e-7, 4.6246537976912805e-7, 3.76732259610435e-7, 3.068925877869333e-7,
};

// Writes cos and sin of one angle, times the attention scaling, to columns k and k + HALF of a row.
template <typename T>
__device__ __forceinline__ void write_pair(T* cos_out, T* sin_out, long long row, int k, double angle) {
  double s, c;
  sincos(angle, &s, &c);
  if (WRITE_COS) {
    narrow(cos_out[row * DIM + k], c * SCALING);
    narrow(cos_out[row * DIM + k + HALF], c * SCALING);
  }
  if (WRITE_SIN) {
    narrow(sin_out[row * DIM + k], s * SCALING);
    narrow(sin_out[row * DIM + k + HALF], s * SCALING);
  }
}

}  // namespace rope_tables_04fc45868b8d_detail

extern "C" __global__ void __launch_bounds__(256) rope_tables_04fc45868b8d(
    const long long* __restrict__ in0,
    __nv_bfloat16* __restrict__ out0,
    __nv_bfloat16* __restrict__ out1) {
  using namespace rope_tables_04fc45868b8d_detail;
  const long long* const pos = in0;
  __nv_bfloat16* const cos_out = out0;
  __nv_bfloat16* const sin_out = out1;
  const long long i = static_cast<long long>(blockIdx.x) * 256 + threadIdx.x;
  if (i >= ROWS * HALF) return;
  const long long row = i / HALF;
  const int k = static_cast<int>(i % HALF);
  write_pair(cos_out, sin_out, row, k, static_cast<double>(pos[row]) * INV_FREQ[k]);
}
